import t from 'tap'
import { existsSync, readlinkSync } from 'node:fs'
import { agentWorld, commandTask, runTask, FRAMEWORK, type AgentWorld } from './support/harness.js'

const updates = (w: AgentWorld) => w.seen('StatusUpdate').map(s => s.body.update)
const states = (w: AgentWorld) => updates(w).map(u => u.status.state)
const ack = (w: AgentWorld, u: any) => w.fromMaster('StatusUpdateAcknowledgement', { agent_id: { value: 'A1' }, framework_id: u.framework_id, task_id: u.status.task_id, uuid: u.uuid })

async function world(t: { teardown(fn: () => unknown): void }, options?: Parameters<typeof agentWorld>[0]): Promise<AgentWorld> {
  const w = await agentWorld(options)
  t.teardown(() => w.close())
  return w
}

t.test('registration retries with a doubling random backoff until AgentRegistered', async t => {
  const w = await world(t)
  // Attempt n waits random * min(1 s * 2^n, 1 min) (Mesos registration_backoff_factor 1 s).
  await w.settle(10 * 60_000)
  const times = w.seen('RegisterAgent').map(s => s.at)
  t.ok(times.length >= 10, `kept retrying (${times.length} attempts in 10 min)`)
  t.ok(times[0]! <= 1000 + 5, 'the first attempt comes within the backoff factor')
  times.slice(1).forEach((at, i) => {
    const cap = Math.min(1000 * 2 ** (i + 1), 60_000)
    t.ok(at - times[i]! <= cap + 5, `gap ${i + 1} (${at - times[i]!} ms) is within its cap ${cap} ms`)
  })
  t.match(w.seen('RegisterAgent')[0]!.body, { agent: { hostname: 'h1', resources: [{ name: 'cpus' }] }, version: String })
  t.notOk(w.seen('RegisterAgent')[0]!.body.agent.id, 'no id on first registration')

  w.fromMaster('AgentRegistered', { agent_id: { value: 'A1' }, connection: { total_ping_timeout_seconds: 30 } })
  await w.settle()
  t.equal(w.state(), 'registered')
  const before = w.seen('RegisterAgent').length
  await w.settle(25_000)
  t.equal(w.seen('RegisterAgent').length, before, 'no more attempts once registered')
  t.equal(w.agentRt.metrics.snapshot()['slave/registered'], 1)
})

t.test('pings get pongs; silence or connected:false means reregistering with tasks', async t => {
  const w = await world(t)
  await w.register(30)
  for (let i = 0; i < 3; i++) {
    w.fromMaster('Ping', { connected: true })
    await w.settle(20_000)
  }
  t.equal(w.seen('Pong').length, 3)
  t.equal(w.state(), 'registered', 'pings keep it registered past the 30 s timeout')
  runTask(w, commandTask('t1', 'sleep 100'))
  await w.settle()
  await w.settle(30_000)
  t.same(w.state(), { disconnected: 'waiting' }, 'no ping for 30 s: master lost')
  const rereg = w.seen('ReregisterAgent')
  t.ok(rereg.length >= 1, 'reregistration attempts with backoff')
  t.match(rereg[0]!.body, { agent: { id: { value: 'A1' } }, frameworks: [{ id: { value: 'F1' } }], tasks: [{ task_id: { value: 't1' }, state: 'TASK_RUNNING' }] })
  t.same(rereg[0]!.body.executor_infos, [], 'command executors are not reported')

  // While disconnected nothing is forwarded; AgentReregistered resends the unacknowledged head.
  const sent = w.seen('StatusUpdate').length
  await w.settle(60_000)
  t.equal(w.seen('StatusUpdate').length, sent, 'no status update forwarding while disconnected')
  w.fromMaster('AgentReregistered', { agent_id: { value: 'A1' } })
  await w.settle()
  t.equal(w.state(), 'registered')
  t.equal(w.seen('StatusUpdate').length, sent + 1, 'the head update is resent')
  t.equal(updates(w).at(-1).status.state, 'TASK_STARTING')

  w.fromMaster('Ping', { connected: false })
  await w.settle()
  t.same(w.state(), { disconnected: 'waiting' }, 'connected:false forces reregistration')
})

