// A task process started by an earlier incarnation of the agent, re-adopted after a restart. It
// is no longer our child, so nothing tells us when it exits: we poll its liveness (Mesos's reaper
// does the same for processes it did not fork, once a second), and when it is gone read the
// status its wrapper wrote to exit.status (process-launcher.ts).
import { constants as osConstants } from 'node:os'
import { readFileSync } from 'node:fs'
import type { Clock } from '../../runtime/index.js'
import { processGroupMembers, type LaunchedProcess, type ProcessExit } from './process-launcher.js'
import { exitStatusPath, forkedPidPath } from './sandbox-layout.js'

/** How often a re-adopted process is checked (Mesos's reaper interval is 1 s). */
export const RECOVERED_POLL_INTERVAL_MS = 1_000

export interface RecoverSpec {
  containerId: string
  /** The run's meta directory: pids/forked.pid and exit.status. */
  metaDir: string
}

/**
 * Whether `pid` is still the wrapper the launcher forked: alive, not a zombie, and still the
 * leader of its own process group (a recycled pid almost never is). Uses /proc where it exists.
 */
export function isWrapperAlive(pid: number): boolean {
  let stat: string
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'latin1')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      try {
        readFileSync('/proc/self/stat')
      } catch {
        // No /proc: signal 0 says whether the pid exists.
        try {
          process.kill(pid, 0)
          return true
        } catch (e) {
          return (e as NodeJS.ErrnoException).code === 'EPERM'
        }
      }
    }
    return false
  }
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return fields[0] !== 'Z' && fields[0] !== 'X' && Number(fields[2]) === pid
}

/** The pid in pids/forked.pid, or a reason there is none. */
export function readForkedPid(metaDir: string): number | string {
  const file = forkedPidPath(metaDir)
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return `${file} is missing (the process was never started, or its pid was not recorded)`
  }
  const pid = Number(text.trim())
  return Number.isInteger(pid) && pid > 1 ? pid : `${file} does not hold a pid ('${text.trim().slice(0, 20)}')`
}

const SIGNAL_NAMES = new Map<number, string>(Object.entries(osConstants.signals).map(([name, n]) => [n, name]))

/** The exit recorded by the wrapper, as ProcessExit (128+N is signal N, as the wrapper re-raises it). */
export function readExitStatus(metaDir: string): ProcessExit {
  const file = exitStatusPath(metaDir)
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return { kind: 'failed', error: `the agent could not learn the exit status: ${file} is missing (the process ended while the agent was down, without its wrapper recording a status)` }
  }
  const code = Number(text.trim())
  if (!Number.isInteger(code) || code < 0 || code > 255) return { kind: 'failed', error: `the agent could not learn the exit status: ${file} holds '${text.trim().slice(0, 20)}', not an exit code` }
  if (code > 128 && code <= 192 && SIGNAL_NAMES.has(code - 128)) return { kind: 'signaled', signal: SIGNAL_NAMES.get(code - 128)! }
  return { kind: 'exited', code }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig)
  } catch {
    // Gone already.
  }
}

/** A re-adopted wrapper: polled on the clock, its exit read from exit.status. */
export class RecoveredProcess implements LaunchedProcess {
  readonly pgid: number
  private exit: ProcessExit | undefined
  private readonly listeners: Array<(exit: ProcessExit) => void> = []
  private timer: unknown

  constructor(
    readonly pid: number,
    private readonly metaDir: string,
    private readonly clock: Clock,
    private readonly alive: (pid: number) => boolean = isWrapperAlive,
    private readonly onGone: () => void = () => {},
  ) {
    this.pgid = pid
    this.poll()
  }

  onExit(listener: (exit: ProcessExit) => void): void {
    if (this.exit) listener(this.exit)
    else this.listeners.push(listener)
  }

  terminate(): void {
    if (!this.exit) signal(-this.pgid, 'SIGTERM')
  }

  kill(): void {
    if (this.exit) return
    const members = processGroupMembers(this.pgid)
    if (members === undefined) return signal(-this.pgid, 'SIGKILL')
    // Spare the wrapper, so it records the status (as PosixProcess.kill does).
    for (const pid of members) if (pid !== this.pid) signal(pid, 'SIGKILL')
  }

  destroy(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer)
    signal(-this.pgid, 'SIGKILL')
  }

  private poll(): void {
    this.timer = undefined
    if (this.alive(this.pid)) {
      this.timer = this.clock.setTimeout(() => this.poll(), RECOVERED_POLL_INTERVAL_MS)
      return
    }
    this.exit = readExitStatus(this.metaDir)
    // What the wrapper left in its group goes too, as for a process we forked.
    signal(-this.pgid, 'SIGKILL')
    this.onGone()
    for (const listener of this.listeners.splice(0)) listener(this.exit)
  }
}
