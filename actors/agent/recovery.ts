// Agent recovery after a restart (Mesos: Slave::recover, docs/agent-recovery.md). The checkpoint
// (checkpoint-store.ts) is read before the agent actor starts (readCheckpoint: a bad file is a
// CheckpointError naming it, fatal with --strict); the agent actor then rebuilds its frameworks,
// executors, tasks and update streams from it (recoverExecutors), re-adopts the runs whose process
// is still alive, and kills the leftovers of frameworks that do not checkpoint (killOrphanRuns).
// It reregisters with the recovered id; resuming the status update manager then resends every
// update that was not acknowledged.
//
// `--recover=cleanup` (cleanupCheckpoint): kill every checkpointed and leftover run, forget the
// checkpoint, and let the agent start afresh.
import type { ActorPort, Clock } from '../../runtime/index.js'
import { isTerminalState, type Task, type TaskInfo, type TaskState, type TaskStatus } from '../protocol/index.js'
import type { ExecutorRecord, FrameworkRecord } from './agent-core.js'
import { CheckpointError, type CheckpointStore, type RecoveredFramework, type RecoveredState, type StreamRecord } from './checkpoint-store.js'
import type { ExecutorKind, SpawnExecutor } from './executors.js'
import type { AgentFlags } from './flags.js'
import type { RandomSource } from './ids.js'
import type { ProcessLauncher } from './process-launcher.js'
import { executorRunPath, type RunPathIds } from './sandbox-layout.js'
import type { StatusUpdateManager } from './status-update-manager.js'

export { CheckpointError }

interface Logger {
  info(obj: object | string, msg?: string): void
  warn(obj: object | string, msg?: string): void
  error(obj: object | string, msg?: string): void
}

/** What the agent core lends recovery (its internals, without making them public API). */
export interface RecoveryHost {
  port: ActorPort
  workDir: string
  executor: ExecutorKind
  launcher: ProcessLauncher | undefined
  spawnExecutor: SpawnExecutor
  random: RandomSource
  flags: AgentFlags
  sum: StatusUpdateManager
  frameworks: Map<string, FrameworkRecord>
  makeTask(info: TaskInfo, frameworkId: string, executorId: string, state: TaskState): Task
  trackState(from: TaskState | undefined, to: TaskState): void
  linkExecutor(ex: ExecutorRecord): void
  executorGone(fw: FrameworkRecord, ex: ExecutorRecord, why: string): void
  maybeRemoveFramework(fw: FrameworkRecord): void
}

/**
 * Reads the checkpoint for a starting agent. Undefined: nothing to recover (a fresh agent). With
 * `strict` (Mesos's default) an unreadable file throws CheckpointError; without, the framework,
 * executor or task it belongs to is skipped with a warning and the rest is recovered.
 */
export function readCheckpoint(store: CheckpointStore, strict: boolean, log: Logger): RecoveredState | undefined {
  const state = store.recover(strict)
  if (!state) return undefined
  for (const err of state.errors) log.warn({ file: err.file }, `recovery: ${err.message}`)
  return state
}

/** The task's state and statuses from its stream, and whether the stream was closed by a terminal ack. */
export function replayTask(records: readonly StreamRecord[]): { state: TaskState; statuses: TaskStatus[]; closed: boolean } {
  let state: TaskState = 'TASK_STAGING'
  const statuses: TaskStatus[] = []
  const terminalUuids = new Set<string>()
  let closed = false
  for (const r of records) {
    if ('update' in r) {
      // The task's state at the agent is its latest update's, acknowledged or not (Mesos).
      state = r.update.status.state
      statuses.push(r.update.status)
      if (isTerminalState(state) && r.update.uuid) terminalUuids.add(r.update.uuid)
    } else if (terminalUuids.has(r.ack)) {
      closed = true
    }
  }
  return { state, statuses, closed }
}

/** Kills the processes of runs no checkpointed executor owns (frameworks without checkpoint). */
export function killOrphanRuns(host: { launcher: ProcessLauncher | undefined; port: { clock: Clock; log: Logger } }, runs: RecoveredState['orphanRuns']): number {
  let killed = 0
  for (const run of runs) {
    const proc = host.launcher?.recover?.({ containerId: run.ids.containerId, metaDir: run.metaDir }, host.port.clock)
    if (!proc || typeof proc === 'string') continue
    let alive = true
    proc.onExit(() => (alive = false))
    if (!alive) continue
    host.port.log.warn({ container: run.ids.containerId, pid: proc.pid }, `recovery: killing process ${proc.pid} of executor '${run.ids.executorId}' of framework ${run.ids.frameworkId}: the framework does not checkpoint, so its tasks do not survive an agent restart`)
    host.launcher!.destroy(run.ids.containerId)
    killed++
  }
  return killed
}

