import { pino, type Logger, type LoggerOptions } from 'pino'

export type { Logger }

export interface LoggerSettings {
  level?: string
  name?: string
  /** Force pretty output on or off; by default pretty only when stdout is a TTY. */
  pretty?: boolean
  /** Where JSON lines go (a test passes a stream to read them back). */
  destination?: NodeJS.WritableStream
}

/** The root logger of a process: JSON for machines, pino-pretty for a person at a terminal. */
export function createLogger(settings: LoggerSettings = {}): Logger {
  const options: LoggerOptions = {
    level: settings.level ?? process.env.MESOS_LOG_LEVEL ?? 'info',
    base: settings.name ? { name: settings.name } : { pid: process.pid },
  }
  if (settings.destination) return pino(options, settings.destination as pino.DestinationStream)
  const pretty = settings.pretty ?? Boolean(process.stdout.isTTY)
  if (pretty) {
    return pino({ ...options, transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } })
  }
  return pino(options)
}

/** A logger that writes nothing: the default for tests and benchmarks that do not read logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' })
}

/**
 * Logs at most `burst` lines per `windowMs` for each key and counts the rest, so a flood of bad
 * input cannot fill the disk; the next line logged for a key says how many were suppressed.
 */
export class RateLimitedLog {
  private readonly windows = new Map<string, { start: number; count: number; suppressed: number }>()
  constructor(
    private readonly now: () => number,
    private readonly burst = 10,
    private readonly windowMs = 10_000,
  ) {}

  /** Returns undefined when the line must be dropped, else the number suppressed before it. */
  admit(key: string): number | undefined {
    const t = this.now()
    let w = this.windows.get(key)
    if (!w || t - w.start >= this.windowMs) {
      const suppressed = w?.suppressed ?? 0
      if (this.windows.size > 1000) this.windows.clear()
      this.windows.set(key, (w = { start: t, count: 1, suppressed: 0 }))
      return suppressed
    }
    if (w.count < this.burst) {
      w.count++
      return 0
    }
    w.suppressed++
    return undefined
  }
}