t.test('a run: STARTING, RUNNING, FINISHED in order, each retried until acknowledged', async t => {
  const w = await world(t)
  await w.register()
  runTask(w, commandTask('t1', 'echo hello'))
  await w.settle()
  t.equal(w.launcher.launched.length, 1, 'the command executor registered and launched')
  const proc = w.launcher.launched[0]!
  t.equal(proc.spec.command.value, 'echo hello')
  t.match(proc.spec.env, { MESOS_TASK_ID: 't1', MESOS_FRAMEWORK_ID: 'F1', MESOS_EXECUTOR_ID: 't1', MESOS_AGENT_ID: 'A1', MESOS_SLAVE_ID: 'A1', MESOS_SANDBOX: proc.spec.sandbox, MESOS_DIRECTORY: proc.spec.sandbox, PATH: '/usr/bin:/bin' })
  t.match(proc.spec.sandbox, /\/slaves\/A1\/frameworks\/F1\/executors\/t1\/runs\/[0-9a-f-]{36}$/)
  t.equal(readlinkSync(proc.spec.sandbox.replace(/[^/]+$/, 'latest')), proc.spec.sandbox, 'latest points at the run')
  t.same(states(w), ['TASK_STARTING'], 'only the head is in flight')
  t.equal(updates(w)[0].status.source, 'SOURCE_EXECUTOR')

  await w.settle(10_000)
  await w.settle(20_000)
  await w.settle(40_000)
  t.same(states(w), ['TASK_STARTING', 'TASK_STARTING', 'TASK_STARTING', 'TASK_STARTING'], 'retried at 10 s, 20 s, 40 s')
  const at = w.seen('StatusUpdate').map(s => s.at)
  t.same(at.slice(1).map((x, i) => Math.round((x - at[i]!) / 1000)), [10, 20, 40])

  proc.exit({ kind: 'exited', code: 0 })
  await w.settle()
  t.equal(w.seen('StatusUpdate').length, 4, 'FINISHED waits behind the unacknowledged updates')
  const starting = updates(w)[0]
  ack(w, starting)
  await w.settle()
  t.same(states(w).slice(4), ['TASK_RUNNING'], 'the ack releases the next update')
  t.equal(updates(w)[4].latest_state, 'TASK_FINISHED', 'latest_state tells the master the task is done')
  ack(w, starting)
  await w.settle()
  t.equal(w.agentRt.metrics.snapshot()['slave/duplicate_status_update_acknowledgements'], 1, 'a duplicate ack is ignored and counted')
  ack(w, { ...starting, uuid: 'AAAAAAAAAAAAAAAAAAAAAA==' })
  await w.settle()
  t.equal(w.agentRt.metrics.snapshot()['slave/unexpected_status_update_acknowledgements'], 1, 'an ack for another uuid is ignored and counted')
  t.equal(w.seen('StatusUpdate').length, 5)
  ack(w, updates(w)[4])
  await w.settle()
  const finished = updates(w)[5]
  t.equal(finished.status.state, 'TASK_FINISHED')
  t.equal(finished.status.message, 'Command exited with status 0')
  ack(w, finished)
  await w.settle()
  t.equal(w.ctx().core.frameworks.size, 0, 'task completed, executor gone, framework removed')
  t.equal(w.ctx().core.sum.streamCount, 0)
  const m = w.agentRt.metrics.snapshot()
  t.equal(m['slave/tasks_finished'], 1)
  t.equal(m['slave/tasks_running'], 0)
  t.equal(m['slave/valid_status_updates'], 3)
  await w.settle(600_000)
  t.equal(w.seen('StatusUpdate').length, 6, 'nothing more is sent')
  t.ok(existsSync(proc.spec.sandbox), 'the sandbox stays')
})

