// The per-subscription proxy actor alone, on the sim transport in virtual time: what it sends
// the master as the framework, which v1 events it writes, and when it ends its stream and stops.
import t from 'tap'
import { Runtime, SimClock, SimNetwork } from '../../../runtime/index.js'
import { ProtocolMessages } from '../../../actors/protocol/index.js'
import { schedulerProxyMachine, toV1Event, type EventStream } from '../../../cluster/http/scheduler-proxy.js'
import { inboxMachine, type Received } from '../../actors/master/support/harness.js'

function world() {
  const clock = new SimClock()
  const net = new SimNetwork({ seed: 3, clock, minDelayMs: 1, maxDelayMs: 2 })
  const rt = new Runtime({ transport: net.endpoint('m1'), node: 'm1', clock })
  rt.registerMessages(ProtocolMessages)
  const master = rt.spawn(inboxMachine, { name: 'master', input: { answering: { pings: true } } })
  const inbox = (master.getSnapshot().context as { log: Received[] }).log
  const stream = { records: [] as Array<Record<string, any>>, ended: false } as { records: Array<Record<string, any>>; ended: boolean } & EventStream
  stream.write = record => {
    if (stream.ended) return false
    stream.records.push(record as Record<string, any>)
    return true
  }
  stream.end = () => void (stream.ended = true)
  const proxy = rt.spawn(schedulerProxyMachine, {
    name: 'http-scheduler-1',
    input: { masterPid: master.pid, subscribe: { framework_info: { user: 'u', name: 'p' } }, stream, streamId: 's-1' },
  })
  const fromMaster = (type: string, body: unknown) => rt.send(master.pid, proxy.pid, type, body)
  return { clock, rt, master, inbox, stream, proxy, fromMaster, settle: () => clock.advance(20) }
}

t.test('subscribes as itself, writes v1 events, forwards calls, ends on TEARDOWN', async t => {
  const w = world()
  w.settle()
  t.match(w.inbox, [{ type: 'Subscribe', from: 'http-scheduler-1@m1', body: { framework_info: { user: 'u', name: 'p' } } }])

  w.fromMaster('Offers', { offers: [] })
  w.settle()
  t.same(w.stream.records, [], 'nothing before SUBSCRIBED')

  w.fromMaster('Subscribed', { framework_id: { value: 'f1' }, heartbeat_interval_seconds: 15 })
  w.fromMaster('Offers', { offers: [{ id: { value: 'o' }, framework_id: { value: 'f1' }, agent_id: { value: 'a' }, hostname: 'h' }] })
  w.fromMaster('Rescind', { offer_id: { value: 'o' } })
  w.fromMaster('Update', { status: { task_id: { value: 't' }, state: 'TASK_RUNNING' } })
  w.fromMaster('FrameworkMessage', { agent_id: { value: 'a' }, executor_id: { value: 'e' }, data: 'aGk=' })
  w.fromMaster('Failure', { agent_id: { value: 'a' } })
  w.fromMaster('Heartbeat', {})
  w.rt.send('someone@m1', w.proxy.pid, 'Heartbeat', {})
  w.settle()
  t.same(w.stream.records, [
    { type: 'SUBSCRIBED', subscribed: { framework_id: { value: 'f1' }, heartbeat_interval_seconds: 15 } },
    { type: 'HEARTBEAT' },
    { type: 'OFFERS', offers: { offers: [{ id: { value: 'o' }, framework_id: { value: 'f1' }, agent_id: { value: 'a' }, hostname: 'h' }] } },
    { type: 'RESCIND', rescind: { offer_id: { value: 'o' } } },
    { type: 'UPDATE', update: { status: { task_id: { value: 't' }, state: 'TASK_RUNNING' } } },
    { type: 'MESSAGE', message: { agent_id: { value: 'a' }, executor_id: { value: 'e' }, data: 'aGk=' } },
    { type: 'FAILURE', failure: { agent_id: { value: 'a' } } },
    { type: 'HEARTBEAT' },
  ], 'only the master speaks on the stream')

  w.proxy.send({ type: 'http.call', call: { type: 'Revive', body: { framework_id: { value: 'f1' } } } })
  w.proxy.send({ type: 'http.call', call: { type: 'Teardown', body: { framework_id: { value: 'f1' } } } })
  w.settle()
  t.match(w.inbox.slice(1), [
    { type: 'Revive', from: w.proxy.pid },
    { type: 'Teardown', from: w.proxy.pid },
  ])
  t.ok(w.stream.ended, 'TEARDOWN closes the stream, as Mesos closes the connection')
  t.notOk(w.proxy.alive)
})

t.test('an ERROR ends the stream; so do the client closing it and the master exiting', async t => {
  const refused = world()
  refused.settle()
  refused.fromMaster('Error', { message: 'Framework has been removed' })
  refused.settle()
  t.same(refused.stream.records, [{ type: 'ERROR', error: { message: 'Framework has been removed' } }])
  t.ok(refused.stream.ended)
  t.notOk(refused.proxy.alive)

  const closed = world()
  closed.settle()
  closed.proxy.send({ type: 'http.closed', reason: 'client-closed' })
  t.notOk(closed.proxy.alive, 'the client went away: the proxy stops, the master sees it exit')

  const orphaned = world()
  orphaned.settle()
  orphaned.fromMaster('Subscribed', { framework_id: { value: 'f1' } })
  orphaned.settle()
  orphaned.master.stop()
  orphaned.settle()
  t.ok(orphaned.stream.ended, 'the master is gone: the scheduler must resubscribe elsewhere')
  t.notOk(orphaned.proxy.alive)
})

t.test('toV1Event', async t => {
  t.same(toV1Event('Heartbeat', {}), { type: 'HEARTBEAT' })
  t.same(toV1Event('Error', { message: 'm' }), { type: 'ERROR', error: { message: 'm' } })
})
