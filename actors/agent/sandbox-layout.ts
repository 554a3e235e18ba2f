// Where an agent keeps things on disk, in Mesos's layout (src/slave/paths.cpp, docs/sandbox.md):
//
//   <work_dir>/slaves/<agent_id>/frameworks/<framework_id>/executors/<executor_id>/runs/<container_id>
//   <work_dir>/slaves/<agent_id>/frameworks/<framework_id>/executors/<executor_id>/runs/latest -> the above
//
// The run directory is the sandbox: the task's cwd, holding its `stdout` and `stderr`. Next to it,
// under `<work_dir>/meta/slaves/...` with the same path, the agent checkpoints what it needs to
// re-adopt a run after a restart (Mesos's meta directory): `pids/forked.pid` (the pid of the
// process the launcher forked) and `exit.status` (written by the launcher's wrapper when the
// task ends).
import { mkdirSync, rmSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'

export class SandboxError extends Error {
  readonly code = 'SANDBOX_ERROR'
  constructor(message: string) {
    super(message)
    this.name = 'SandboxError'
  }
}

export interface ExecutorPathIds {
  agentId: string
  frameworkId: string
  executorId: string
}

export interface RunPathIds extends ExecutorPathIds {
  containerId: string
}

export const LATEST_SYMLINK = 'latest'
export const FORKED_PID_FILE = 'forked.pid'
export const EXIT_STATUS_FILE = 'exit.status'

/**
 * Ids become path components: Mesos's id validation (common/validation.cpp) rejects ids with
 * `/`, NUL or whitespace and the names `.` and `..`; an id that slipped past the master must not
 * escape the work dir.
 */
function component(kind: string, value: string): string {
  if (value === '' || value === '.' || value === '..' || /[/\\\0\s]/.test(value)) {
    throw new SandboxError(`${kind} '${value}' cannot be used in a sandbox path (empty, '.', '..', or contains '/', '\\', NUL or whitespace)`)
  }
  return value
}

function executorPath(root: string, ids: ExecutorPathIds): string {
  return join(root, 'slaves', component('agent id', ids.agentId), 'frameworks', component('framework id', ids.frameworkId), 'executors', component('executor id', ids.executorId))
}

/** `<work_dir>/slaves/<agent>/frameworks/<fw>` (the framework's sandboxes). */
export function frameworkPath(workDir: string, agentId: string, frameworkId: string): string {
  return join(workDir, 'slaves', component('agent id', agentId), 'frameworks', component('framework id', frameworkId))
}

/** The sandbox of one executor run. */
export function executorRunPath(workDir: string, ids: RunPathIds): string {
  return join(executorPath(workDir, ids), 'runs', component('container id', ids.containerId))
}

/** `.../runs/latest`, a symlink to the executor's newest run. */
export function executorLatestRunPath(workDir: string, ids: ExecutorPathIds): string {
  return join(executorPath(workDir, ids), 'runs', LATEST_SYMLINK)
}

/** The run's checkpoint directory under `<work_dir>/meta`. */
export function metaRunPath(workDir: string, ids: RunPathIds): string {
  return join(executorPath(join(workDir, 'meta'), ids), 'runs', component('container id', ids.containerId))
}

export function forkedPidPath(metaRunDir: string): string {
  return join(metaRunDir, 'pids', FORKED_PID_FILE)
}

export function exitStatusPath(metaRunDir: string): string {
  return join(metaRunDir, EXIT_STATUS_FILE)
}

export interface CreatedSandbox {
  sandbox: string
  metaDir: string
}

/**
 * Creates the run's sandbox and meta directories and points `latest` at the sandbox (replacing
 * an older run's link), as Mesos's createExecutorDirectory does. Synchronous: a handful of
 * syscalls, and the agent must not hand the task to an executor before they exist.
 */
export function createSandbox(workDir: string, ids: RunPathIds): CreatedSandbox {
  const sandbox = executorRunPath(workDir, ids)
  const metaDir = metaRunPath(workDir, ids)
  try {
    mkdirSync(sandbox, { recursive: true, mode: 0o755 })
    mkdirSync(join(metaDir, 'pids'), { recursive: true, mode: 0o755 })
    const latest = executorLatestRunPath(workDir, ids)
    rmSync(latest, { force: true })
    symlinkSync(sandbox, latest)
  } catch (err) {
    throw new SandboxError(`failed to create sandbox '${sandbox}': ${(err as Error).message}`)
  }
  return { sandbox, metaDir }
}
