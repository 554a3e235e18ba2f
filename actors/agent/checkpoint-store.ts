// What the agent checkpoints for frameworks with `checkpoint: true`, so that a restarted agent can
// recover its executors and tasks (Mesos: src/slave/state.cpp, src/slave/paths.cpp,
// docs/agent-recovery.md). Two stores behind one interface: the filesystem one under
// `<work_dir>/meta` (Mesos's layout, below), and an in-memory one that a simulation or a unit test
// keeps across an agent's crash and restart.
//
//   meta/slaves/latest -> <agent_id>                                  (symlink, Mesos)
//   meta/slaves/<agent_id>/slave.info                                 AgentInfo (JSON)
//   meta/slaves/<agent_id>/frameworks/<fw>/framework.info             FrameworkInfo
//   meta/slaves/<agent_id>/frameworks/<fw>/framework.pid              the scheduler's pid
//   .../frameworks/<fw>/executors/<ex>/executor.info                  ExecutorInfo
//   .../executors/<ex>/runs/<container_id>/pids/forked.pid            (the launcher)
//   .../executors/<ex>/runs/<container_id>/exit.status                (the launcher's wrapper)
//   .../runs/<container_id>/tasks/<task>/task.info                    TaskInfo
//   .../runs/<container_id>/tasks/<task>/task.updates                 one JSON record a line:
//                                                                      {"update":StatusUpdate} or {"ack":uuid}
//
// Info files are written whole and atomically (temp file, fsync, rename), so a crash leaves the
// old or the new file, never half of one. task.updates is appended and fsynced per record: a
// crash mid-append leaves at most a truncated last line, which recovery drops with a warning (the
// record never completed, so nobody was told it was safe), as Mesos does. Anything else that does
// not parse or does not match its schema is a CheckpointError naming the file.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync, truncateSync, writeSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { TSchema } from '@sinclair/typebox'
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler'
import { AgentInfo, ExecutorInfo, FrameworkInfo, StatusUpdate, TaskInfo } from '../protocol/index.js'
import { metaRunPath, type RunPathIds } from './sandbox-layout.js'

export class CheckpointError extends Error {
  readonly code = 'CHECKPOINT_INVALID'
  constructor(
    /** The file (or, in memory, the record) that is wrong. */
    readonly file: string,
    readonly reason: string,
  ) {
    super(`checkpoint ${file}: ${reason}`)
    this.name = 'CheckpointError'
  }
}

/** One record of a task's update stream, in the order it happened. */
export type StreamRecord = { update: StatusUpdate } | { ack: string }

export interface RecoveredTask {
  readonly info: TaskInfo
  readonly records: readonly StreamRecord[]
}

export interface RecoveredRun {
  readonly ids: RunPathIds
  /** `<work_dir>/meta/.../runs/<container_id>` (forked.pid, exit.status): for the launcher. */
  readonly metaDir: string
  readonly tasks: readonly RecoveredTask[]
}

export interface RecoveredExecutor {
  readonly id: string
  readonly info: ExecutorInfo
  /** The executor's newest run (each start of an executor is a run with a new container id). */
  readonly run: RecoveredRun
}

export interface RecoveredFramework {
  readonly id: string
  readonly info: FrameworkInfo
  readonly pid: string | undefined
  readonly executors: readonly RecoveredExecutor[]
}

export interface RecoveredState {
  readonly agentInfo: AgentInfo
  readonly frameworks: readonly RecoveredFramework[]
  /**
   * Runs found with no checkpointed executor: those of frameworks that do not checkpoint (their
   * processes must not outlive the agent that started them), or whose checkpoint was unreadable.
   */
  readonly orphanRuns: ReadonlyArray<{ ids: RunPathIds; metaDir: string }>
  /** Unreadable parts that were skipped (with `strict: false`), or tolerated (a truncated last update). */
  readonly errors: readonly CheckpointError[]
}

