import t from 'tap'
import { request } from 'node:http'
import { connect } from 'node:net'
import { RecordIoDecoder } from '../../../cluster/http/recordio.js'
import { masterWorld } from './support/master-server-fixture.js'

/** Opens an operator SUBSCRIBE stream on a real socket; events are collected as they arrive. */
function subscribe(base: string) {
  const events: any[] = []
  const decoder = new RecordIoDecoder()
  let resolveHeaders: (v: { status: number; type: string }) => void
  const headers = new Promise<{ status: number; type: string }>(r => (resolveHeaders = r))
  const req = request(`${base}/api/v1`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' } }, res => {
    resolveHeaders({ status: res.statusCode ?? 0, type: String(res.headers['content-type']) })
    res.on('data', chunk => events.push(...decoder.push(chunk)))
  })
  req.on('error', () => {})
  req.end(JSON.stringify({ type: 'SUBSCRIBE' }))
  const waitFor = async (pred: (e: any[]) => boolean, what: string) => {
    for (let i = 0; i < 1000; i++) {
      if (pred(events)) return
      await new Promise(r => setTimeout(r, 10))
    }
    throw new Error(`timed out waiting for ${what}; got ${events.map(e => e.type).join(',')}`)
  }
  return { events, headers, waitFor, close: () => req.destroy() }
}

t.test('SUBSCRIBE streams SUBSCRIBED with the state, then task, agent and framework events and heartbeats', async t => {
  const w = await masterWorld(t, { numAgents: 1, server: { operator: { heartbeatSeconds: 0.2 } } })
  const base = await w.listen()
  const s = subscribe(base)
  t.teardown(s.close)
  t.same(await s.headers, { status: 200, type: 'application/json' })
  await s.waitFor(e => e.length >= 1, 'SUBSCRIBED')
  t.equal(s.events[0].type, 'SUBSCRIBED')
  t.equal(s.events[0].subscribed.heartbeat_interval_seconds, 0.2)
  t.equal(s.events[0].subscribed.get_state.get_agents.agents.length, 1)

  const fw = await w.launch('watched', 2)
  await s.waitFor(e => e.filter(x => x.type === 'TASK_UPDATED' && x.task_updated.state === 'TASK_RUNNING').length === 2, 'two TASK_UPDATED')
  const added = s.events.find(e => e.type === 'FRAMEWORK_ADDED')
  t.equal(added.framework_added.framework.framework_info.id.value, fw.frameworkId)
  const taskAdded = s.events.filter(e => e.type === 'TASK_ADDED')
  t.equal(taskAdded.length, 2)
  t.match(taskAdded[0].task_added.task, { task_id: { value: /watched-/ }, framework_id: { value: fw.frameworkId }, state: 'TASK_STAGING' })
  t.match(s.events.find(e => e.type === 'TASK_UPDATED').task_updated, { framework_id: { value: fw.frameworkId }, state: 'TASK_RUNNING', status: { state: 'TASK_RUNNING' } })
  await s.waitFor(e => e.some(x => x.type === 'HEARTBEAT'), 'HEARTBEAT')

  const agentId = [...w.cluster.masterCore.agents.keys()][0]!
  const res = await fetch(`${base}/api/v1`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'MARK_AGENT_GONE', mark_agent_gone: { agent_id: { value: agentId } } }) })
  t.equal(res.status, 200)
  await s.waitFor(e => e.some(x => x.type === 'AGENT_REMOVED'), 'AGENT_REMOVED')
  t.equal(s.events.find(e => e.type === 'AGENT_REMOVED').agent_removed.agent_id.value, agentId)
  t.equal(s.events.filter(e => e.type === 'TASK_UPDATED' && e.task_updated.state === 'TASK_LOST').length, 2, 'not partition aware: TASK_LOST')

  const td = await fetch(`${base}/api/v1`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'TEARDOWN', teardown: { framework_id: { value: fw.frameworkId } } }) })
  t.equal(td.status, 200)
  await s.waitFor(e => e.some(x => x.type === 'FRAMEWORK_REMOVED'), 'FRAMEWORK_REMOVED')

  s.close()
  for (let i = 0; i < 100 && w.cluster.masterCore.observerCount > 0; i++) await new Promise(r => setTimeout(r, 10))
  t.equal(w.cluster.masterCore.observerCount, 0, 'a closed stream stops observing the master')
})

t.test('a subscriber that never reads is dropped, logged and counted; the master goes on', async t => {
  const w = await masterWorld(t, { numAgents: 1, resources: 'cpus:200;mem:100000;disk:1000', server: { operator: { maxBufferedBytes: 256 * 1024 } } })
  const base = await w.listen()
  const port = Number(new URL(base).port)
  const socket = connect(port, '127.0.0.1')
  t.teardown(() => socket.destroy())
  await new Promise<void>(r => socket.once('connect', () => r()))
  const body = JSON.stringify({ type: 'SUBSCRIBE' })
  socket.write(`POST /api/v1 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`)
  socket.pause()
  let closed = false
  socket.on('close', () => (closed = true))
  for (let i = 0; i < 100 && w.cluster.masterCore.observerCount === 0; i++) await new Promise(r => setTimeout(r, 10))
  t.equal(w.cluster.masterCore.observerCount, 1, 'subscribed')

  // ~20 MB of TASK_ADDED events (10 KB labels): far more than socket buffers and the 256 KB bound.
  await w.launch('flood', 1000, {}, undefined, 10_000)
  for (let i = 0; i < 300 && w.cluster.masterCore.observerCount > 0; i++) await new Promise(r => setTimeout(r, 10))
  t.equal(w.cluster.masterCore.observerCount, 0, 'the slow subscriber is gone')
  const metrics = (await w.app.inject({ method: 'GET', url: '/metrics/snapshot' })).json()
  t.equal(metrics['http/operator/subscribers_dropped'], 1)
  t.ok(w.logs.some(l => /dropping operator subscriber/.test(String(l.msg))), 'said so in the log')
  socket.resume()
  for (let i = 0; i < 200 && !closed; i++) await new Promise(r => setTimeout(r, 10))
  t.ok(closed, 'its connection is closed')
  t.equal((await w.app.inject({ method: 'GET', url: '/health' })).statusCode, 200, 'the master still serves')
})