t.test('kill: SIGTERM, SIGKILL after the grace period, TASK_KILLED; unknown task: TASK_LOST', async t => {
  const w = await world(t)
  await w.register()
  runTask(w, commandTask('t1', 'sleep 100', { kill_policy: { grace_period: { nanoseconds: 2e9 } } }))
  await w.settle()
  const proc = w.launcher.launched[0]!
  w.fromMaster('KillTask', { framework_id: { value: 'F1' }, task_id: { value: 't1' } })
  await w.settle()
  t.same(proc.signals, ['SIGTERM'])
  await w.settle(1990)
  t.same(proc.signals, ['SIGTERM', 'SIGKILL'], 'SIGKILL after the task kill policy grace period')
  proc.exit({ kind: 'signaled', signal: 'SIGKILL' })
  await w.settle()
  for (const u of updates(w)) ack(w, u)
  await w.settle()
  for (const u of updates(w).slice(1)) ack(w, u)
  await w.settle()
  for (const u of updates(w).slice(2)) ack(w, u)
  await w.settle()
  const last = updates(w).at(-1)
  t.equal(last.status.state, 'TASK_KILLED')
  t.equal(last.status.message, 'Command terminated with signal Killed')

  w.fromMaster('KillTask', { framework_id: { value: 'F1' }, task_id: { value: 'nope' } })
  await w.settle()
  const lost = updates(w).at(-1)
  t.match(lost.status, { task_id: { value: 'nope' }, state: 'TASK_LOST', reason: 'REASON_EXECUTOR_TERMINATED', source: 'SOURCE_AGENT', message: 'Cannot find executor' })

  runTask(w, commandTask('t2', 'sleep 100'), { ...FRAMEWORK, capabilities: [{ type: 'PARTITION_AWARE' }] })
  await w.settle()
  w.fromMaster('KillTask', { framework_id: { value: 'F1' }, task_id: { value: 'nope2' } })
  await w.settle()
  t.equal(w.seen('StatusUpdate').filter(s => s.body.update.status.task_id.value === 'nope2')[0]?.body.update.status.state, 'TASK_DROPPED', 'partition-aware frameworks get TASK_DROPPED')
})

t.test('ShutdownFramework kills its executors and forgets it; sandboxes stay', async t => {
  const w = await world(t, { flags: { executorShutdownGracePeriodMs: 5000 } })
  await w.register()
  runTask(w, commandTask('t1', 'sleep 100'))
  runTask(w, commandTask('t2', 'sleep 100'))
  await w.settle()
  t.equal(w.launcher.launched.length, 2)
  w.fromMaster('ShutdownFramework', { framework_id: { value: 'F1' } })
  await w.settle()
  for (const p of w.launcher.launched) t.same(p.signals, ['SIGTERM'])
  await w.settle(3000)
  for (const p of w.launcher.launched) t.same(p.signals, ['SIGTERM', 'SIGKILL'], 'SIGKILL at shutdown grace - 2 s')
  w.launcher.launched[0]!.exit({ kind: 'signaled', signal: 'SIGKILL' })
  await w.settle()
  t.equal(w.ctx().core.frameworks.get('F1')?.executors.size, 1, 'one executor left')
  await w.settle(2000)
  t.equal(w.ctx().core.frameworks.size, 0, 'the stuck executor is destroyed after the grace period')
  t.equal(w.launcher.destroyed.length, 2, 'both containers destroyed')
  t.ok(existsSync(w.launcher.launched[0]!.spec.sandbox))
  const before = w.seen('StatusUpdate').length
  await w.settle(60_000)
  t.equal(w.seen('StatusUpdate').length, before, 'no updates are retried for a shut down framework')
})

t.test('ReconcileTasks: unknown tasks get TASK_LOST with REASON_RECONCILIATION', async t => {
  const w = await world(t)
  await w.register()
  runTask(w, commandTask('t1', 'sleep 100'))
  await w.settle()
  w.seen().length = 0
  w.fromMaster('ReconcileTasks', {
    framework_id: { value: 'F1' },
    statuses: [
      { task_id: { value: 't1' }, state: 'TASK_RUNNING' },
      { task_id: { value: 'ghost' }, state: 'TASK_RUNNING' },
    ],
  })
  await w.settle()
  const us = updates(w).filter(u => u.status.task_id.value === 'ghost')
  t.equal(us.length, 1)
  t.match(us[0].status, { state: 'TASK_LOST', reason: 'REASON_RECONCILIATION', message: 'Reconciliation: task unknown to the agent' })
  t.equal(updates(w).filter(u => u.status.task_id.value === 't1' && u.status.state !== 'TASK_STARTING').length, 0, 'known tasks need nothing')
})

t.test('a kill before the executor registers answers TASK_KILLED from the agent', async t => {
  const w = await world(t)
  await w.register()
  w.net.setDelay(50, 50)
  // Both arrive before the executor's RegisterExecutor (one link keeps its order).
  runTask(w, commandTask('t1', 'sleep 100'))
  w.fromMaster('KillTask', { framework_id: { value: 'F1' }, task_id: { value: 't1' } })
  await w.settle(60)
  t.equal(w.launcher.launched.length, 0)
  await w.settle(500)
  const u = updates(w).find(x => x.status.task_id.value === 't1')
  t.match(u?.status, { state: 'TASK_KILLED', reason: 'REASON_TASK_KILLED_DURING_LAUNCH', source: 'SOURCE_AGENT' })
  t.equal(w.launcher.launched.length, 0, 'the task never reaches the executor')
})