export interface CheckpointStore {
  /** Where it lives, for log lines (`/tmp/mesos/meta`, `memory`). */
  readonly location: string
  /** The agent's info (with its id) after (re)registration; becomes `latest`. */
  writeAgentInfo(info: AgentInfo): void
  writeFramework(agentId: string, frameworkId: string, info: FrameworkInfo, pid: string | undefined): void
  /**
   * A new executor run. Called for every run, checkpointing or not (`info` undefined), so that
   * recovery finds the runs of non-checkpointing frameworks and kills their leftover processes.
   */
  writeRun(ids: RunPathIds, info: ExecutorInfo | undefined): void
  writeTask(ids: RunPathIds, task: TaskInfo): void
  appendUpdate(ids: RunPathIds, update: StatusUpdate): void
  appendAck(ids: RunPathIds, taskId: string, uuid: string): void
  /**
   * Everything under the latest agent, or undefined if there is none (a fresh agent). With
   * `strict`, the first unreadable file throws CheckpointError; without, the framework, executor
   * or task it belongs to is skipped and the error returned in `errors`.
   */
  recover(strict: boolean): RecoveredState | undefined
  /** Forgets everything (`--recover=cleanup`, or a master that refused this agent's id). */
  clear(): void
}

// ---- the filesystem store ---------------------------------------------------------------------

function fsyncDir(dir: string): void {
  let fd: number | undefined
  try {
    fd = openSync(dir, 'r')
    fsyncSync(fd)
  } catch {
    // Some filesystems refuse fsync on a directory; the rename itself is still atomic.
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}

/** Writes `text` to `path` atomically: temp file in the same directory, fsync, rename. */
export function writeFileAtomic(path: string, text: string): void {
  const dir = dirname(path)
  mkdirSync(dir, { recursive: true })
  const tmp = `${path}.tmp-${process.pid}`
  const fd = openSync(tmp, 'w', 0o644)
  try {
    writeSync(fd, text)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  renameSync(tmp, path)
  fsyncDir(dir)
}

function appendRecord(path: string, line: string): void {
  mkdirSync(dirname(path), { recursive: true })
  const fd = openSync(path, 'a', 0o644)
  try {
    writeSync(fd, `${line}\n`)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}

const checks = new Map<TSchema, TypeCheck<TSchema>>()
function check<T>(schema: TSchema, value: unknown, file: string, what: string): T {
  let c = checks.get(schema)
  if (!c) checks.set(schema, (c = TypeCompiler.Compile(schema)))
  if (!c.Check(value)) {
    const first = c.Errors(value).First()
    throw new CheckpointError(file, `not a valid ${what}${first ? ` (${first.path || '/'}: ${first.message})` : ''}`)
  }
  return value as T
}

function readJson<T>(file: string, schema: TSchema, what: string): T {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new CheckpointError(file, `cannot be read: ${(err as Error).message}`)
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    throw new CheckpointError(file, `is truncated or corrupt (${(err as Error).message}); remove it or run the agent with --recover=cleanup`)
  }
  return check<T>(schema, value, file, what)
}

function parseRecord(value: unknown, file: string, line: number): StreamRecord {
  if (value && typeof value === 'object') {
    const v = value as Record<string, unknown>
    if (typeof v.ack === 'string') return { ack: v.ack }
    if ('update' in v) return { update: check<StatusUpdate>(StatusUpdate, v.update, `${file}:${line}`, 'status update') }
  }
  throw new CheckpointError(`${file}:${line}`, 'is neither {"update": ...} nor {"ack": "<uuid>"}')
}

/**
 * Reads a task.updates file; a truncated last line (a crash mid-append) is dropped and reported,
 * with `completeBytes` the length of the records before it.
 */
export function readUpdates(file: string): { records: StreamRecord[]; truncated: CheckpointError | undefined; completeBytes: number } {
  if (!existsSync(file)) return { records: [], truncated: undefined, completeBytes: 0 }
  const text = readFileSync(file, 'utf8')
  const lines = text.split('\n')
  const complete = text.endsWith('\n') || text === ''
  const last = lines.pop()!
  const records: StreamRecord[] = []
  lines.forEach((line, i) => {
    if (line === '') return
    let value: unknown
    try {
      value = JSON.parse(line)
    } catch {
      throw new CheckpointError(`${file}:${i + 1}`, 'is corrupt (not JSON)')
    }
    records.push(parseRecord(value, file, i + 1))
  })
  let truncated: CheckpointError | undefined
  if (!complete && last !== '') {
    try {
      records.push(parseRecord(JSON.parse(last), file, lines.length + 1))
    } catch {
      truncated = new CheckpointError(`${file}:${lines.length + 1}`, 'the last record is truncated (the agent died while writing it): dropped')
    }
  }
  return { records, truncated, completeBytes: Buffer.byteLength(text) - (truncated ? Buffer.byteLength(last) : 0) }
}

function listDirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter(d => d.isDirectory()).map(d => d.name)
  } catch {
    return []
  }
}

