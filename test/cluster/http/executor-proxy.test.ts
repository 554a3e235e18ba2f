// The HTTP executor's proxy actor with a real agent actor in virtual time (the agent harness: a
// recording master, a fake launcher): SUBSCRIBE as RegisterExecutor, the agent's messages as v1
// events, UPDATE/MESSAGE as the executor's messages, resubscription, SHUTDOWN, the program's exit,
// and --executor_registration_timeout.
import t from 'tap'
import Fastify from 'fastify'
import { silentLogger } from '../../../runtime/index.js'
import { executorApiPlugin, resolveOnAgent } from '../../../cluster/http/executor-api.js'
import { executorSpawner } from '../../../actors/executor/index.js'
import { CustomExecutors, customExecutorSpawner, type ExecutorProxyEvent } from '../../../cluster/http/executor-proxy.js'
import { agentWorld, commandTask, FRAMEWORK, runTask, type AgentWorld } from '../../actors/agent/support/harness.js'

class RecordingStream {
  readonly records: Array<Record<string, any>> = []
  ended = false
  write(record: unknown): boolean {
    if (this.ended) return false
    this.records.push(record as Record<string, any>)
    return true
  }
  end(): void {
    this.ended = true
  }
  types(): string[] {
    return this.records.map(r => r.type)
  }
}

async function world(t: { teardown(fn: () => unknown): void }, flags = {}): Promise<{ w: AgentWorld; executors: CustomExecutors }> {
  const executors = new CustomExecutors()
  const w = await agentWorld({ flags, spawnExecutor: rt => customExecutorSpawner(rt, executorSpawner(rt), { executors, endpointFor: () => '10.0.0.1:5051' }) })
  t.teardown(() => w.close())
  await w.register()
  return { w, executors }
}

const customTask = (id: string, executorId: string) => ({
  ...commandTask(id, 'unused'),
  command: undefined,
  executor: { executor_id: { value: executorId }, command: { value: './my-executor --fast', environment: { variables: [{ name: 'OWN', value: 'yes' }] } } },
})
const uuidOf = (n: number) => Buffer.alloc(16, n).toString('base64')
const updates = (w: AgentWorld) => w.seen('StatusUpdate').map(s => s.body.update)

