// Agent checkpointing and recovery on the sim transport and a SimClock: the in-memory checkpoint
// store outlives the agent's "process" (its runtime is crashed and a new one started on the same
// node), the fake launcher's processes outlive it too, as real task processes do.
import t from 'tap'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { silentLogger } from '../../../runtime/index.js'
import {
  CheckpointError,
  cleanupCheckpoint,
  FileCheckpointStore,
  MemoryCheckpointStore,
  readCheckpoint,
  readExitStatus,
  StatusUpdateManager,
  type CheckpointStore,
} from '../../../actors/agent/index.js'
import { SimClock } from '../../../runtime/index.js'
import { agentWorld, commandTask, runTask, FakeLauncher, FRAMEWORK, type AgentWorld } from './support/harness.js'

const CHECKPOINTING = { ...FRAMEWORK, checkpoint: true }
const log = silentLogger()
const updates = (w: AgentWorld) => w.seen('StatusUpdate').map(s => s.body.update)
const states = (w: AgentWorld) => updates(w).map(u => u.status.state)
const ack = (w: AgentWorld, u: any) => w.fromMaster('StatusUpdateAcknowledgement', { agent_id: { value: 'A1' }, framework_id: u.framework_id, task_id: u.status.task_id, uuid: u.uuid })

async function world(t: { teardown(fn: () => unknown): void }, checkpoint: CheckpointStore, launcher?: FakeLauncher): Promise<AgentWorld> {
  const w = await agentWorld({ checkpoint, launcher })
  t.teardown(() => w.close())
  return w
}

async function restart(w: AgentWorld, store: CheckpointStore, launcher?: FakeLauncher): Promise<void> {
  await w.restartAgent({ checkpoint: store, recovered: readCheckpoint(store, true, log), launcher })
  await w.settle(1000)
}

t.test('a checkpointing framework\'s task survives an agent restart; unacknowledged updates are re-sent', async t => {
  const store = new MemoryCheckpointStore()
  const w = await world(t, store)
  await w.register()
  runTask(w, commandTask('t1', 'sleep 100'), CHECKPOINTING)
  await w.settle()
  t.same(states(w), ['TASK_STARTING'])
  ack(w, updates(w)[0])
  await w.settle()
  t.same(states(w), ['TASK_STARTING', 'TASK_RUNNING'], 'RUNNING forwarded, and not acknowledged')
  const running = updates(w)[1]

  const cp = store.recover()!
  t.equal(cp.agentInfo.id?.value, 'A1', 'the agent info is checkpointed with its id')
  t.match(cp.frameworks, [{ id: 'F1', info: { checkpoint: true }, executors: [{ id: 't1', run: { tasks: [{ info: { task_id: { value: 't1' } } }] } }] }])
  const records = cp.frameworks[0]!.executors[0]!.run.tasks[0]!.records
  t.same(records.map(r => ('ack' in r ? 'ack' : r.update.status.state)), ['TASK_STARTING', 'TASK_RUNNING', 'ack'], 'updates and acks in order')

  w.seen().length = 0
  await restart(w, store)
  t.equal(w.launcher.launched.length, 1, 'nothing relaunched')
  t.equal(w.launcher.recovered.length, 1, 'the run was re-adopted through the launcher')
  const rereg = w.seen('ReregisterAgent')
  t.ok(rereg.length >= 1, 'the recovered agent reregisters')
  t.equal(w.seen('RegisterAgent').length, 0, 'and does not register afresh')
  t.match(rereg[0]!.body, { agent: { id: { value: 'A1' } }, frameworks: [{ id: { value: 'F1' } }], tasks: [{ task_id: { value: 't1' }, state: 'TASK_RUNNING' }] })
  // The update the framework is being sent, so the master answers reconciliation with it (Mesos).
  t.match(rereg[0]!.body.tasks[0], { status_update_state: 'TASK_RUNNING', status_update_uuid: running.uuid }, 'with the unacknowledged update as status_update_state')
  t.equal(updates(w).length, 0, 'nothing is forwarded before the master readmits the agent')

  w.fromMaster('AgentReregistered', { agent_id: { value: 'A1' }, connection: { total_ping_timeout_seconds: 86_400 } })
  await w.settle()
  t.equal(w.state(), 'registered')
  t.same(states(w), ['TASK_RUNNING'], 'the unacknowledged update is re-sent')
  t.equal(updates(w)[0].uuid, running.uuid, 'the very same update (same uuid)')
  ack(w, updates(w)[0])
  await w.settle()

  w.launcher.launched[0]!.exit({ kind: 'exited', code: 0 })
  await w.settle()
  const finished = updates(w).at(-1)
  t.match(finished.status, { state: 'TASK_FINISHED', message: 'Command exited with status 0', source: 'SOURCE_EXECUTOR' })
  ack(w, finished)
  await w.settle()
  t.equal(w.ctx().core.frameworks.size, 0, 'the task completed after the restart')
  t.equal(w.ctx().core.sum.streamCount, 0)
})