/** The filesystem store under `<work_dir>/meta`, in Mesos's layout. */
export class FileCheckpointStore implements CheckpointStore {
  readonly location: string
  private readonly workDir: string

  constructor(workDir: string) {
    this.workDir = workDir
    this.location = join(workDir, 'meta')
  }

  private agentDir(agentId: string): string {
    return join(this.location, 'slaves', agentId)
  }

  private frameworkDir(agentId: string, frameworkId: string): string {
    return join(this.agentDir(agentId), 'frameworks', frameworkId)
  }

  private taskDir(ids: RunPathIds, taskId: string): string {
    return join(metaRunPath(this.workDir, ids), 'tasks', taskId)
  }

  writeAgentInfo(info: AgentInfo): void {
    const agentId = info.id?.value
    if (!agentId) throw new CheckpointError(this.location, 'cannot checkpoint an agent without an id')
    writeFileAtomic(join(this.agentDir(agentId), 'slave.info'), JSON.stringify(info))
    const latest = join(this.location, 'slaves', 'latest')
    const tmp = `${latest}.tmp-${process.pid}`
    rmSync(tmp, { force: true })
    symlinkSync(agentId, tmp)
    renameSync(tmp, latest)
    fsyncDir(dirname(latest))
  }

  writeFramework(agentId: string, frameworkId: string, info: FrameworkInfo, pid: string | undefined): void {
    const dir = this.frameworkDir(agentId, frameworkId)
    writeFileAtomic(join(dir, 'framework.info'), JSON.stringify(info))
    if (pid !== undefined) writeFileAtomic(join(dir, 'framework.pid'), pid)
  }

  writeRun(ids: RunPathIds, info: ExecutorInfo | undefined): void {
    // The run directory itself is made by createSandbox; only checkpointed executors get an info.
    if (info) writeFileAtomic(join(this.frameworkDir(ids.agentId, ids.frameworkId), 'executors', ids.executorId, 'executor.info'), JSON.stringify(info))
    mkdirSync(metaRunPath(this.workDir, ids), { recursive: true })
  }

  writeTask(ids: RunPathIds, task: TaskInfo): void {
    writeFileAtomic(join(this.taskDir(ids, task.task_id.value), 'task.info'), JSON.stringify(task))
  }

  appendUpdate(ids: RunPathIds, update: StatusUpdate): void {
    appendRecord(join(this.taskDir(ids, update.status.task_id.value), 'task.updates'), JSON.stringify({ update }))
  }

  appendAck(ids: RunPathIds, taskId: string, uuid: string): void {
    appendRecord(join(this.taskDir(ids, taskId), 'task.updates'), JSON.stringify({ ack: uuid }))
  }

  clear(): void {
    rmSync(join(this.location, 'slaves'), { recursive: true, force: true })
  }

