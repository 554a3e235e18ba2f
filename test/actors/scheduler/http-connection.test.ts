// The scheduler SDK over Mesos's v1 HTTP API (actors/scheduler/http-connection.ts), against a
// real master serving the API: the execute framework runs `echo hello` to TASK_FINISHED, an
// HTTP framework and a native one share the master, the driver follows a 307, resubscribes
// after its stream breaks, aborts on ERROR, and tears down on stop.
import { readFileSync, readlinkSync } from 'node:fs'
import { join, resolve } from 'node:path'
import Fastify from 'fastify'
import t from 'tap'
import { LocalTransport, Runtime } from '../../../runtime/index.js'
import { ProtocolMessages, type TaskStatus } from '../../../actors/protocol/index.js'
import { ExecuteFramework, runExecute, type ExecuteResult } from '../../../actors/frameworks/index.js'
import {
  connectHttpScheduler,
  fromV1Event,
  RecordIoReader,
  schedulerEndpoint,
  SchedulerConfigError,
  toV1Call,
  type ConnectHttpSchedulerOptions,
} from '../../../actors/scheduler/index.js'
import { schedulerApiPlugin } from '../../../cluster/http/scheduler-api.js'
import { eventually, memoryLogger, schedulerApiWorld } from '../../cluster/http/support/scheduler-api-fixture.js'
import { recordingCallbacks } from './support/recorder.js'

const quick = { registrationBackoffFactorMs: 100, registrationBackoffMaxMs: 500 }

function executeOverHttp(master: string, options: ConstructorParameters<typeof ExecuteFramework>[0], extra: Partial<ConnectHttpSchedulerOptions> = {}): Promise<ExecuteResult> {
  const run = new ExecuteFramework(options)
  const driver = connectHttpScheduler({ master, framework: run.framework, callbacks: run.callbacks, options: quick, logger: memoryLogger([]), ...extra })
  void driver.done.then(outcome => run.driverEnded(outcome))
  return run.result
}

t.test('v1 JSON mapping and RecordIO framing', async t => {
  t.same(toV1Call({ type: 'Accept', body: { framework_id: { value: 'f' }, offer_ids: [{ value: 'o' }], filters: { refuse_seconds: 1 } } }), {
    type: 'ACCEPT',
    framework_id: { value: 'f' },
    accept: { offer_ids: [{ value: 'o' }], filters: { refuse_seconds: 1 } },
  })
  t.same(toV1Call({ type: 'Teardown', body: { framework_id: { value: 'f' } } }), { type: 'TEARDOWN', framework_id: { value: 'f' } })
  t.same(toV1Call({ type: 'Subscribe', body: { framework_info: { user: 'u', name: 'n' } } }), { type: 'SUBSCRIBE', subscribe: { framework_info: { user: 'u', name: 'n' } } })
  t.same(toV1Call({ type: 'Subscribe', body: { framework_info: { user: 'u', name: 'n', id: { value: 'f' } }, force: true } }), {
    type: 'SUBSCRIBE',
    framework_id: { value: 'f' },
    subscribe: { framework_info: { user: 'u', name: 'n', id: { value: 'f' } }, force: true },
  })

  t.same(fromV1Event({ type: 'HEARTBEAT' }), { type: 'Heartbeat', body: {} })
  t.same(fromV1Event({ type: 'MESSAGE', message: { agent_id: { value: 'a' }, executor_id: { value: 'e' }, data: 'aGk=' } }), {
    type: 'FrameworkMessage',
    body: { agent_id: { value: 'a' }, executor_id: { value: 'e' }, data: 'aGk=' },
  })
  t.same(fromV1Event({ type: 'RESCIND', rescind: { offer_id: { value: 'o' } }, offers: null }), { type: 'Rescind', body: { offer_id: { value: 'o' } } }, 'nulls stripped')
  t.match(fromV1Event({ type: 'INVERSE_OFFERS', inverse_offers: { inverse_offers: [] } }), { ignored: /not handled/ })
  t.match(fromV1Event({ type: 'UPDATE', update: { status: { state: 'TASK_RUNNING' } } }), { ignored: /invalid UPDATE event: update.status.task_id/ })

  const reader = new RecordIoReader()
  const stream = Buffer.from('20\n{"type":"HEARTBEAT"}5\n"hé"2\n{}')
  const records: string[] = []
  for (const byte of stream) records.push(...reader.push(Uint8Array.of(byte)))
  t.same(records, ['{"type":"HEARTBEAT"}', '"hé"', '{}'], 'records split across every byte, lengths in bytes')
  t.throws(() => new RecordIoReader().push(Buffer.from('x\n')), /not a number/)
  t.throws(() => new RecordIoReader(10).push(Buffer.from('11\n')), /over the 10 byte limit/)

  t.equal(schedulerEndpoint('master:5050').href, 'http://master:5050/api/v1/scheduler')
  t.equal(schedulerEndpoint('https://m.example:8443/x?y').href, 'https://m.example:8443/api/v1/scheduler')
  t.throws(() => schedulerEndpoint('nats://m:4222'), SchedulerConfigError)
})

