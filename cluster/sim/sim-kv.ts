// The NATS KV bucket of the registry as the simulation sees it: the MemoryRegistryStore that
// outlives every master, behind a switch for the `kv-unavailable` fault. `down`: every request
// is refused at once (no JetStream quorum, connection refused). `timeout`: requests get no answer
// until the client's timeout, and a write may still have been applied: the master is told it
// failed either way, which is the ambiguity persist-before-act must survive.
import type { Clock, Prng } from '../../runtime/index.js'
import type { LeaseEntry, LeaseStore, MemoryLeaseStore, MemoryRegistryStore, RegistryEntry, RegistryFence, RegistryStore, RegistryWrite } from '../../actors/master/index.js'

export type KvMode = 'up' | 'down' | 'timeout'

export class SimRegistryStore implements RegistryStore {
  mode: KvMode = 'up'

  constructor(
    readonly inner: MemoryRegistryStore,
    private readonly clock: Clock,
    private readonly random: Prng,
    /** The KV client's request timeout. */
    private readonly timeoutMs: number,
  ) {}

  /** @internal also the lease's switch */
  unavailable<T>(applied?: () => Promise<T>): Promise<T> {
    if (this.mode === 'down') return Promise.reject(new Error('registry store unavailable (simulated)'))
    return new Promise((_, reject) =>
      this.clock.setTimeout(() => {
        if (applied) void applied().catch(() => {})
        reject(new Error(`registry store request timed out after ${this.timeoutMs} ms (simulated)`))
      }, this.timeoutMs),
    )
  }

  fence(epoch: number): Promise<RegistryFence> {
    return this.mode === 'up' ? this.inner.fence(epoch) : this.unavailable()
  }

  load(): Promise<RegistryEntry[]> {
    return this.mode === 'up' ? this.inner.load() : this.unavailable()
  }

  write(batch: readonly RegistryWrite[], fence: RegistryFence): Promise<void> {
    if (this.mode === 'up') return this.inner.write(batch, fence)
    // A timed-out write reached the server half the time: it lands, unbeknown to the master.
    const lands = this.mode === 'timeout' && this.random.chance(0.5)
    return this.unavailable(lands ? () => this.inner.write(batch, fence) : undefined)
  }
}

/** The leader lease's key in the same NATS: down or timing out with the registry (one switch). */
export class SimLeaseStore implements LeaseStore {
  constructor(
    readonly inner: MemoryLeaseStore,
    private readonly kv: SimRegistryStore,
  ) {}

  private via<T>(op: () => Promise<T>): Promise<T> {
    if (this.kv.mode === 'up') return op()
    // A timed-out CAS may have landed (a refresh the leader does not know it made).
    return this.kv.unavailable(this.kv.mode === 'timeout' ? op : undefined)
  }

  create(value: Uint8Array): Promise<number | undefined> {
    return this.via(() => this.inner.create(value))
  }

  update(value: Uint8Array, revision: number): Promise<number | undefined> {
    return this.via(() => this.inner.update(value, revision))
  }

  get(): Promise<LeaseEntry | undefined> {
    return this.mode === 'up' ? this.inner.get() : this.kv.unavailable()
  }

  release(revision: number): Promise<void> {
    return this.via(() => this.inner.release(revision))
  }

  private get mode(): string {
    return this.kv.mode
  }
}
