// The agent's task status update manager (Mesos: src/slave/task_status_update_manager.cpp): one
// ordered stream of updates per task. Only the head of a stream is in flight; it is forwarded
// and re-forwarded at 10 s, 20 s, 40 s, ... (capped at 10 min) until the framework's
// acknowledgement for its uuid comes back, and only then is the next update of that task sent.
// A pure class over a Clock: no XState, no transport; the agent hands it a `forward` callback.
//
// Checkpointing: every stream change goes through `update()` and `acknowledge()`, the two record
// kinds Mesos writes to `task.updates`. The agent's `journal` writes each one before it takes
// effect (an update before it is forwarded or acknowledged to the executor), and `replay()` feeds
// them to a fresh manager after an agent restart, so no update is lost (duplicates are possible).
import type { Clock } from '../../runtime/index.js'
import { isTerminalState, type StatusUpdate } from '../protocol/index.js'

/** Mesos's STATUS_UPDATE_RETRY_INTERVAL_MIN and _MAX (src/slave/constants.hpp). */
export const STATUS_UPDATE_RETRY_INTERVAL_MIN_MS = 10_000
export const STATUS_UPDATE_RETRY_INTERVAL_MAX_MS = 600_000

export interface StatusUpdateManagerOptions {
  clock: Clock
  /** Sends one update to the master. Called for the head of a stream, again on each retry. */
  forward: (update: StatusUpdate) => void
  minRetryMs?: number
  maxRetryMs?: number
  /** Persists each accepted update and each acknowledgement before it takes effect (checkpointing). */
  journal?: StatusUpdateJournal
}

export interface StatusUpdateJournal {
  update(update: StatusUpdate): void
  acknowledge(frameworkId: string, taskId: string, uuid: string): void
}

/** What `update()` did with an update. */
export type UpdateResult =
  /** Queued (and forwarded now if it is the head of its stream and the manager is not paused). */
  | 'queued'
  /** Its uuid was already received or acknowledged: ignored, but the sender may be acked again. */
  | 'duplicate'

/** What `acknowledge()` did with an acknowledgement. */
export type AckResult =
  /** The head was acknowledged; the next update (if any) is now in flight. */
  | 'acknowledged'
  /** The head was the terminal update: the stream is closed and forgotten. */
  | 'terminated'
  /** This uuid was acknowledged before (both the original and a retry got acked). */
  | 'duplicate'
  /** Not the uuid of the update in flight (an old or a future one). */
  | 'unexpected'
  /** No stream for this task (never seen, or already closed by its terminal ack). */
  | 'unknown'

export class StatusUpdateError extends Error {
  readonly code = 'STATUS_UPDATE_INVALID'
  constructor(message: string) {
    super(message)
    this.name = 'StatusUpdateError'
  }
}

class Stream {
  /** Updates not yet acknowledged, oldest first; `pending[head]` is the one in flight. */
  readonly pending: StatusUpdate[] = []
  head = 0
  readonly received = new Set<string>()
  readonly acknowledged = new Set<string>()
  terminated = false
  timer: unknown = undefined
  retryMs = 0

  constructor(
    readonly frameworkId: string,
    readonly taskId: string,
  ) {}

  next(): StatusUpdate | undefined {
    return this.pending[this.head]
  }

  get size(): number {
    return this.pending.length - this.head
  }

  pop(): void {
    this.pending[this.head] = undefined as unknown as StatusUpdate
    this.head++
    // Compact now and then so a long-lived task's stream does not grow without bound.
    if (this.head > 32 && this.head * 2 > this.pending.length) {
      this.pending.splice(0, this.head)
      this.head = 0
    }
  }
}

const key = (frameworkId: string, taskId: string): string => `${frameworkId}\u0000${taskId}`

export class StatusUpdateManager {
  private readonly clock: Clock
  private readonly forwardFn: (update: StatusUpdate) => void
  private readonly minRetryMs: number
  private readonly maxRetryMs: number
  private readonly streams = new Map<string, Stream>()
  private paused = false
  private journal: StatusUpdateJournal | undefined

  constructor(options: StatusUpdateManagerOptions) {
    this.clock = options.clock
    this.forwardFn = options.forward
    this.minRetryMs = options.minRetryMs ?? STATUS_UPDATE_RETRY_INTERVAL_MIN_MS
    this.maxRetryMs = options.maxRetryMs ?? STATUS_UPDATE_RETRY_INTERVAL_MAX_MS
    this.journal = options.journal
  }