t.test('a new leading master after a recovery does not make the agent recover its checkpoint again', async t => {
  // Found by the simulation (seed 144): NewMasterDetected re-enters the machine's root, whose
  // entry is the recovery; re-run with the state read at start, it resent acknowledged updates.
  const store = new MemoryCheckpointStore()
  const w = await world(t, store)
  await w.register()
  runTask(w, commandTask('t1', 'sleep 100'), CHECKPOINTING)
  await w.settle()
  ack(w, updates(w)[0])
  await w.settle()
  await restart(w, store)
  w.fromMaster('AgentReregistered', { agent_id: { value: 'A1' }, connection: { total_ping_timeout_seconds: 86_400 } })
  await w.settle()
  t.same(states(w).slice(-1), ['TASK_RUNNING'], 'the unacknowledged RUNNING is re-sent')
  ack(w, updates(w).at(-1))
  await w.settle()
  w.seen().length = 0
  w.agent.send({ type: 'NewMasterDetected', masterPid: w.master.pid })
  await w.settle(1000)
  w.fromMaster('AgentReregistered', { agent_id: { value: 'A1' }, connection: { total_ping_timeout_seconds: 86_400 } })
  await w.settle()
  t.same(states(w), [], 'nothing acknowledged is sent again')
  t.equal(w.launcher.recovered.length, 1, 'the run was re-adopted once')
})

t.test('a run whose process ended while the agent was down: its exit status, or TASK_FAILED if unknown', async t => {
  const store = new MemoryCheckpointStore()
  const w = await world(t, store)
  await w.register()
  runTask(w, commandTask('t1', 'exit 3'), CHECKPOINTING)
  runTask(w, commandTask('t2', 'sleep 100'), CHECKPOINTING)
  await w.settle()
  const p1 = w.launcher.launched.find(p => p.spec.env.MESOS_TASK_ID === 't1')
  // t1 ends while the agent is down; t2's process is unknown to the new launcher below.
  const launcher = new FakeLauncher()
  launcher.launched.push(p1!)
  await w.restartAgent({ checkpoint: store, recovered: readCheckpoint(store, true, log), launcher })
  p1!.exit({ kind: 'exited', code: 3 })
  await w.settle(1000)
  w.seen().length = 0
  w.fromMaster('AgentReregistered', { agent_id: { value: 'A1' }, connection: { total_ping_timeout_seconds: 86_400 } })
  await w.settle()
  // Each stream's head (STARTING, never acknowledged) first; ack our way to the terminal ones.
  for (let i = 0; i < 4; i++) {
    for (const u of updates(w)) ack(w, u)
    await w.settle()
  }
  const terminal = (id: string) => updates(w).filter(u => u.status.task_id.value === id).at(-1)?.status
  t.match(terminal('t1'), { state: 'TASK_FAILED', message: 'Command exited with status 3' })
  t.match(terminal('t2'), { state: 'TASK_FAILED', message: /could not learn the exit status: no process was started/ })
  t.equal(launcher.launched.length, 1, 'nothing relaunched')
})

t.test('a framework without checkpoint: nothing is recorded but its run, whose process is killed on recovery', async t => {
  const store = new MemoryCheckpointStore()
  const w = await world(t, store)
  await w.register()
  runTask(w, commandTask('t1', 'sleep 100'))
  w.fromMaster('RunTask', { framework: { ...CHECKPOINTING, id: { value: 'F2' } }, framework_id: { value: 'F2' }, task: commandTask('c1', 'sleep 100') })
  await w.settle()
  const plain = w.launcher.launched.find(p => p.spec.env.MESOS_TASK_ID === 't1')
  const cp = store.recover()!
  t.same(cp.frameworks.map(f => f.id), ['F2'], 'only the checkpointing framework is recorded')
  t.same(cp.orphanRuns.map(r => r.ids.executorId), ['t1'], 'the other run is known, to be cleaned up')
  await restart(w, store)
  t.same(w.launcher.destroyed, [plain!.spec.containerId], 'its leftover process is killed')
  const rereg = w.seen('ReregisterAgent').at(-1)!.body
  t.same(rereg.tasks.map((x: any) => x.task_id.value), ['c1'], 'only the checkpointed task is reported')
  // The master then reconciles t1, which the agent no longer knows: TASK_LOST.
  w.seen().length = 0
  w.fromMaster('AgentReregistered', { agent_id: { value: 'A1' }, reconciliations: [{ framework_id: { value: 'F1' }, statuses: [{ task_id: { value: 't1' }, state: 'TASK_RUNNING' }] }] })
  await w.settle()
  t.match(updates(w).find(u => u.status.task_id.value === 't1')?.status, { state: 'TASK_LOST', reason: 'REASON_RECONCILIATION' })
  // An answer to a retry that crossed the first one reconciles too (Mesos does in every state).
  w.fromMaster('AgentReregistered', { agent_id: { value: 'A1' }, reconciliations: [{ framework_id: { value: 'F1' }, statuses: [{ task_id: { value: 't9' }, state: 'TASK_RUNNING' }] }] })
  await w.settle()
  t.match(updates(w).find(u => u.status.task_id.value === 't9')?.status, { state: 'TASK_LOST', reason: 'REASON_RECONCILIATION' }, 'already reregistered: still reconciled')
})

