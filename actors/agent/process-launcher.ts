// The launcher (Mesos: src/slave/containerizer/mesos/launcher.cpp, the POSIX launcher): starts a
// task's command as a real process in its own session and process group, with stdout and stderr
// going to files in the sandbox, and signals or destroys that group. The command executor uses it
// through the small ProcessLauncher interface, so tests can hand in a fake.
//
// Why a wrapper shell. The command is not the agent's direct child: `/bin/sh` runs a few lines
// (WRAPPER below) that start the command in the foreground, wait for it and write its exit status
// to `<meta run dir>/exit.status`, and whose pid goes to `pids/forked.pid`. The wrapper is the
// session and group leader. A restarted agent (next issue) can then re-adopt a run: wrapper alive
// -> watch it; gone -> read exit.status. The wrapper traps TERM/INT/HUP/QUIT (the handler runs only
// after the foreground command ends, and caught signals are reset to default in the command), so a
// signal to the group ends the task but not the wrapper, which then records the status and
// re-raises the task's terminating signal on itself: the agent sees the task's own exit.
//
// Known limit of going through sh: a command that exits with 128+N (N a signal number) is
// indistinguishable from one killed by signal N, and is reported as the latter.
import { spawn, type ChildProcess } from 'node:child_process'
import { accessSync, appendFileSync, closeSync, constants as fsConstants, openSync, readdirSync, readFileSync, statSync, writeFileSync, writeSync } from 'node:fs'
import { delimiter, isAbsolute, join } from 'node:path'
import type { Clock } from '../../runtime/index.js'
import { readForkedPid, RecoveredProcess, type RecoverSpec } from './recovered-process.js'
import { exitStatusPath, forkedPidPath } from './sandbox-layout.js'

export class LaunchError extends Error {
  readonly code = 'LAUNCH_FAILED'
  constructor(message: string) {
    super(message)
    this.name = 'LaunchError'
  }
}

/** What to run (CommandInfo, checked): `shell` runs `/bin/sh -c value`, else `value` with argv. */
export interface LaunchCommand {
  shell: boolean
  value: string
  /** argv for `shell: false`, argv[0] included (CommandInfo.arguments). */
  arguments?: readonly string[]
}

export interface LaunchSpec {
  /** The container the process belongs to: `destroy(containerId)` kills what is left of it. */
  containerId: string
  /** The sandbox: the process's cwd, where `stdout` and `stderr` are. Must exist. */
  sandbox: string
  /** The run's meta directory (forked.pid, exit.status); the sandbox when absent. */
  metaDir?: string
  command: LaunchCommand
  /** The complete environment of the command (nothing is inherited from the agent). */
  env: Readonly<Record<string, string>>
  /** Lines appended to the sandbox's stderr before the command starts (the executor's own log). */
  banner?: readonly string[]
}

export type ProcessExit =
  | { kind: 'exited'; code: number }
  | { kind: 'signaled'; signal: string }
  /** The process could not be started or waited for. */
  | { kind: 'failed'; error: string }

export interface LaunchedProcess {
  /** The wrapper's pid, which is also the process group and session id. */
  readonly pid: number
  readonly pgid: number
  /** Called once, when the wrapper is gone; later listeners are called at once if it already is. */
  onExit(listener: (exit: ProcessExit) => void): void
  /** The graceful kill: SIGTERM to the whole process group. */
  terminate(): void
  /** The forcible kill: SIGKILL to every process of the group but the wrapper, which then reports. */
  kill(): void
}

export interface ProcessLauncher {
  /** Starts the command; throws LaunchError when it cannot (sandbox gone, executable missing). */
  launch(spec: LaunchSpec): LaunchedProcess
  /** SIGKILLs every process group of the container (what Mesos calls destroying the container). */
  destroy(containerId: string): void
  /**
   * Re-adopts a run started by an earlier incarnation of the agent (recovery): its process,
   * watched on `clock`, or a reason it cannot be (no pid recorded). A process that already ended
   * is returned too: it reports its recorded exit at once.
   */
  recover?(spec: RecoverSpec, clock: Clock): LaunchedProcess | string
  /** The process groups (their leaders' pids) the container has now, for resource usage. */
  processGroups?(containerId: string): number[]
}