  recover(strict: boolean): RecoveredState | undefined {
    const latest = join(this.location, 'slaves', 'latest')
    let agentId: string
    try {
      agentId = readlinkSync(latest)
    } catch {
      return undefined
    }
    const errors: CheckpointError[] = []
    // Mesos --strict: fail on the first error; else skip what it belongs to and go on.
    const attempt = <T>(f: () => T): T | undefined => {
      try {
        return f()
      } catch (err) {
        if (!(err instanceof CheckpointError) || strict) throw err
        errors.push(err)
        return undefined
      }
    }
    const agentDir = this.agentDir(agentId)
    const agentInfo = readJson<AgentInfo>(join(agentDir, 'slave.info'), AgentInfo, 'AgentInfo')
    const frameworks: RecoveredFramework[] = []
    const orphanRuns: Array<{ ids: RunPathIds; metaDir: string }> = []
    for (const frameworkId of listDirs(join(agentDir, 'frameworks'))) {
      const fwDir = join(agentDir, 'frameworks', frameworkId)
      const infoFile = join(fwDir, 'framework.info')
      const info = existsSync(infoFile) ? attempt(() => readJson<FrameworkInfo>(infoFile, FrameworkInfo, 'FrameworkInfo')) : undefined
      const pidFile = join(fwDir, 'framework.pid')
      const pid = info && existsSync(pidFile) ? readFileSync(pidFile, 'utf8').trim() || undefined : undefined
      const executors: RecoveredExecutor[] = []
      for (const executorId of listDirs(join(fwDir, 'executors'))) {
        const exDir = join(fwDir, 'executors', executorId)
        const exInfoFile = join(exDir, 'executor.info')
        const exInfo = info && existsSync(exInfoFile) ? attempt(() => readJson<ExecutorInfo>(exInfoFile, ExecutorInfo, 'ExecutorInfo')) : undefined
        const runs = listDirs(join(exDir, 'runs'))
        for (const containerId of runs) {
          const ids: RunPathIds = { agentId, frameworkId, executorId, containerId }
          const metaDir = join(exDir, 'runs', containerId)
          // Executor ids are unique per framework and each command executor has one run; if an
          // executor id was reused, only the run that has tasks checkpointed is its live one.
          const tasks = exInfo ? attempt(() => this.readTasks(metaDir, errors)) : undefined
          if (exInfo && tasks && (tasks.length > 0 || runs.length === 1)) executors.push({ id: executorId, info: exInfo, run: { ids, metaDir, tasks } })
          else orphanRuns.push({ ids, metaDir })
        }
      }
      if (info) frameworks.push({ id: frameworkId, info, pid, executors })
    }
    return { agentInfo, frameworks, orphanRuns, errors }
  }

  private readTasks(metaDir: string, errors: CheckpointError[]): RecoveredTask[] {
    const tasks: RecoveredTask[] = []
    for (const taskId of listDirs(join(metaDir, 'tasks'))) {
      const dir = join(metaDir, 'tasks', taskId)
      const info = readJson<TaskInfo>(join(dir, 'task.info'), TaskInfo, 'TaskInfo')
      const file = join(dir, 'task.updates')
      const { records, truncated, completeBytes } = readUpdates(file)
      if (truncated) {
        errors.push(truncated)
        // As Mesos does: cut the partial record off, or the next append would bury it mid-file.
        truncateSync(file, completeBytes)
      }
      tasks.push({ info, records })
    }
    return tasks
  }
}

// ---- the in-memory store ----------------------------------------------------------------------

interface MemoryRun {
  ids: RunPathIds
  info: ExecutorInfo | undefined
  tasks: Map<string, { info: TaskInfo; records: StreamRecord[] }>
}

/**
 * Keeps the same records in memory. A simulation or test creates one per agent host and hands it
 * to each incarnation of that agent, as a disk would survive the process. Records are copied in
 * and out, so no live object is shared between incarnations.
 */
export class MemoryCheckpointStore implements CheckpointStore {
  readonly location = 'memory'
  private agentInfo: AgentInfo | undefined
  private readonly frameworks = new Map<string, { info: FrameworkInfo; pid: string | undefined }>()
  private readonly runs = new Map<string, MemoryRun>()

