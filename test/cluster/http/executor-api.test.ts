// The v1 executor HTTP API against a real master and agent: an executor written from scratch
// (support/http-executor.mjs) launched by the agent for a task with an ExecutorInfo, and every
// error status of POST /api/v1/executor, with fuzzed bodies.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { agentWorld, post, TASK_RESOURCES } from './support/agent-server-fixture.js'

const EXECUTOR_SCRIPT = fileURLToPath(new URL('./support/http-executor.mjs', import.meta.url))
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64')
const uuid = () => Buffer.alloc(16, 7).toString('base64')

function executorTask(id: string, executorId: string, command = `'${process.execPath}' '${EXECUTOR_SCRIPT}'`, env: Record<string, string> = {}) {
  const environment = { variables: Object.entries(env).map(([name, value]) => ({ name, value })) }
  return { name: id, task_id: { value: id }, resources: TASK_RESOURCES, executor: { executor_id: { value: executorId }, name: `test executor ${executorId}`, command: { value: command, environment } } }
}

t.test('an HTTP executor subscribes, gets LAUNCH, sends UPDATEs and a MESSAGE, and the framework sees them', async t => {
  const w = await agentWorld(t)
  w.run(executorTask('t1', 'e1'))
  const running = await w.waitFor('t1', 'TASK_RUNNING')
  const finished = await w.waitFor('t1', 'TASK_FINISHED')
  t.equal(running.source, 'SOURCE_EXECUTOR')
  t.equal(running.executor_id?.value, 'e1')
  t.equal(finished.source, 'SOURCE_EXECUTOR')

  // The Mesos environment, as the executor saw it.
  const env = JSON.parse(Buffer.from(running.data!, 'base64').toString('utf8'))
  const core = w.cluster.agentCore(1)!
  const port = new URL(w.url).port
  t.equal(env.MESOS_AGENT_ENDPOINT, `127.0.0.1:${port}`)
  t.equal(env.MESOS_FRAMEWORK_ID, w.framework.frameworkId())
  t.equal(env.MESOS_EXECUTOR_ID, 'e1')
  t.equal(env.MESOS_AGENT_ID, core.agentId)
  t.equal(env.MESOS_SLAVE_ID, core.agentId)
  t.equal(env.MESOS_CHECKPOINT, '0')
  t.equal(env.MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD, '2secs')
  t.match(env.MESOS_SANDBOX, /\/slaves\/.+\/frameworks\/.+\/executors\/e1\/runs\//)
  t.equal(env.MESOS_DIRECTORY, env.MESOS_SANDBOX)

  const message = await w.until('the executor message', () => w.framework.messages.find(m => m.executorId === 'e1'))
  t.same(JSON.parse(message.data), { hello: 'framework' }, 'the framework gets the bytes the executor sent')

  // The executor exits after both ACKNOWLEDGED; its event log is in its sandbox.
  await w.until('the executor to exit', () => w.cluster.executors.size === 0 || undefined)
  const events = readFileSync(join(env.MESOS_SANDBOX, 'events.json'), 'utf8').trim().split('\n').map(l => JSON.parse(l))
  t.same(events.map(e => e.type), ['SUBSCRIBED', 'LAUNCH', 'ACKNOWLEDGED', 'ACKNOWLEDGED'])
  t.match(events[0].subscribed, { executor_info: { executor_id: { value: 'e1' } }, framework_info: { name: 'agent-http' }, agent_info: { id: { value: core.agentId } }, container_id: { value: String } })
  t.equal(events[1].launch.task.task_id.value, 't1')
  t.match(events[2].acknowledged, { task_id: { value: 't1' }, uuid: String })
  t.match(readFileSync(join(env.MESOS_SANDBOX, 'stderr'), 'utf8'), /Starting executor 'e1'/)
})

t.test('a subscribed executor: KILL becomes TASK_KILLED, UNKNOWN is 501, a new SUBSCRIBE replaces the stream', async t => {
  const w = await agentWorld(t)
  w.run(executorTask('t5', 'e5', undefined, { MODE: 'stay' }))
  await w.waitFor('t5', 'TASK_RUNNING')
  const ids = { framework_id: { value: w.framework.frameworkId() }, executor_id: { value: 'e5' } }
  const unknown = await post(`${w.url}/api/v1/executor`, { ...ids, type: 'UNKNOWN' })
  t.equal(unknown.status, 501)
  t.match(await unknown.text(), /'UNKNOWN' is not implemented/)
  w.framework.driver.kill('t5')
  const killed = await w.waitFor('t5', 'TASK_KILLED')
  t.equal(killed.source, 'SOURCE_EXECUTOR')

  // The test subscribes as the executor itself: the program's stream is replaced (and ends).
  const res = await post(`${w.url}/api/v1/executor`, { ...ids, type: 'SUBSCRIBE', subscribe: {} }, { accept: 'application/json' })
  t.equal(res.status, 200)
  t.equal(res.headers.get('content-type'), 'application/json')
  const reader = res.body!.getReader()
  const first = await reader.read()
  const text = Buffer.from(first.value!).toString('utf8')
  const length = Number(text.slice(0, text.indexOf('\n')))
  const event = JSON.parse(text.slice(text.indexOf('\n') + 1, text.indexOf('\n') + 1 + length))
  t.equal(event.type, 'SUBSCRIBED')
  t.equal(event.subscribed.executor_info.executor_id.value, 'e5')
  await reader.cancel()
})

t.test('an executor that never subscribes fails its task after --executor_registration_timeout', async t => {
  const w = await agentWorld(t, { agentFlags: { executorRegistrationTimeoutMs: 300 } })
  w.run(executorTask('t2', 'e2', 'sleep 600'))
  const failed = await w.waitFor('t2', 'TASK_FAILED')
  t.equal(failed.reason, 'REASON_EXECUTOR_REGISTRATION_TIMEOUT')
  t.equal(failed.message, 'Executor did not register within 300ms')
  t.equal(failed.source, 'SOURCE_AGENT')
})

t.test('POST /api/v1/executor: every error status, with fuzzed bodies', async t => {
  const w = await agentWorld(t, { agentFlags: { executorRegistrationTimeoutMs: 600_000 } })
  // e3 is an HTTP executor that has not subscribed yet; c1 a command task (an actor, not HTTP).
  w.run(executorTask('t3', 'e3', 'sleep 600'))
  w.run({ name: 'c1', task_id: { value: 'c1' }, resources: TASK_RESOURCES, command: { value: 'sleep 600' } })
  await w.waitFor('c1', 'TASK_RUNNING')
  await w.until('executor e3', () => w.cluster.executors.size === 1 || undefined)
  const fw = { value: w.framework.frameworkId() }
  const url = `${w.url}/api/v1/executor`
  const ids = { framework_id: fw, executor_id: { value: 'e3' } }
  const status = { task_id: { value: 't3' }, state: 'TASK_RUNNING', source: 'SOURCE_EXECUTOR', uuid: uuid() }

  const get = await fetch(url)
  t.equal(get.status, 405)
  t.equal(get.headers.get('allow'), 'POST')
  const noCt = await fetch(url, { method: 'POST', body: new Uint8Array([1]) })
  t.equal(noCt.status, 400)
  t.equal(await noCt.text(), "Expecting 'Content-Type' to be present")
  t.equal((await post(url, '{}', { 'content-type': 'application/x-protobuf' })).status, 415)
  t.equal((await post(url, '{}', { 'content-type': 'text/plain' })).status, 415)

  const cases: Array<[string, unknown, number, RegExp]> = [
    ['malformed JSON', '{"type": SUBSCRIBE', 400, /^Failed to parse body into JSON/],
    ['truncated JSON', JSON.stringify({ ...ids, type: 'SUBSCRIBE', subscribe: {} }).slice(0, 30), 400, /^Failed to parse body into JSON/],
    ['empty body', '', 400, /^Failed to parse body into JSON/],
    ['not an object', '[1,2]', 400, /Expected a JSON object/],
    ['a string', '"SUBSCRIBE"', 400, /Expected a JSON object/],
    ['unknown call type', { ...ids, type: 'LAUNCH_ROCKETS' }, 400, /'type': unknown value 'LAUNCH_ROCKETS'/],
    ['type of the wrong type', { ...ids, type: 7 }, 400, /'type': Expected string/],
    ['executor_id of the wrong type', { ...ids, executor_id: 'e3', type: 'SUBSCRIBE', subscribe: {} }, 400, /'executor_id'/],
    ['framework_id value of the wrong type', { ...ids, framework_id: { value: 3 }, type: 'SUBSCRIBE', subscribe: {} }, 400, /'framework_id.value'/],
    ['no ids', { type: 'SUBSCRIBE', subscribe: {} }, 400, /^Failed to validate Executor::Call: Not initialized: executor_id, framework_id/],
    ['no type', { ...ids }, 400, /Expecting 'type' to be present/],
    ['SUBSCRIBE without subscribe', { ...ids, type: 'SUBSCRIBE' }, 400, /Expecting 'subscribe' to be present/],
    ['subscribe of the wrong type', { ...ids, type: 'SUBSCRIBE', subscribe: [] }, 400, /'subscribe'/],
    ['UPDATE without update', { ...ids, type: 'UPDATE' }, 400, /Expecting 'update' to be present/],
    ['UPDATE without uuid', { ...ids, type: 'UPDATE', update: { status: { ...status, uuid: undefined } } }, 400, /Expecting 'uuid' to be present/],
    ['UPDATE with a short uuid', { ...ids, type: 'UPDATE', update: { status: { ...status, uuid: 'AAAA' } } }, 400, /3 bytes, expected 16/],
    ['UPDATE with a bad state', { ...ids, type: 'UPDATE', update: { status: { ...status, state: 'TASK_DANCING' } } }, 400, /'update.status.state'/],
    ['UPDATE from another executor', { ...ids, type: 'UPDATE', update: { status: { ...status, executor_id: { value: 'other' } } } }, 400, /ExecutorID in Call: e3 does not match ExecutorID in TaskStatus: other/],
    ['UPDATE not from the executor', { ...ids, type: 'UPDATE', update: { status: { ...status, source: 'SOURCE_MASTER' } } }, 400, /invalid source, expecting 'SOURCE_EXECUTOR'/],
    ['UPDATE with TASK_STAGING', { ...ids, type: 'UPDATE', update: { status: { ...status, state: 'TASK_STAGING' } } }, 400, /TASK_STAGING .* which is not allowed/],
    ['MESSAGE without message', { ...ids, type: 'MESSAGE' }, 400, /Expecting 'message' to be present/],
    ['MESSAGE data not base64', { ...ids, type: 'MESSAGE', message: { data: '%%%' } }, 400, /'message.data'/],
    ['deeply nested', `${'['.repeat(5000)}${']'.repeat(5000)}`, 400, /Expected a JSON object|nested too deeply/],
    ['unknown framework', { ...ids, framework_id: { value: 'nope' }, type: 'SUBSCRIBE', subscribe: {} }, 400, /^Framework cannot be found$/],
    ['unknown executor', { ...ids, executor_id: { value: 'nope' }, type: 'SUBSCRIBE', subscribe: {} }, 400, /^Executor cannot be found$/],
    ['a command executor', { framework_id: fw, executor_id: { value: 'c1' }, type: 'SUBSCRIBE', subscribe: {} }, 400, /was not launched as an HTTP executor/],
    ['UPDATE before SUBSCRIBE', { ...ids, type: 'UPDATE', update: { status } }, 403, /^Executor is not subscribed$/],
    ['MESSAGE before SUBSCRIBE', { ...ids, type: 'MESSAGE', message: { data: b64('x') } }, 403, /^Executor is not subscribed$/],
    ['UNKNOWN', { ...ids, type: 'UNKNOWN' }, 403, /not subscribed/],
  ]
  for (const [name, body, code, message] of cases) {
    const res = await post(url, body as object)
    t.equal(res.status, code, `${name}: ${code}`)
    t.match(await res.text(), message, `${name}: message`)
  }
  t.equal((await post(url, { ...ids, type: 'HEARTBEAT' })).status, 202, 'HEARTBEAT is accepted before any lookup')
  t.equal((await post(url, { ...ids, type: 'SUBSCRIBE', subscribe: {} }, { accept: 'application/x-protobuf' })).status, 406)

  const huge = await post(url, JSON.stringify({ ...ids, type: 'MESSAGE', message: { data: 'A'.repeat(2 * 1024 * 1024) } }))
  t.equal(huge.status, 413)
  t.match(await huge.text(), /larger than the limit/)

  // Random bytes and random JSON never get a 5xx, and the agent keeps serving.
  let seed = 42
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
  const junk = [null, true, 0, -1, 1e308, 'x', [], {}, { value: 1 }, { value: 'e3' }, [{ value: 'e3' }]]
  for (let i = 0; i < 60; i++) {
    const call: Record<string, unknown> = {}
    for (const key of ['type', 'executor_id', 'framework_id', 'subscribe', 'update', 'message']) if (rand() < 0.6) call[key] = junk[Math.floor(rand() * junk.length)]
    if (rand() < 0.5) call.type = ['SUBSCRIBE', 'UPDATE', 'MESSAGE', 'UNKNOWN', 'HEARTBEAT'][Math.floor(rand() * 5)]
    const body = rand() < 0.2 ? Buffer.from(Array.from({ length: 40 }, () => Math.floor(rand() * 256))).toString('latin1') : JSON.stringify(call)
    const res = await post(url, body)
    t.ok(res.status < 500, `fuzz ${i}: ${res.status} for ${body.slice(0, 80)}`)
    await res.arrayBuffer()
  }
  t.equal((await fetch(`${w.url}/slave(1)/health`)).status, 200)
})

t.test('the executor API under /slave(N)/ reaches only that agent', async t => {
  const w = await agentWorld(t, { numAgents: 2, agentFlags: { executorRegistrationTimeoutMs: 600_000 } })
  w.run(executorTask('t4', 'e4', 'sleep 600'), 2)
  await w.until('executor e4', () => w.cluster.executors.size === 1 || undefined)
  const body = { framework_id: { value: w.framework.frameworkId() }, executor_id: { value: 'e4' }, type: 'MESSAGE', message: { data: b64('x') } }
  t.equal((await post(`${w.url}/slave(1)/api/v1/executor`, body)).status, 400, 'agent 1 does not know the framework')
  t.equal((await post(`${w.url}/slave(2)/api/v1/executor`, body)).status, 403, 'agent 2 has the executor, not subscribed')
  t.equal((await post(`${w.url}/api/v1/executor`, body)).status, 403, 'the root finds agent 2')
})
