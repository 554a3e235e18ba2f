// Finds the leading master for agents, frameworks and standby masters: reads the lease key
// (polling, since a lease that expires emits no watch event) and reports each change of leader.
import { connect, type NatsConnection } from '@nats-io/transport-node'
import type { Clock, Pid } from '../runtime/index.js'
import { decodeLeader, type LeaseStore } from '../actors/master/leader-election.js'
import { StaticMasterDetector, type MasterDetector } from '../actors/scheduler/index.js'
import { JetStreamLeaseStore } from './jetstream-lease-store.js'
import { MASTER_PID } from './node-names.js'

export class LeaseDetector implements MasterDetector {
  private readonly inner = new StaticMasterDetector(undefined)
  private timer: unknown
  private stopped = false

  constructor(
    private readonly store: LeaseStore,
    private readonly clock: Clock,
    private readonly pollMs: number,
  ) {}

  current(): Pid | undefined {
    return this.inner.current()
  }

  onChange(listener: (master: Pid | undefined) => void): () => void {
    return this.inner.onChange(listener)
  }

  /** Reads once (so callers start with the leader known, if there is one), then keeps polling. */
  async start(): Promise<void> {
    await this.poll()
  }

  stop(): void {
    this.stopped = true
    this.clock.clearTimeout(this.timer)
  }

  private async poll(): Promise<void> {
    try {
      const entry = await this.store.get()
      const leader = entry ? decodeLeader(entry.value) : undefined
      // A lease that is gone keeps the last leader known: agents keep talking to it until
      // someone else leads (a master may only be unreachable from the store for a moment).
      if (leader) this.inner.appoint(leader.pid)
    } catch {
      // The store is unavailable (a NATS server failing over): try again next round.
    }
    if (!this.stopped) this.timer = this.clock.setTimeout(() => void this.poll(), this.pollMs)
  }
}

export function leaseBucket(prefix: string): string {
  return `${prefix.replace(/\./g, '_')}-leader`
}

/**
 * The leader detector for a cluster on NATS: the JetStream lease when the servers have
 * JetStream and a master has created the lease bucket; otherwise the single master at
 * `master@master` (an embedded `local` cluster, or masters run without a registry).
 */
export async function detectMaster(options: { servers: string[]; prefix: string; clock: Clock; leaseMs?: number; pollMs?: number }): Promise<{ detector: MasterDetector; close(): Promise<void> }> {
  let nc: NatsConnection | undefined
  try {
    nc = await connect({ servers: options.servers, name: 'mesos-ts master detector' })
    const store = await JetStreamLeaseStore.open(nc, { bucket: leaseBucket(options.prefix), leaseMs: options.leaseMs ?? 3000, bindOnly: true })
    const detector = new LeaseDetector(store, options.clock, options.pollMs ?? 250)
    await detector.start()
    const conn = nc
    return {
      detector,
      close: async () => {
        detector.stop()
        await conn.close()
      },
    }
  } catch {
    await nc?.close()
    return { detector: new StaticMasterDetector(MASTER_PID), close: async () => {} }
  }
}