t.test('--recover=cleanup kills every run the previous agent left and forgets the checkpoint', async t => {
  const store = new MemoryCheckpointStore()
  const w = await world(t, store)
  await w.register()
  runTask(w, commandTask('t1', 'sleep 100'))
  runTask(w, commandTask('t2', 'sleep 100'), CHECKPOINTING)
  await w.settle()
  const killed = cleanupCheckpoint(store, w.launcher, w.clock, log)
  t.equal(killed, 2)
  t.same(new Set(w.launcher.destroyed), new Set(w.launcher.launched.map(p => p.spec.containerId)))
  t.equal(store.recover(), undefined, 'the next agent starts afresh')
})

t.test('the status update manager journals before it forwards, and replays without journaling', async t => {
  const clock = new SimClock()
  const events: string[] = []
  const journal = { update: (u: any) => events.push(`journal ${u.uuid}`), acknowledge: (_f: string, _t: string, uuid: string) => events.push(`ack ${uuid}`) }
  const sum = new StatusUpdateManager({ clock, forward: u => events.push(`forward ${u.uuid}`), journal })
  const u = (uuid: string, state = 'TASK_RUNNING') => ({ framework_id: { value: 'F' }, uuid, status: { task_id: { value: 'T' }, state } }) as any
  sum.update(u('a'))
  sum.acknowledge('F', 'T', 'a')
  t.same(events, ['journal a', 'forward a', 'ack a'])
  events.length = 0
  const fresh = new StatusUpdateManager({ clock, forward: x => events.push(`forward ${x.uuid}`), journal })
  fresh.pause()
  fresh.replay('F', 'T', [{ update: u('a') }, { update: u('b', 'TASK_FINISHED') }, { ack: 'a' }])
  t.same(events, [], 'nothing journaled or forwarded while replaying (paused)')
  fresh.resume()
  t.same(events, ['forward b'], 'the unacknowledged update goes out on resume')
  sum.close()
  fresh.close()
})