t.test('custom executors and task groups are refused with a clear status', async t => {
  const w = await world(t)
  await w.register()
  runTask(w, { ...commandTask('t1', 'x'), executor: { executor_id: { value: 'e1' }, command: { value: 'my-executor' } } } as any)
  w.fromMaster('RunTaskGroup', { framework: FRAMEWORK, framework_id: { value: 'F1' }, executor: { executor_id: { value: 'e2' } }, task_group: { tasks: [commandTask('g1', 'true')] } })
  await w.settle()
  const [a, b] = updates(w)
  t.match(a.status, { task_id: { value: 't1' }, state: 'TASK_FAILED', reason: 'REASON_CONTAINER_LAUNCH_FAILED', message: /custom executor 'e1' needs the v1 executor HTTP API/ })
  ack(w, a)
  await w.settle()
  t.match(updates(w).find(u => u.status.task_id.value === 'g1')?.status, { state: 'TASK_ERROR', reason: 'REASON_TASK_GROUP_INVALID', message: /task groups/ })
  void b
})

t.test('RunTask for another agent id is answered lost, not run; one from someone else is ignored', async t => {
  const w = await world(t)
  await w.register()
  runTask(w, { ...commandTask('t1', 'true'), agent_id: { value: 'OTHER' } })
  runTask(w, { ...commandTask('t3', 'true'), agent_id: { value: 'OTHER' } }, { ...FRAMEWORK, capabilities: [{ type: 'PARTITION_AWARE' }] })
  w.agentRt.send('intruder@h1', w.agent.pid, 'RunTask', { framework: FRAMEWORK, framework_id: { value: 'F1' }, task: commandTask('t2', 'true') })
  await w.settle(100)
  t.equal(w.launcher.launched.length, 0)
  t.equal(w.ctx().core.frameworks.size, 0)
  // Silence would leave the task TASK_STAGING at the master for ever (cluster/sim K10).
  const [lost] = updates(w)
  t.match(lost, { agent_id: { value: 'A1' }, status: { task_id: { value: 't1' }, state: 'TASK_LOST', reason: 'REASON_AGENT_UNKNOWN', source: 'SOURCE_AGENT', message: /meant for agent OTHER, but this agent is A1/ } })
  ack(w, lost)
  await w.settle()
  t.match(updates(w).at(-1), { status: { task_id: { value: 't3' }, state: 'TASK_DROPPED' } }, 'TASK_DROPPED for a partition-aware framework')
  t.equal(updates(w).filter(u => u.status.task_id.value === 't2').length, 0)
})

t.test('ShutdownAgent kills everything and stops the agent', async t => {
  const w = await world(t)
  await w.register()
  runTask(w, commandTask('t1', 'sleep 100'))
  await w.settle()
  w.fromMaster('ShutdownAgent', { message: 'bye' })
  await w.settle()
  t.same(w.launcher.launched[0]!.signals, ['SIGTERM'])
  w.launcher.launched[0]!.exit({ kind: 'signaled', signal: 'SIGTERM' })
  await w.settle()
  t.equal(w.agent.alive, false, 'the agent actor stopped')
})

t.test('an AgentRegistered/AgentReregistered for another agent id leaves the agent disconnected (sim K6)', async t => {
  const w = await world(t)
  await w.settle(1000)
  // A fresh agent (no id) hears an AgentReregistered meant for its dead predecessor on this pid.
  w.fromMaster('AgentReregistered', { agent_id: { value: 'OLD' } })
  await w.settle()
  t.same(w.state(), { disconnected: 'waiting' }, 'not registered without an id')
  t.equal(w.ctx().core.agentId, undefined)
  w.fromMaster('AgentRegistered', { agent_id: { value: 'A1' } })
  await w.settle()
  t.equal(w.state(), 'registered')
  w.fromMaster('Ping', { connected: false })
  await w.settle()
  t.same(w.state(), { disconnected: 'waiting' })
  w.fromMaster('AgentRegistered', { agent_id: { value: 'A2' } })
  w.fromMaster('AgentReregistered', { agent_id: { value: 'A2' } })
  await w.settle()
  t.same(w.state(), { disconnected: 'waiting' }, 'replies for another id are ignored')
  t.equal(w.ctx().core.agentId, 'A1')
  w.fromMaster('AgentReregistered', { agent_id: { value: 'A1' } })
  await w.settle()
  t.equal(w.state(), 'registered', 'its own id registers it')
})