t.test('the execute framework runs `echo hello` to TASK_FINISHED through the HTTP API', async t => {
  const w = await schedulerApiWorld(t, { executor: 'command' })
  const updates: TaskStatus[] = []
  const result = await executeOverHttp(w.address, { name: 'hello', command: 'echo hello', resources: 'cpus:0.1;mem:32', onEvent: e => e.type === 'update' && updates.push(e.status) })
  t.equal(result.exitCode, 0)
  t.same(updates.map(u => u.state), ['TASK_STARTING', 'TASK_RUNNING', 'TASK_FINISHED'])
  const agentId = updates.at(-1)!.agent_id!.value
  const runs = join(w.cluster.options.workDir, 'agents', '1', 'slaves', agentId, 'frameworks', result.frameworkId!, 'executors', 'hello', 'runs')
  t.equal(readFileSync(join(resolve(runs, readlinkSync(join(runs, 'latest'))), 'stdout'), 'utf8'), 'hello\n')
  // Done means torn down: TEARDOWN reached the master before the stream closed.
  await eventually(() => !w.cluster.masterCore.frameworks.has(result.frameworkId!), 'the framework to be removed')
  t.equal(w.metric('http/scheduler/calls/TEARDOWN'), 1)
  t.ok(w.metric('http/scheduler/calls/ACKNOWLEDGE') >= 3, 'updates acknowledged over HTTP')
})

t.test('an HTTP framework and a native framework share one master', async t => {
  const w = await schedulerApiWorld(t, { executor: 'command', numAgents: 2 })
  const rt = new Runtime({ transport: new LocalTransport(w.cluster.bus!), node: 'native-client' })
  rt.registerMessages(ProtocolMessages)
  t.teardown(() => rt.close())
  const seen = new Set<string>()
  const both = () => {
    const frameworks = [...w.cluster.masterCore.frameworks.values()]
    if (frameworks.length === 2) for (const f of frameworks) seen.add(f.pid.startsWith('http-scheduler-') ? 'http' : 'native')
  }
  const task = { command: 'sleep 0.5; echo hi', resources: 'cpus:0.1;mem:32', instances: 2 }
  const [overHttp, native] = await Promise.all([
    executeOverHttp(w.address, { ...task, name: 'over-http', onEvent: both }),
    runExecute({ ...task, name: 'native', onEvent: both }, { runtime: rt, masterPid: w.cluster.masterPid }),
  ])
  t.equal(overHttp.exitCode, 0)
  t.equal(native.exitCode, 0)
  t.same(overHttp.statuses.map(s => s.state), ['TASK_FINISHED', 'TASK_FINISHED'])
  t.same(native.statuses.map(s => s.state), ['TASK_FINISHED', 'TASK_FINISHED'])
  t.same([...seen].sort(), ['http', 'native'], 'both were subscribed at the same time')
  t.not(overHttp.frameworkId, native.frameworkId)
})

t.test('follows a 307 from a non-leading master to the leader', async t => {
  const w = await schedulerApiWorld(t)
  const standby = Fastify()
  await standby.register(schedulerApiPlugin({ ...w.deps, core: () => undefined, leader: () => ({ hostname: '127.0.0.1', port: Number(w.address.split(':')[1]) }) }))
  await standby.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => standby.close())
  const standbyAddress = `127.0.0.1:${(standby.server.address() as { port: number }).port}`
  const rec = recordingCallbacks()
  const driver = connectHttpScheduler({ master: standbyAddress, framework: { user: 'u', name: 'redirected' }, callbacks: rec.callbacks, options: quick, logger: memoryLogger([]) })
  t.teardown(() => driver.stop())
  await eventually(() => driver.state === 'subscribed', 'the driver to subscribe at the leader')
  t.equal(rec.of('subscribed').length, 1)
  t.ok(w.cluster.masterCore.frameworks.has(driver.frameworkId!.value))
})

t.test('resubscribes with its framework id after the stream breaks', async t => {
  const w = await schedulerApiWorld(t)
  const rec = recordingCallbacks()
  const driver = connectHttpScheduler({ master: w.address, framework: { user: 'u', name: 'resilient', failover_timeout: 60 }, callbacks: rec.callbacks, options: quick, logger: memoryLogger([]) })
  await eventually(() => driver.state === 'subscribed', 'subscribed')
  const id = driver.frameworkId!.value
  w.app.server.closeAllConnections()
  await eventually(() => rec.of('disconnected').length === 1, 'the disconnected callback')
  await eventually(() => rec.of('subscribed').length === 2, 'a second subscription')
  t.same(rec.of('subscribed')[1]!.slice(0, 1), [{ value: id }], 'the same framework id')
  t.match(rec.of('subscribed')[1]![2], { resubscribed: true })
  t.equal(w.cluster.masterCore.frameworks.get(id)?.connected, true)
  t.same(await driver.stop(), { status: 'stopped' })
  await eventually(() => !w.cluster.masterCore.frameworks.has(id), 'torn down on stop')
})

t.test('a refused subscription aborts the driver with the master\'s message', async t => {
  const w = await schedulerApiWorld(t)
  const rec = recordingCallbacks()
  const driver = connectHttpScheduler({ master: w.address, framework: { user: 'u', name: 'refused', roles: ['a'] }, callbacks: rec.callbacks, options: quick, logger: memoryLogger([]) })
  const outcome = await driver.done
  t.match(outcome, { status: 'aborted', message: /MULTI_ROLE/ })
  t.equal(rec.of('error').length, 1)
})