  private static copy<T>(v: T): T {
    return structuredClone(v)
  }

  private run(ids: RunPathIds): MemoryRun {
    const k = `${ids.agentId}/${ids.frameworkId}/${ids.executorId}/${ids.containerId}`
    let run = this.runs.get(k)
    if (!run) this.runs.set(k, (run = { ids: { ...ids }, info: undefined, tasks: new Map() }))
    return run
  }

  writeAgentInfo(info: AgentInfo): void {
    this.agentInfo = MemoryCheckpointStore.copy(info)
  }

  writeFramework(agentId: string, frameworkId: string, info: FrameworkInfo, pid: string | undefined): void {
    this.frameworks.set(`${agentId}/${frameworkId}`, { info: MemoryCheckpointStore.copy(info), pid })
  }

  writeRun(ids: RunPathIds, info: ExecutorInfo | undefined): void {
    this.run(ids).info = info && MemoryCheckpointStore.copy(info)
  }

  writeTask(ids: RunPathIds, task: TaskInfo): void {
    const run = this.run(ids)
    const existing = run.tasks.get(task.task_id.value)
    run.tasks.set(task.task_id.value, { info: MemoryCheckpointStore.copy(task), records: existing?.records ?? [] })
  }

  appendUpdate(ids: RunPathIds, update: StatusUpdate): void {
    this.task(ids, update.status.task_id.value).records.push({ update: MemoryCheckpointStore.copy(update) })
  }

  appendAck(ids: RunPathIds, taskId: string, uuid: string): void {
    this.task(ids, taskId).records.push({ ack: uuid })
  }

  private task(ids: RunPathIds, taskId: string): { info: TaskInfo; records: StreamRecord[] } {
    const t = this.run(ids).tasks.get(taskId)
    if (!t) throw new CheckpointError(`memory:${ids.frameworkId}/${ids.executorId}/${taskId}`, 'an update for a task that was never checkpointed')
    return t
  }

  clear(): void {
    this.agentInfo = undefined
    this.frameworks.clear()
    this.runs.clear()
  }

  recover(): RecoveredState | undefined {
    const agentInfo = this.agentInfo
    const agentId = agentInfo?.id?.value
    if (!agentInfo || !agentId) return undefined
    const byFramework = new Map<string, RecoveredExecutor[]>()
    const orphanRuns: Array<{ ids: RunPathIds; metaDir: string }> = []
    for (const run of this.runs.values()) {
      if (run.ids.agentId !== agentId) continue
      const fw = this.frameworks.get(`${agentId}/${run.ids.frameworkId}`)
      const metaDir = `memory:${run.ids.frameworkId}/${run.ids.executorId}/${run.ids.containerId}`
      if (!fw || !run.info) {
        orphanRuns.push({ ids: { ...run.ids }, metaDir })
        continue
      }
      const tasks = [...run.tasks.values()].map(t => ({ info: MemoryCheckpointStore.copy(t.info), records: MemoryCheckpointStore.copy(t.records) }))
      let list = byFramework.get(run.ids.frameworkId)
      if (!list) byFramework.set(run.ids.frameworkId, (list = []))
      list.push({ id: run.ids.executorId, info: MemoryCheckpointStore.copy(run.info), run: { ids: { ...run.ids }, metaDir, tasks } })
    }
    const frameworks: RecoveredFramework[] = []
    for (const [k, fw] of this.frameworks) {
      const [aid, frameworkId] = k.split('/') as [string, string]
      if (aid !== agentId) continue
      frameworks.push({ id: frameworkId, info: MemoryCheckpointStore.copy(fw.info), pid: fw.pid, executors: byFramework.get(frameworkId) ?? [] })
    }
    return { agentInfo: MemoryCheckpointStore.copy(agentInfo), frameworks, orphanRuns, errors: [] }
  }
}