/** strsignal(3) texts on Linux, which Mesos's WSTRINGIFY puts in "terminated with signal ...". */
const SIGNAL_TEXT: Readonly<Record<string, string>> = {
  SIGHUP: 'Hangup',
  SIGINT: 'Interrupt',
  SIGQUIT: 'Quit',
  SIGILL: 'Illegal instruction',
  SIGTRAP: 'Trace/breakpoint trap',
  SIGABRT: 'Aborted',
  SIGBUS: 'Bus error',
  SIGFPE: 'Floating point exception',
  SIGKILL: 'Killed',
  SIGUSR1: 'User defined signal 1',
  SIGSEGV: 'Segmentation fault',
  SIGUSR2: 'User defined signal 2',
  SIGPIPE: 'Broken pipe',
  SIGALRM: 'Alarm clock',
  SIGTERM: 'Terminated',
  SIGSTKFLT: 'Stack fault',
  SIGXCPU: 'CPU time limit exceeded',
  SIGXFSZ: 'File size limit exceeded',
  SIGVTALRM: 'Virtual timer expired',
  SIGPROF: 'Profiling timer expired',
  SIGIO: 'I/O possible',
  SIGPWR: 'Power failure',
  SIGSYS: 'Bad system call',
}

/**
 * The wait status in Mesos's words (src/common/status_utils.hpp WSTRINGIFY): "exited with status
 * 3", "terminated with signal Killed". The command executor prefixes "Command ".
 */
export function describeExit(exit: ProcessExit): string {
  switch (exit.kind) {
    case 'exited':
      return `exited with status ${exit.code}`
    case 'signaled':
      return `terminated with signal ${SIGNAL_TEXT[exit.signal] ?? exit.signal}`
    case 'failed':
      return `failed: ${exit.error}`
  }
}

// $1: the exit status file; the rest: the command's argv. `:` as the trap handler (not '') so the
// command does not inherit ignored signals. printf is a builtin: the status is written even if the
// task's PATH is odd. The re-raise falls through to `exit` if the signal cannot kill us.
const WRAPPER = [
  'status_file=$1',
  'shift',
  'trap : TERM INT HUP QUIT',
  '"$@"',
  'st=$?',
  `printf '%s\\n' "$st" > "$status_file" 2>/dev/null`,
  'if [ "$st" -gt 128 ] && [ "$st" -le 192 ]; then',
  '  trap - TERM INT HUP QUIT',
  '  kill -$((st - 128)) $$ 2>/dev/null',
  'fi',
  'exit "$st"',
].join('\n')

/** Mesos's os::host_default_path(), for a command environment that sets no PATH. */
export const HOST_DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

function isExecutable(path: string): boolean {
  try {
    accessSync(path, fsConstants.X_OK)
    return statSync(path).isFile()
  } catch {
    return false
  }
}

/** Resolves `value` as execvp would (relative to `cwd` when it has a slash), or says why not. */
function checkExecutable(value: string, cwd: string, env: Readonly<Record<string, string>>): void {
  if (value.includes('/')) {
    const path = isAbsolute(value) ? value : join(cwd, value)
    if (!isExecutable(path)) throw new LaunchError(`failed to execute '${value}': no such executable file`)
    return
  }
  const dirs = (env.PATH ?? HOST_DEFAULT_PATH).split(delimiter).filter(d => d !== '')
  if (!dirs.some(dir => isExecutable(join(isAbsolute(dir) ? dir : join(cwd, dir), value)))) {
    throw new LaunchError(`failed to execute '${value}': not found in PATH (${dirs.join(delimiter)})`)
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err
  }
}

/**
 * Live members of a process group, from /proc (Linux). Zombies are left out: they are dead, and
 * where PID 1 does not reap orphans (some container inits) they would otherwise linger forever.
 * Returns undefined where /proc is not available.
 */
export function processGroupMembers(pgid: number): number[] | undefined {
  let entries: string[]
  try {
    entries = readdirSync('/proc')
  } catch {
    return undefined
  }
  const members: number[] = []
  for (const entry of entries) {
    const c = entry.charCodeAt(0)
    if (c < 48 || c > 57) continue
    let stat: string
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'latin1')
    } catch {
      continue
    }
    // pid (comm) state ppid pgrp ...: comm may hold spaces and parens, so parse after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    if (Number(fields[2]) === pgid && fields[0] !== 'Z' && fields[0] !== 'X') members.push(Number(entry))
  }
  return members
}

class PosixProcess implements LaunchedProcess {
  readonly pgid: number
  private exit: ProcessExit | undefined
  private readonly listeners: Array<(exit: ProcessExit) => void> = []

  constructor(
    readonly pid: number,
    child: ChildProcess,
    private readonly stderrPath: string,
    private readonly onGone: (p: PosixProcess) => void,
  ) {
    this.pgid = pid
    child.once('exit', (code, signal) => this.finish(signal ? { kind: 'signaled', signal } : { kind: 'exited', code: code ?? 0 }))
    child.once('error', err => this.finish({ kind: 'failed', error: err.message }))
  }

  onExit(listener: (exit: ProcessExit) => void): void {
    if (this.exit) listener(this.exit)
    else this.listeners.push(listener)
  }

  terminate(): void {
    if (!this.exit) signalGroup(this.pgid, 'SIGTERM')
  }