/** Rebuilds the agent's records from the checkpoint and re-adopts the live runs. */
export function recoverExecutors(host: RecoveryHost, frameworks: readonly RecoveredFramework[]): void {
  const log = host.port.log
  for (const rf of frameworks) {
    const fw: FrameworkRecord = { id: rf.id, info: rf.info, pid: rf.pid, state: 'RUNNING', executors: new Map(), taskExecutors: new Map(), completed: [] }
    host.frameworks.set(fw.id, fw)
    for (const re of rf.executors) {
      const ids: RunPathIds = re.run.ids
      const ex: ExecutorRecord = {
        id: re.id,
        frameworkId: fw.id,
        info: re.info,
        containerId: ids.containerId,
        sandbox: host.executor === 'command' ? executorRunPath(host.workDir, ids) : undefined,
        commandTask: re.run.tasks.every(t => t.info.executor === undefined),
        state: 'REGISTERING',
        handle: undefined,
        queued: new Map(),
        launched: new Map(),
        terminated: new Map(),
        everSentTask: true,
        shutdownTimer: undefined,
      }
      const live: TaskInfo[] = []
      for (const rt of re.run.tasks) {
        const taskId = rt.info.task_id.value
        const { state, statuses, closed } = replayTask(rt.records)
        const task = host.makeTask(rt.info, fw.id, ex.id, state)
        if (statuses.length > 0) task.statuses = statuses
        if (closed) {
          fw.completed.push(task)
          continue
        }
        fw.taskExecutors.set(taskId, ex)
        host.sum.replay(fw.id, taskId, rt.records)
        if (isTerminalState(state)) ex.terminated.set(taskId, task)
        else {
          host.trackState(undefined, state)
          ex.launched.set(taskId, task)
          live.push(rt.info)
        }
      }
      if (live.length === 0) {
        // Every task is terminal: only acknowledgements are still due.
        if (ex.terminated.size > 0) {
          ex.state = 'TERMINATED'
          fw.executors.set(ex.id, ex)
        }
        continue
      }
      fw.executors.set(ex.id, ex)
      if (host.executor !== 'command' || !host.launcher?.recover) {
        // Emulated executors live inside the agent process: they died with it.
        host.executorGone(fw, ex, 'could not be recovered: it ran inside the agent process that restarted')
        continue
      }
      try {
        ex.handle = host.spawnExecutor(host.executor, {
          agentPid: host.port.self,
          agentId: ids.agentId,
          frameworkId: fw.id,
          executorId: ex.id,
          containerId: ids.containerId,
          sandbox: ex.sandbox,
          metaDir: re.run.metaDir,
          env: {},
          launcher: host.launcher,
          killGracePeriodMs: host.flags.executorShutdownGracePeriodMs,
          shutdownGracePeriodMs: re.info.shutdown_grace_period ? Math.max(0, re.info.shutdown_grace_period.nanoseconds / 1e6) : host.flags.executorShutdownGracePeriodMs,
          random: host.random,
          recovered: { framework: fw.info, tasks: live.map(info => ({ info, state: ex.launched.get(info.task_id.value)!.state })) },
        })
      } catch (err) {
        host.executorGone(fw, ex, `could not be recovered: ${(err as Error).message}`)
        continue
      }
      host.linkExecutor(ex)
      log.info({ framework: fw.id, executor: ex.id, container: ids.containerId }, `recovery: re-adopting executor '${ex.id}' with ${live.length} task(s)`)
    }
    host.maybeRemoveFramework(fw)
  }
}

/**
 * `--recover=cleanup` (Mesos): kill every executor a previous agent left, checkpointed or not,
 * then forget the checkpoint so the agent registers afresh. Returns how many processes it killed.
 */
export function cleanupCheckpoint(store: CheckpointStore, launcher: ProcessLauncher | undefined, clock: Clock, log: Logger): number {
  // Not strict: cleanup must get past a corrupt file to kill what it can.
  let state: RecoveredState | undefined
  try {
    state = store.recover(false)
  } catch (err) {
    if (!(err instanceof CheckpointError)) throw err
    log.error({ file: err.file }, `cleanup: ${err.message}; without the agent's info its runs cannot be found, so no process was killed`)
    store.clear()
    return 0
  }
  if (!state) return 0
  const runs = [...state.orphanRuns, ...state.frameworks.flatMap(fw => fw.executors.map(ex => ({ ids: ex.run.ids, metaDir: ex.run.metaDir })))]
  let killed = 0
  for (const run of runs) {
    const proc = launcher?.recover?.({ containerId: run.ids.containerId, metaDir: run.metaDir }, clock)
    if (!proc || typeof proc === 'string') continue
    let alive = true
    proc.onExit(() => (alive = false))
    if (!alive) continue
    log.warn({ pid: proc.pid }, `cleanup: killing process ${proc.pid} of executor '${run.ids.executorId}' of framework ${run.ids.frameworkId}`)
    launcher!.destroy(run.ids.containerId)
    killed++
  }
  store.clear()
  return killed
}