t.test('the file store: Mesos layout, atomic writes, clear errors for bad files', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'mesos-ts-checkpoint-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const store = new FileCheckpointStore(dir)
  t.equal(store.recover(true), undefined, 'no checkpoint: a fresh agent')
  const ids = { agentId: 'A1', frameworkId: 'F1', executorId: 'e1', containerId: 'c1' }
  store.writeAgentInfo({ id: { value: 'A1' }, hostname: 'h1', resources: [] } as any)
  store.writeFramework('A1', 'F1', { user: 'u', name: 'fw', checkpoint: true } as any, 'scheduler-1@f1')
  store.writeRun(ids, { executor_id: { value: 'e1' } } as any)
  store.writeTask(ids, commandTask('t1', 'sleep 1') as any)
  const update = (uuid: string, state: string) => ({ framework_id: { value: 'F1' }, uuid, timestamp: 1, status: { task_id: { value: 't1' }, state } }) as any
  store.appendUpdate(ids, update('u1', 'TASK_RUNNING'))
  store.appendAck(ids, 't1', 'u1')
  store.writeRun({ ...ids, frameworkId: 'F9', executorId: 'x', containerId: 'c9' }, undefined)
  const meta = join(dir, 'meta', 'slaves')
  const fwDir = join(meta, 'A1', 'frameworks', 'F1')
  const taskDir = join(fwDir, 'executors', 'e1', 'runs', 'c1', 'tasks', 't1')
  t.equal(readFileSync(join(fwDir, 'framework.pid'), 'utf8'), 'scheduler-1@f1')
  t.match(JSON.parse(readFileSync(join(taskDir, 'task.info'), 'utf8')), { task_id: { value: 't1' } })
  t.equal(readFileSync(join(taskDir, 'task.updates'), 'utf8').split('\n').length, 3, 'two records, one a line')

  const cp = store.recover(true)!
  t.equal(cp.agentInfo.id?.value, 'A1')
  t.match(cp.frameworks, [{ id: 'F1', pid: 'scheduler-1@f1', executors: [{ id: 'e1', run: { ids, tasks: [{ records: [{ update: { uuid: 'u1' } }, { ack: 'u1' }] }] } }] }])
  t.same(cp.orphanRuns.map(r => r.ids.frameworkId), ['F9'])

  // A crash mid-append leaves a truncated last line: dropped with a note, not an error.
  writeFileSync(join(taskDir, 'task.updates'), `${readFileSync(join(taskDir, 'task.updates'), 'utf8')}{"update":{"framew`)
  const truncated = store.recover(true)!
  t.equal(truncated.frameworks[0]!.executors[0]!.run.tasks[0]!.records.length, 2)
  t.match(truncated.errors[0]!.message, /task\.updates:3: the last record is truncated/)
  t.equal(readFileSync(join(taskDir, 'task.updates'), 'utf8').split('\n').length, 3, 'the partial record is cut off the file')
  store.appendAck(ids, 't1', 'u2')
  t.equal(store.recover(true)!.frameworks[0]!.executors[0]!.run.tasks[0]!.records.length, 3, 'so later records follow the complete ones')

  // A corrupt info file is a CheckpointError naming it; --strict=false skips its framework.
  mkdirSync(join(meta, 'A1', 'frameworks', 'F2'), { recursive: true })
  writeFileSync(join(meta, 'A1', 'frameworks', 'F2', 'framework.info'), '{"user": "u", "na')
  const strictError = (() => {
    try {
      store.recover(true)
    } catch (err) {
      return err
    }
  })()
  t.ok(strictError instanceof CheckpointError, 'a CheckpointError')
  t.match((strictError as Error).message, /frameworks\/F2\/framework\.info: is truncated or corrupt/, 'naming the file')
  const lenient = store.recover(false)!
  t.same(lenient.frameworks.map(f => f.id), ['F1'], 'the rest is recovered')
  t.ok(lenient.errors.some(e => /F2\/framework\.info$/.test(e.file)), 'the skipped file is reported')
  writeFileSync(join(meta, 'A1', 'frameworks', 'F2', 'framework.info'), '{"user": 7}')
  t.throws(() => store.recover(true), /F2\/framework\.info: not a valid FrameworkInfo/)
  rmSync(join(meta, 'A1', 'frameworks', 'F2'), { recursive: true })

  // A corrupt record in the middle of a stream cannot be skipped silently.
  writeFileSync(join(taskDir, 'task.updates'), '{"ack":"u0"}\nnot json\n{"ack":"u1"}\n')
  t.throws(() => store.recover(true), /task\.updates:2: is corrupt/)

  store.clear()
  t.equal(store.recover(true), undefined, 'cleared')
})

t.test('exit.status: code, signal, or a clear reason it is unknown', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'mesos-ts-exit-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  t.match(readExitStatus(dir), { kind: 'failed', error: /could not learn the exit status: .*exit\.status is missing/ })
  writeFileSync(join(dir, 'exit.status'), '0\n')
  t.same(readExitStatus(dir), { kind: 'exited', code: 0 })
  writeFileSync(join(dir, 'exit.status'), '137\n')
  t.same(readExitStatus(dir), { kind: 'signaled', signal: 'SIGKILL' })
  writeFileSync(join(dir, 'exit.status'), 'garbage')
  t.match(readExitStatus(dir), { kind: 'failed', error: /holds 'garbage'/ })
})

t.test('emulated executors die with the agent: their checkpointed tasks fail on recovery', async t => {
  const store = new MemoryCheckpointStore()
  const w = await agentWorld({ executor: 'emulated', checkpoint: store })
  t.teardown(() => w.close())
  await w.register()
  runTask(w, { ...commandTask('e1', 'x'), labels: { labels: [{ key: 'emulated_duration_ms', value: '1000000' }] } } as any, CHECKPOINTING)
  await w.settle()
  t.same(states(w), ['TASK_RUNNING'])
  ack(w, updates(w)[0])
  await w.settle()
  await restart(w, store)
  t.match(w.seen('ReregisterAgent').at(-1)!.body.tasks, [{ task_id: { value: 'e1' }, state: 'TASK_FAILED' }], 'reported as failed')
  w.seen().length = 0
  w.fromMaster('AgentReregistered', { agent_id: { value: 'A1' } })
  await w.settle()
  t.match(updates(w)[0]?.status, { task_id: { value: 'e1' }, state: 'TASK_FAILED', source: 'SOURCE_AGENT', reason: 'REASON_EXECUTOR_TERMINATED', message: /could not be recovered/ })
})