  kill(): void {
    if (this.exit) return
    const members = processGroupMembers(this.pgid)
    if (members === undefined) {
      signalGroup(this.pgid, 'SIGKILL')
      return
    }
    for (const pid of members) {
      if (pid === this.pid) continue
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // Gone already.
      }
    }
  }

  /** SIGKILL to whatever is left of the group (the wrapper included). */
  destroy(): void {
    signalGroup(this.pgid, 'SIGKILL')
  }

  private finish(exit: ProcessExit): void {
    if (this.exit) return
    this.exit = exit
    try {
      // Like Mesos's executor log in the sandbox: the operator looks in stderr first.
      appendFileSync(this.stderrPath, `Command ${describeExit(exit)} (pid: ${this.pid})\n`)
    } catch {
      // The sandbox may be gone already (removed by an operator): nothing to tell then.
    }
    // The container ends with its wrapper: processes the task left behind in its group go too,
    // as when Mesos destroys a container whose executor exited.
    this.destroy()
    this.onGone(this)
    for (const listener of this.listeners.splice(0)) listener(exit)
  }
}

/** The real launcher: POSIX sessions and process groups, files for stdout and stderr. */
export class PosixProcessLauncher implements ProcessLauncher {
  private readonly containers = new Map<string, Set<{ destroy(): void; readonly pgid: number }>>()

  launch(spec: LaunchSpec): LaunchedProcess {
    const { sandbox, command, env } = spec
    try {
      if (!statSync(sandbox).isDirectory()) throw new Error('not a directory')
    } catch (err) {
      throw new LaunchError(`sandbox '${sandbox}' is not usable: ${(err as Error).message}`)
    }
    if (command.value === '') throw new LaunchError(command.shell ? 'the shell command is empty' : 'the executable is empty')
    const argv = command.shell ? ['/bin/sh', '-c', command.value] : [command.value, ...(command.arguments ?? []).slice(1)]
    if (!command.shell) checkExecutable(command.value, sandbox, env)
    const metaDir = spec.metaDir ?? sandbox

    let out: number | undefined
    let err: number | undefined
    let child: ChildProcess
    try {
      out = openSync(join(sandbox, 'stdout'), 'a', 0o644)
      err = openSync(join(sandbox, 'stderr'), 'a', 0o644)
      for (const line of spec.banner ?? []) writeSync(err, `${line}\n`)
      // detached: setsid() in the child, so the task has its own session and process group and
      // no signal meant for it (from us or from the task itself, e.g. `kill 0`) reaches the agent.
      child = spawn('/bin/sh', ['-c', WRAPPER, 'mesos-ts-wrapper', exitStatusPath(metaDir), ...argv], {
        cwd: sandbox,
        env: { ...env },
        detached: true,
        stdio: ['ignore', out, err],
      })
    } catch (e) {
      throw new LaunchError(`failed to start the command: ${(e as Error).message}`)
    } finally {
      if (out !== undefined) closeSync(out)
      if (err !== undefined) closeSync(err)
    }
    if (child.pid === undefined) {
      // Node reports some spawn failures only through 'error'; keep the handle so it is consumed.
      child.once('error', () => {})
      throw new LaunchError('failed to start the command: the process could not be created')
    }
    const proc = new PosixProcess(child.pid, child, join(sandbox, 'stderr'), p => this.forget(spec.containerId, p))
    let set = this.containers.get(spec.containerId)
    if (!set) this.containers.set(spec.containerId, (set = new Set()))
    set.add(proc)
    try {
      writeFileSync(forkedPidPath(metaDir), `${child.pid}\n`)
    } catch {
      // The meta dir is for recovery only; without it (no metaDir, sandbox-only layout) go on.
    }
    return proc
  }

  destroy(containerId: string): void {
    const set = this.containers.get(containerId)
    if (!set) return
    for (const proc of set) proc.destroy()
  }

  recover(spec: RecoverSpec, clock: Clock): LaunchedProcess | string {
    const pid = readForkedPid(spec.metaDir)
    if (typeof pid === 'string') return pid
    let proc: RecoveredProcess | undefined
    let gone = false
    proc = new RecoveredProcess(pid, spec.metaDir, clock, undefined, () => {
      gone = true
      if (proc) this.forget(spec.containerId, proc)
    })
    if (gone) return proc
    let set = this.containers.get(spec.containerId)
    if (!set) this.containers.set(spec.containerId, (set = new Set()))
    set.add(proc)
    return proc
  }

  processGroups(containerId: string): number[] {
    return [...(this.containers.get(containerId) ?? [])].map(p => p.pgid)
  }

  private forget(containerId: string, proc: { destroy(): void; readonly pgid: number }): void {
    const set = this.containers.get(containerId)
    if (!set) return
    set.delete(proc)
    if (set.size === 0) this.containers.delete(containerId)
  }
}
