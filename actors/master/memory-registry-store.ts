// A RegistryStore in memory, with the JetStream store's fencing semantics: for tests, the
// embedded `local` cluster and the simulation, where masters of successive terms share one
// instance (as they share the KV bucket), so a crashed master's registry survives it. Switches
// make it fail or hang, to test what the master does then.
import type { Clock } from '../../runtime/index.js'
import { FENCE_KEY, RegistryFencedError, type RegistryEntry, type RegistryFence, type RegistryStore, type RegistryWrite } from './registry-store.js'

export class MemoryRegistryStore implements RegistryStore {
  /** false: every call rejects (the store is unavailable). */
  available = true
  /** true: writes never complete (a store that stopped answering). */
  hang = false
  /** Write batches applied, and the entries they held (to check batching). */
  readonly stats = { batches: 0, writes: 0 }
  readonly entries = new Map<string, Uint8Array>()
  private fenceRevision = 0

  /** With a clock, each write takes `latencyMs` of its time (a round trip to the KV store). */
  constructor(private readonly latency?: { clock: Clock; latencyMs: number }) {}

  private check(): void {
    if (!this.available) throw new Error('registry store unavailable')
  }

  async fence(epoch: number): Promise<RegistryFence> {
    this.check()
    return { epoch, revision: ++this.fenceRevision }
  }

  async load(): Promise<RegistryEntry[]> {
    this.check()
    return [...this.entries].filter(([key]) => key !== FENCE_KEY).map(([key, value]) => ({ key, value }))
  }

  async write(batch: readonly RegistryWrite[], fence: RegistryFence): Promise<void> {
    this.check()
    if (this.hang) return new Promise(() => {})
    if (this.latency) await new Promise<void>(resolve => this.latency!.clock.setTimeout(() => resolve(), this.latency!.latencyMs))
    if (fence.revision !== this.fenceRevision) throw new RegistryFencedError(fence.epoch, `fence revision ${this.fenceRevision}, expected ${fence.revision}`)
    fence.revision = ++this.fenceRevision
    this.stats.batches++
    this.stats.writes += batch.length
    for (const w of batch) {
      if (w.value === undefined) this.entries.delete(w.key)
      else this.entries.set(w.key, w.value)
    }
  }
}