t.test('SUBSCRIBE, LAUNCH, UPDATE, ACKNOWLEDGED, KILL, MESSAGE, resubscribe, SHUTDOWN, exit', async t => {
  const { w, executors } = await world(t)
  runTask(w, customTask('t1', 'e1') as never)
  await w.settle()
  t.equal(w.launcher.launched.length, 1, 'the program was launched')
  const spec = w.launcher.launched[0]!.spec
  t.same(spec.command, { shell: true, value: './my-executor --fast' })
  t.match(spec.env, { MESOS_AGENT_ENDPOINT: '10.0.0.1:5051', MESOS_FRAMEWORK_ID: 'F1', MESOS_EXECUTOR_ID: 'e1', MESOS_AGENT_ID: 'A1', MESOS_CHECKPOINT: '0', MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD: '5secs', OWN: 'yes', PATH: '/usr/bin:/bin' })
  t.equal(spec.env.MESOS_SANDBOX, spec.sandbox)
  t.equal(spec.env.MESOS_DIRECTORY, spec.sandbox)
  const proxy = executors.get(w.agent.pid, 'F1', 'e1')!
  t.ok(proxy, 'the proxy is registered for the executor API')
  const send = (e: ExecutorProxyEvent) => proxy.send(e as unknown as { type: string })

  const s1 = new RecordingStream()
  send({ type: 'http.subscribe', stream: s1, subscribe: {} })
  await w.settle()
  t.same(s1.types(), ['SUBSCRIBED', 'LAUNCH'])
  t.match(s1.records[0]!.subscribed, { executor_info: { executor_id: { value: 'e1' } }, framework_info: { name: 'fw' }, agent_info: { id: { value: 'A1' } }, container_id: { value: String } })
  t.equal(s1.records[1]!.launch.task.task_id.value, 't1')

  const status = { task_id: { value: 't1' }, state: 'TASK_RUNNING' as const, source: 'SOURCE_EXECUTOR' as const, uuid: uuidOf(1) }
  const update = { framework_id: { value: 'F1' }, executor_id: { value: 'e1' }, agent_id: { value: 'A1' }, status, timestamp: 1, uuid: uuidOf(1) }
  send({ type: 'http.update', update })
  await w.settle()
  t.match(updates(w).at(-1), { status: { task_id: { value: 't1' }, state: 'TASK_RUNNING', source: 'SOURCE_EXECUTOR' }, uuid: uuidOf(1) }, 'the master gets the update')
  t.same(s1.records.at(-1), { type: 'ACKNOWLEDGED', acknowledged: { task_id: { value: 't1' }, uuid: uuidOf(1) } })
  // The framework acknowledges too, so the agent forwards the task's next update.
  w.fromMaster('StatusUpdateAcknowledgement', { agent_id: { value: 'A1' }, framework_id: { value: 'F1' }, task_id: { value: 't1' }, uuid: uuidOf(1) })

  w.fromMaster('KillTask', { framework_id: { value: 'F1' }, task_id: { value: 't1' }, kill_policy: { grace_period: { nanoseconds: 1e9 } } })
  w.fromMaster('FrameworkToExecutorMessage', { agent_id: { value: 'A1' }, framework_id: { value: 'F1' }, executor_id: { value: 'e1' }, data: 'aGk=' })
  send({ type: 'http.message', data: 'aG8=' })
  await w.settle()
  t.same(s1.records.slice(-2), [
    { type: 'KILL', kill: { task_id: { value: 't1' }, kill_policy: { grace_period: { nanoseconds: 1e9 } } } },
    { type: 'MESSAGE', message: { data: 'aGk=' } },
  ])
  t.match(w.seen('ExecutorToFrameworkMessage')[0]?.body, { framework_id: { value: 'F1' }, executor_id: { value: 'e1' }, data: 'aG8=' })

  // Mesos's heartbeat, every 30 minutes of a connection.
  await w.settle(30 * 60_000)
  t.same(s1.records.at(-1), { type: 'HEARTBEAT' })

  // A new connection replaces the old: SUBSCRIBED again, unacknowledged updates resent.
  const s2 = new RecordingStream()
  send({ type: 'http.subscribe', stream: s2, subscribe: { unacknowledged_updates: [{ status }] } })
  await w.settle()
  t.ok(s1.ended, 'the old stream is ended')
  t.same(s2.types(), ['SUBSCRIBED', 'ACKNOWLEDGED'])
  t.equal(updates(w).filter(u => u.uuid === uuidOf(1)).length, 1, 'the resent update is a duplicate: not forwarded again')

  // Disconnected: events are dropped, not queued; the executor lives on.
  send({ type: 'http.closed', stream: s2 })
  w.fromMaster('FrameworkToExecutorMessage', { agent_id: { value: 'A1' }, framework_id: { value: 'F1' }, executor_id: { value: 'e1' }, data: 'aGk=' })
  await w.settle()
  t.equal(s2.records.length, 2)
  t.ok(proxy.alive)

  const s3 = new RecordingStream()
  send({ type: 'http.subscribe', stream: s3, subscribe: {} })
  send({ type: 'http.update', update: { ...update, status: { ...status, state: 'TASK_KILLED', uuid: uuidOf(2) }, uuid: uuidOf(2) } })
  await w.settle()
  w.fromMaster('ShutdownExecutor', { framework_id: { value: 'F1' }, executor_id: { value: 'e1' } })
  await w.settle()
  t.same(s3.types(), ['SUBSCRIBED', 'ACKNOWLEDGED', 'SHUTDOWN'])

  // The program exits: the proxy ends, the agent hears its pid exit.
  w.launcher.launched[0]!.exit({ kind: 'exited', code: 0 })
  await w.settle()
  t.notOk(proxy.alive, 'the proxy stopped')
  t.ok(s3.ended, 'the stream ended')
  t.equal(executors.size, 0, 'the proxy left the registry')
  t.match(w.seen('ExitedExecutor')[0]?.body, { framework_id: { value: 'F1' }, executor_id: { value: 'e1' } })
  t.same(updates(w).map(u => u.status.state), ['TASK_RUNNING', 'TASK_KILLED'], 'no agent-made update: the task was terminal')
})

