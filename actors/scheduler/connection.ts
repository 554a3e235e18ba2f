// The seam between the scheduler machine and the way it reaches a master. DESIGN.md: "one SDK,
// two connections, the same callbacks". The native connection (here) sends runtime messages to
// the master's pid and watches it with a link; an HTTP connection to Mesos's v1 scheduler API
// (`POST /api/v1/scheduler` on host:5050, a later issue) will implement the same interface:
// open the subscription stream, turn its RecordIO events into `sink.event(...)`, POST calls with
// the Mesos-Stream-Id, and report a closed stream with `sink.lost(...)`.
import type { ActorPort, MessageEvent, Pid } from '../../runtime/index.js'
import type { ProtocolBody } from '../protocol/index.js'
import type { MasterDetector } from './master-detector.js'

/** Every call a scheduler makes, by our message type (v1 Call.Type in scheduler-messages.ts). */
export type SchedulerCallType =
  | 'Subscribe'
  | 'Teardown'
  | 'Accept'
  | 'Decline'
  | 'Revive'
  | 'Suppress'
  | 'Kill'
  | 'Shutdown'
  | 'Acknowledge'
  | 'Reconcile'
  | 'Message'

/** One call with its body, as it goes to the master. */
export type SchedulerCall = { [T in SchedulerCallType]: { type: T; body: ProtocolBody<T> } }[SchedulerCallType]

/** Every event a master sends a scheduler, by our message type. */
export type SchedulerEventType = 'Subscribed' | 'Offers' | 'Rescind' | 'Update' | 'FrameworkMessage' | 'Failure' | 'Error' | 'Heartbeat'

/** How a connection tells the scheduler machine what happened. Safe to call from any callback. */
export interface ConnectionSink {
  /** The leading master changed; `master()` now says which (undefined: none known). */
  detected(): void
  /**
   * The connection to the current master broke (an HTTP stream closed). A native connection
   * never calls it: its loss arrives as the runtime's `exited` event (see `onExited`).
   */
  lost(reason: string): void
  /**
   * An event from the master, for connections whose events do not arrive as messages to the
   * scheduler's pid (HTTP). `from` must satisfy `isMaster`.
   */
  event(event: MessageEvent<SchedulerEventType>): void
}

/** What the scheduler machine needs from a way of reaching the master. */
export interface SchedulerConnection {
  /** `native` (runtime messages) or `http` (Mesos's v1 scheduler API). */
  readonly kind: string
  /**
   * Starts master detection. Reports the master known now with one `sink.detected()` (even
   * when none is known), then every change. Called once, from the machine's first action.
   */
  open(sink: ConnectionSink): void
  /** The master calls go to now; undefined while none is known. */
  master(): string | undefined
  /** Whether an inbound event's sender is the current master (events from others are dropped). */
  isMaster(from: string): boolean
  /** Starts watching the current master's liveness (after Subscribed). */
  watch(): void
  /** Stops watching it. */
  unwatch(): void
  /**
   * A native connection hears of its master's loss through the runtime's `exited` event, which
   * reaches the machine, which hands it here: true when `pid` is the watched master.
   */
  onExited(pid: Pid): boolean
  /** Sends one call to the current master; false when no master is known (nothing was sent). */
  send(call: SchedulerCall): boolean
  /** Stops detection and watching. Idempotent. */
  close(): void
}

/** Builds the connection inside the scheduler actor, which owns the port. */
export type ConnectionFactory = (port: ActorPort) => SchedulerConnection

/**
 * The native connection: calls are messages from the scheduler's pid to the master's pid;
 * events are messages to the scheduler's pid; the master is watched with `port.link` (the
 * runtime pings its node and reports `exited` when it stops answering or restarts).
 */
export function nativeConnection(detector: MasterDetector): ConnectionFactory {
  return port => new NativeConnection(port, detector)
}

class NativeConnection implements SchedulerConnection {
  readonly kind = 'native'
  private current: Pid | undefined
  private watched: Pid | undefined
  private stopDetection: (() => void) | undefined
  private closed = false

  constructor(
    private readonly port: ActorPort,
    private readonly detector: MasterDetector,
  ) {}

  open(sink: ConnectionSink): void {
    if (this.closed || this.stopDetection) return
    this.stopDetection = this.detector.onChange(master => {
      if (this.closed || master === this.current) return
      this.current = master
      sink.detected()
    })
    this.current = this.detector.current()
    sink.detected()
  }

  master(): string | undefined {
    return this.current
  }

  isMaster(from: string): boolean {
    return this.current !== undefined && from === this.current
  }

  watch(): void {
    if (this.closed || this.current === undefined || this.watched === this.current) return
    this.unwatch()
    this.watched = this.current
    this.port.link(this.watched)
  }

  unwatch(): void {
    if (this.watched === undefined) return
    const pid = this.watched
    this.watched = undefined
    this.port.unlink(pid)
  }

  onExited(pid: Pid): boolean {
    if (pid !== this.watched) return false
    // A link reports once; the runtime has already forgotten it.
    this.watched = undefined
    return true
  }

  send(call: SchedulerCall): boolean {
    if (this.current === undefined) return false
    this.port.send(this.current, call.type, call.body)
    return true
  }

  close(): void {
    if (this.closed) return
    this.unwatch()
    this.closed = true
    this.stopDetection?.()
    this.stopDetection = undefined
  }
}
