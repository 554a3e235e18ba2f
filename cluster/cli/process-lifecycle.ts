// What a long-running mesos-ts process does about its own lifecycle: a clean shutdown on
// SIGINT/SIGTERM, and the open-file limit the seed's start script raised with `ulimit -n 8192`.

import { readFileSync } from 'node:fs'
import { constants } from 'node:os'
import { RuntimeError, type Logger } from '../../runtime/index.js'

/** The abort reason of the context signal: which signal asked us to stop. */
export class SignalReceived extends RuntimeError {
  readonly signal: NodeJS.Signals
  constructor(signal: NodeJS.Signals) {
    super('SIGNAL', `received ${signal}`)
    this.signal = signal
  }
}

const SHUTDOWN_SIGNALS = ['SIGINT', 'SIGTERM'] as const
type ShutdownSignalName = (typeof SHUTDOWN_SIGNALS)[number]

/** The part of `process` the handlers use, so a test can emit signals at an EventEmitter. */
export interface SignalTarget {
  on(event: ShutdownSignalName, listener: (signal: NodeJS.Signals) => void): unknown
  off(event: ShutdownSignalName, listener: (signal: NodeJS.Signals) => void): unknown
}

export interface ShutdownOptions {
  log?: Logger
  /** Default `process`. */
  target?: SignalTarget
  /** Called on a second signal. Default `process.exit`. */
  exit?: (code: number) => void
}

export interface ShutdownHandle {
  /** Aborted on the first SIGINT or SIGTERM, with a SignalReceived as its reason. */
  readonly signal: AbortSignal
  /** Removes the handlers, giving the signals back to Node's defaults. */
  dispose(): void
}

/**
 * The first SIGINT/SIGTERM aborts the returned signal so the command can stop its servers and
 * return; a second one (an impatient Ctrl-C, or a supervisor that gave up) exits at once with
 * 128 + the signal number (130 for SIGINT), as a shell reports a process killed by it. The
 * process 'exit' handlers still run then, so the nats-server harness reaps its servers.
 */
export function handleShutdownSignals(options: ShutdownOptions = {}): ShutdownHandle {
  const target = options.target ?? process
  const exit = options.exit ?? ((code: number) => process.exit(code))
  const controller = new AbortController()
  const onSignal = (signal: NodeJS.Signals) => {
    if (!controller.signal.aborted) {
      options.log?.info({ signal }, `received ${signal}, shutting down (send it again to exit at once)`)
      controller.abort(new SignalReceived(signal))
      return
    }
    const code = 128 + (constants.signals[signal] ?? 0)
    options.log?.warn({ signal, exitCode: code }, `received ${signal} again, exiting without a clean shutdown`)
    exit(code)
  }
  for (const name of SHUTDOWN_SIGNALS) target.on(name, onSignal)
  return {
    signal: controller.signal,
    dispose: () => {
      for (const name of SHUTDOWN_SIGNALS) target.off(name, onSignal)
    },
  }
}

/** The open-file limit the seed's start script set (`ulimit -n 8192`). */
export const WANTED_OPEN_FILES = 8192

/** A resource limit; `Infinity` for `unlimited`. */
export interface ResourceLimit {
  soft: number
  hard: number
}

function limitValue(text: string): number | undefined {
  if (text === 'unlimited') return Infinity
  return /^\d+$/.test(text) ? Number(text) : undefined
}

/** The `Max open files` row of /proc/<pid>/limits, or undefined if the text has none. */
export function parseOpenFileLimit(limitsText: string): ResourceLimit | undefined {
  const row = /^Max open files[ \t]+(\S+)[ \t]+(\S+)/m.exec(limitsText)
  if (row === null) return undefined
  const soft = limitValue(row[1])
  const hard = limitValue(row[2])
  return soft === undefined || hard === undefined ? undefined : { soft, hard }
}

function show(n: number): string {
  return n === Infinity ? 'unlimited' : String(n)
}

/**
 * The warning for a soft limit below `wanted`, or undefined when it is high enough. Node raises
 * its soft limit to the hard limit when it starts, so a low soft limit seen from here almost
 * always means a low hard limit, which only root can raise: the seed's "ulimit: error setting
 * limit (operation not permitted)". We cannot raise it either (Node has no setrlimit), so we say
 * what it is, what we wanted and how to raise it, and carry on.
 */
export function openFileLimitWarning(limit: ResourceLimit, wanted = WANTED_OPEN_FILES): string | undefined {
  if (limit.soft >= wanted) return undefined
  const head = `the open-file limit is ${show(limit.soft)}, below the ${wanted} mesos-ts wants (ulimit -n ${wanted})`
  if (limit.hard >= wanted) return `${head}; raise it with 'ulimit -n ${wanted}' before starting (the hard limit, ${show(limit.hard)}, allows it); carrying on with ${show(limit.soft)}`
  return (
    `${head}, and the hard limit is ${show(limit.hard)}, which only root can raise: set 'nofile' in /etc/security/limits.conf ` +
    `(or LimitNOFILE=${wanted} in a systemd unit) and log in again; carrying on with ${show(limit.soft)}`
  )
}

export interface OpenFileCheckOptions {
  log: Logger
  wanted?: number
  /** Default: reads /proc/self/limits. */
  readLimits?: () => string
}

/** Logs one warn line if the open-file limit is below `wanted`. Returns the limit it found. */
export function checkOpenFileLimit(options: OpenFileCheckOptions): ResourceLimit | undefined {
  const wanted = options.wanted ?? WANTED_OPEN_FILES
  let text: string
  try {
    text = (options.readLimits ?? (() => readFileSync('/proc/self/limits', 'utf8')))()
  } catch (err) {
    // Not Linux (no /proc): nothing to read, and nothing we could do about it anyway.
    options.log.debug({ err: (err as Error).message }, 'cannot read the open-file limit')
    return undefined
  }
  const limit = parseOpenFileLimit(text)
  if (limit === undefined) {
    options.log.debug('no "Max open files" row in /proc/self/limits')
    return undefined
  }
  const warning = openFileLimitWarning(limit, wanted)
  if (warning !== undefined) options.log.warn({ soft: show(limit.soft), hard: show(limit.hard), wanted }, warning)
  return limit
}
