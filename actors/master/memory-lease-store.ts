// A LeaseStore in memory on a Clock, behaving as the JetStream KV lease does (the bucket TTL
// expires a key `leaseMs` after its last write, and nobody is told): for tests and the
// deterministic simulation, with a switch that makes the store unavailable.
import type { Clock } from '../../runtime/index.js'
import type { LeaseEntry, LeaseStore } from './leader-election.js'

export class MemoryLeaseStore implements LeaseStore {
  available = true
  private entry: { value: Uint8Array; revision: number; writtenAt: number } | undefined
  private revisions = 0

  constructor(
    private readonly clock: Clock,
    private readonly leaseMs: number,
  ) {}

  private live(): typeof this.entry {
    if (this.entry && this.clock.now() - this.entry.writtenAt >= this.leaseMs) this.entry = undefined
    return this.entry
  }

  private check(): void {
    if (!this.available) throw new Error('lease store unavailable')
  }

  async create(value: Uint8Array): Promise<number | undefined> {
    this.check()
    if (this.live()) return undefined
    this.entry = { value, revision: ++this.revisions, writtenAt: this.clock.now() }
    return this.entry.revision
  }

  async update(value: Uint8Array, revision: number): Promise<number | undefined> {
    this.check()
    const current = this.live()
    if (!current || current.revision !== revision) return undefined
    this.entry = { value, revision: ++this.revisions, writtenAt: this.clock.now() }
    return this.entry.revision
  }

  async get(): Promise<LeaseEntry | undefined> {
    this.check()
    const current = this.live()
    return current ? { value: current.value, revision: current.revision } : undefined
  }

  async release(revision: number): Promise<void> {
    this.check()
    if (this.live()?.revision === revision) this.entry = undefined
  }
}