  /**
   * Rebuilds a task's stream from its checkpointed records (recovery), without journaling them
   * again. Unacknowledged updates are forwarded on the next resume().
   */
  replay(frameworkId: string, taskId: string, records: ReadonlyArray<{ update: StatusUpdate } | { ack: string }>): void {
    const journal = this.journal
    this.journal = undefined
    try {
      for (const r of records) {
        if ('update' in r) this.update(r.update)
        else this.acknowledge(frameworkId, taskId, r.ack)
      }
    } finally {
      this.journal = journal
    }
  }

  /** Open streams (tasks with updates not yet acknowledged, or not yet terminal). */
  get streamCount(): number {
    return this.streams.size
  }

  get isPaused(): boolean {
    return this.paused
  }

  /** Accepts an update into its task's stream. Throws StatusUpdateError if it has no uuid. */
  update(update: StatusUpdate): UpdateResult {
    const uuid = update.uuid
    if (uuid === undefined || uuid === '') throw new StatusUpdateError(`status update for task ${update.status.task_id.value} has no uuid`)
    const frameworkId = update.framework_id.value
    const taskId = update.status.task_id.value
    const k = key(frameworkId, taskId)
    let stream = this.streams.get(k)
    if (!stream) this.streams.set(k, (stream = new Stream(frameworkId, taskId)))
    // Mesos: an update already acknowledged (agent acked by the framework, then the executor's
    // retry arrives) or already received is ignored, but not an error: the sender gets its ack.
    if (stream.acknowledged.has(uuid) || stream.received.has(uuid)) return 'duplicate'
    // Written before anyone is told: a crash after this point replays the update.
    this.journal?.update(update)
    stream.received.add(uuid)
    stream.pending.push(update)
    if (!this.paused && stream.size === 1) this.send(stream, this.minRetryMs)
    return 'queued'
  }

  /** The framework acknowledged `uuid` for the task (relayed by the master). */
  acknowledge(frameworkId: string, taskId: string, uuid: string): AckResult {
    const stream = this.streams.get(key(frameworkId, taskId))
    if (!stream) return 'unknown'
    if (stream.acknowledged.has(uuid)) return 'duplicate'
    const head = stream.next()
    if (!head || head.uuid !== uuid) return 'unexpected'
    this.journal?.acknowledge(frameworkId, taskId, uuid)
    stream.acknowledged.add(uuid)
    stream.pop()
    this.cancel(stream)
    if (!stream.terminated) stream.terminated = isTerminalState(head.status.state)
    if (stream.terminated) {
      // Mesos closes the stream on the terminal ack even if (odd) updates follow it.
      this.streams.delete(key(frameworkId, taskId))
      return 'terminated'
    }
    if (!this.paused && stream.size > 0) this.send(stream, this.minRetryMs)
    return 'acknowledged'
  }

  /** Stops forwarding (the master is gone); retries stop too. */
  pause(): void {
    this.paused = true
    for (const stream of this.streams.values()) this.cancel(stream)
  }

  /** Forwards the head of every stream again, with the retry interval reset (Mesos: resume()). */
  resume(): void {
    this.paused = false
    for (const stream of this.streams.values()) if (stream.size > 0) this.send(stream, this.minRetryMs)
  }

  /** Forgets every stream of a framework (it was shut down: nobody will acknowledge). */
  cleanup(frameworkId: string): void {
    for (const [k, stream] of this.streams) {
      if (stream.frameworkId !== frameworkId) continue
      this.cancel(stream)
      this.streams.delete(k)
    }
  }

  /** The update in flight for a task, if any. */
  inFlight(frameworkId: string, taskId: string): StatusUpdate | undefined {
    return this.streams.get(key(frameworkId, taskId))?.next()
  }

  /** Every update not yet acknowledged, per stream in order (for reregistration and tests). */
  *unacknowledged(): IterableIterator<StatusUpdate> {
    for (const stream of this.streams.values()) {
      for (let i = stream.head; i < stream.pending.length; i++) yield stream.pending[i]!
    }
  }

  /** Cancels every timer (the agent is stopping). */
  close(): void {
    this.pause()
    this.streams.clear()
  }

  private send(stream: Stream, retryMs: number): void {
    const update = stream.next()
    if (!update) return
    this.cancel(stream)
    stream.retryMs = retryMs
    stream.timer = this.clock.setTimeout(() => {
      stream.timer = undefined
      if (this.paused) return
      this.send(stream, Math.min(stream.retryMs * 2, this.maxRetryMs))
    }, retryMs)
    this.forwardFn(update)
  }

  private cancel(stream: Stream): void {
    if (stream.timer !== undefined) {
      this.clock.clearTimeout(stream.timer)
      stream.timer = undefined
    }
  }
}
