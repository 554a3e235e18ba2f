import type { Logger } from 'pino'
import type { Clock } from './clock.js'
import type { Envelope } from './envelope.js'
import type { MetricsRegistry } from './metrics.js'
import type { Pid } from './pid.js'

/**
 * A message as an XState event: the envelope's type is the event type, the body stays in
 * `body` (typed by the message's schema), the sender in `from`. `id`/`replyTo` are set on
 * requests, so the machine can answer with `port.reply(event, ...)`.
 */
export interface MessageEvent<T extends string = string, B = unknown> {
  type: T
  from: Pid
  body: B
  id?: string
  replyTo?: Pid
}

export type ExitReason =
  /** The actor stopped (its machine finished, or it was stopped by its runtime). */
  | 'stopped'
  /** An action threw. */
  | 'error'
  /** Its process stopped answering pings (crashed, frozen, partitioned away). */
  | 'unreachable'
  /** Its process came back as a new incarnation: the actor you linked is gone. */
  | 'restarted'
  /** This process lost its own connection to the bus. */
  | 'disconnected'
  /** Its runtime says there is no such actor. */
  | 'unknown'

/** libprocess's `exited`: delivered once per `link`; link again to keep watching. */
export interface ExitedEvent {
  type: 'exited'
  pid: Pid
  reason: ExitReason
}

export interface RequestOptions {
  timeoutMs?: number
}

/**
 * Everything a machine may do to the world. Machines receive it in `input.port` and never
 * import a transport, a clock or a logger themselves; tests hand them a recording port.
 */
export interface ActorPort {
  readonly self: Pid
  readonly clock: Clock
  readonly log: Logger
  readonly metrics: MetricsRegistry
  send(to: Pid, type: string, body: unknown): void
  /** Resolves with the reply envelope, rejects with RequestTimeoutError. */
  request<R = unknown>(to: Pid, type: string, body: unknown, options?: RequestOptions): Promise<Envelope<R>>
  reply(request: MessageEvent, type: string, body: unknown): void
  now(): number
  link(pid: Pid): void
  unlink(pid: Pid): void
}

/** What every hosted machine's input carries. */
export interface PortInput {
  port: ActorPort
}