t.test('a program that never subscribes: its tasks fail after --executor_registration_timeout', async t => {
  const { w, executors } = await world(t)
  runTask(w, customTask('t1', 'e1') as never)
  runTask(w, customTask('t2', 'e1') as never)
  await w.settle()
  t.equal(w.launcher.launched.length, 1, 'one program for both tasks')
  await w.settle(59_000)
  t.same(updates(w), [], 'nothing before the timeout')
  await w.settle(1_100)
  const failed = updates(w)
  t.same(failed.map(u => [u.status.task_id.value, u.status.state, u.status.reason, u.status.message]), [
    ['t1', 'TASK_FAILED', 'REASON_EXECUTOR_REGISTRATION_TIMEOUT', 'Executor did not register within 1mins'],
    ['t2', 'TASK_FAILED', 'REASON_EXECUTOR_REGISTRATION_TIMEOUT', 'Executor did not register within 1mins'],
  ])
  t.ok(w.launcher.destroyed.length >= 1, 'the container was destroyed')
  t.equal(executors.size, 0)
  t.equal(executors.get(w.agent.pid, 'F1', 'e1'), undefined)

  // A late SUBSCRIBE (the tasks' failures not yet acknowledged, so the agent still knows the
  // executor) gets a stream of one SHUTDOWN, as Mesos answers a terminated executor.
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(executorApiPlugin({ log: silentLogger(), metrics: w.agentRt.metrics, resolve: call => resolveOnAgent(w.ctx().core, (fw, ex) => executors.get(w.agent.pid, fw, ex), call) }))
  const ids = { framework_id: { value: 'F1' }, executor_id: { value: 'e1' } }
  const late = await app.inject({ method: 'POST', url: '/api/v1/executor', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ ...ids, type: 'SUBSCRIBE', subscribe: {} }) })
  t.equal(late.statusCode, 200)
  t.equal(late.body, '19\n{"type":"SHUTDOWN"}')
  const message = await app.inject({ method: 'POST', url: '/api/v1/executor', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ ...ids, type: 'MESSAGE', message: { data: 'aGk=' } }) })
  t.equal(message.statusCode, 403)
  t.equal(message.body, "Executor 'e1' of framework F1 is terminated")
})

t.test('a program that cannot be launched fails its task at once', async t => {
  const { w } = await world(t)
  w.launcher.failWith = "failed to execute './my-executor': no such executable file"
  runTask(w, customTask('t1', 'e1') as never)
  await w.settle()
  t.match(updates(w)[0]?.status, { state: 'TASK_FAILED', reason: 'REASON_CONTAINER_LAUNCH_FAILED', message: /failed to start executor 'e1': failed to execute/ })
})

t.test('an emulated agent keeps running tasks with an ExecutorInfo in its emulated executors', async t => {
  const executors = new CustomExecutors()
  const w = await agentWorld({ executor: 'emulated', spawnExecutor: rt => customExecutorSpawner(rt, executorSpawner(rt), { executors }) })
  t.teardown(() => w.close())
  await w.register()
  runTask(w, customTask('t1', 'e1') as never, FRAMEWORK)
  await w.settle(100)
  t.equal(executors.size, 0)
  t.match(updates(w)[0]?.status, { state: 'TASK_RUNNING' })
})
