// The master's writer to its registry (Mesos's Registrar): the master persists a change BEFORE
// it acts on it (admit an agent -> persist -> AgentRegistered; add a framework -> persist ->
// Subscribed; remove -> persist -> act), so a new leader recovers everything a client was told.
//
// Batching is group commit: writes requested while a batch is in flight wait and go out together
// as the next batch, and writes of one tick always share a batch. 10,000 agents registering at
// once cost a handful of batches (each one run of pipelined conditional writes), not 10,000 sequential
// round trips. A key written twice before its batch leaves is written once, with the later value.
import type { ActorPort } from '../../runtime/index.js'
import { RegistryFencedError, type AgentEntry, type RegistryFence, type RegistryStore, type RegistryWrite } from './registry-store.js'
import type { RecoveredRegistry } from './registry-recovery.js'
import type { AgentRecord } from './records.js'

/** What a master term gets to reach its registry: the store, its fence, what was recovered. */
export interface RegistryLink {
  readonly store: RegistryStore
  readonly fence: RegistryFence
  /** Loaded before the term started serving (undefined: start empty). */
  readonly recovered?: RecoveredRegistry
  /** A later leader took the registry: stop acting as leader at once. */
  onFenced(err: RegistryFencedError): void
}

interface Waiter {
  done(): void
  failed(err: Error): void
}

/** A write still outstanding after this long gets a warning: the master is not acting meanwhile. */
const SLOW_WRITE_MS = 5000

/**
 * Continuations run at most this many per turn of the event loop: a batch of 10,000 admissions
 * (each a log line, an allocator event and a reply) run in one go would block the event loop and
 * delay the leader's lease refresh, whose margin is a second or so.
 */
const CONTINUATIONS_PER_TURN = 200

export class RegistryWriter {
  private pending = new Map<string, RegistryWrite>()
  private waiters: Waiter[] = []
  private inFlight = false
  private flushQueued = false
  private fenced: RegistryFencedError | undefined
  /** Continuations of completed batches, run in order, a slice per turn. */
  private readonly ready: Array<() => void> = []
  private draining = false

  constructor(
    private readonly link: RegistryLink,
    private readonly port: ActorPort,
    /** Runs continuations as an event of the master actor (never in the middle of another). */
    private readonly deliver: (fn: () => void) => void,
  ) {
    port.metrics.gauge('registrar/queued_operations', () => this.waiters.length)
    port.metrics.gauge('registrar/state_store_ms', () => this.lastStoreMs)
  }

  /**
   * Persists `writes`, then runs `done` (as a master event); on failure runs `failed` with the
   * reason instead, and nothing of the change may be acted on.
   */
  write(writes: readonly RegistryWrite[], done: () => void, failed: (err: Error) => void): void {
    if (this.fenced) {
      const err = this.fenced
      this.deliver(() => failed(err))
      return
    }
    for (const w of writes) {
      // Delete-then-insert keeps the batch in the order of the latest writes.
      this.pending.delete(w.key)
      this.pending.set(w.key, w)
    }
    this.waiters.push({ done, failed })
    this.queueFlush()
  }

  private queueFlush(): void {
    if (this.flushQueued || this.inFlight) return
    this.flushQueued = true
    queueMicrotask(() => void this.flush())
  }

  private async flush(): Promise<void> {
    this.flushQueued = false
    if (this.inFlight || this.waiters.length === 0) return
    const batch = [...this.pending.values()]
    const waiters = this.waiters
    this.pending = new Map()
    this.waiters = []
    this.inFlight = true
    const started = this.port.now()
    const slow = this.port.clock.setTimeout(() => {
      this.port.log.warn(
        { entries: batch.length, waiting: waiters.length },
        `registry write of ${batch.length} entries has not completed after ${SLOW_WRITE_MS} ms: the master does not act on these changes (agents admitted, frameworks subscribed or removed) until it does`,
      )
    }, SLOW_WRITE_MS)
    try {
      await this.link.store.write(batch, this.link.fence)
      this.port.metrics.counter('registrar/state_store_batches').inc()
      this.port.metrics.counter('registrar/state_store_entries').inc(batch.length)
      this.lastStoreMs = this.port.now() - started
      this.enqueue(waiters.map(w => w.done))
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e))
      this.port.metrics.counter('registrar/state_store_failures').inc()
      if (err instanceof RegistryFencedError) this.fenced = err
      const fenced = err instanceof RegistryFencedError ? err : undefined
      this.enqueue([...waiters.map(w => () => w.failed(err)), ...(fenced ? [() => this.link.onFenced(fenced)] : [])])
    } finally {
      this.port.clock.clearTimeout(slow)
      this.inFlight = false
      if (this.waiters.length > 0) this.queueFlush()
    }
  }

  private enqueue(continuations: Array<() => void>): void {
    for (const c of continuations) this.ready.push(c)
    if (!this.draining) this.drain()
  }

  /** Runs a slice as one master event; the rest after a timer turn (the lease refresh gets its turn). */
  private drain(): void {
    this.draining = true
    const slice = this.ready.splice(0, CONTINUATIONS_PER_TURN)
    this.deliver(() => {
      for (const c of slice) c()
    })
    if (this.ready.length > 0) this.port.clock.setTimeout(() => this.drain(), 0)
    else this.draining = false
  }

  /** How long the last batch took to store (ms), for /metrics. */
  lastStoreMs = 0
}

/** An admitted agent's registry entry. */
export function agentEntryOf(agent: AgentRecord): AgentEntry {
  return { id: agent.id, info: agent.info, pid: agent.pid, version: agent.version, registered_at: agent.registeredAt }
}
