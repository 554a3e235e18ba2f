// Finds the leading master for agents, frameworks and standby masters: reads the lease key
// (polling, since a lease that expires emits no watch event) and reports each change of leader.
import { connect, type NatsConnection } from '@nats-io/transport-node'
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream'
import { TransportError, type Clock, type Pid } from '../runtime/index.js'
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

/** How long detectMaster keeps trying while JetStream cannot answer (a NATS server failing over). */
const OPEN_RETRY_MS = 60_000
const OPEN_RETRY_INTERVAL_MS = 250

/**
 * There is no lease to read: the servers have no JetStream, or no master has created the bucket.
 * nats.js reports a JetStream API request nobody answered as `JetStreamNotEnabled`, and so it
 * does while a JetStream cluster elects a new leader: only the server's INFO tells them apart.
 */
function noLease(err: unknown, nc: NatsConnection): boolean {
  if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound) return true
  return nc.info?.jetstream !== true && err instanceof Error && err.name === 'JetStreamNotEnabled'
}

/**
 * The leader detector for a cluster on NATS: the JetStream lease when the servers have
 * JetStream and a master has created the lease bucket; otherwise the single master at
 * `master@master` (an embedded `local` cluster, or masters run without a registry).
 * Any other error opening the bucket is JetStream being briefly unavailable (for 5-6 s after one
 * of three NATS servers dies, measured on nats-server 2.9): falling back to `master@master` then
 * left an agent or framework talking to a master that does not exist (the real-process HA test
 * caught `mesos-ts execute` hanging so), so it retries, and gives up with an error, not a guess.
 */
export async function detectMaster(options: { servers: string[]; prefix: string; clock: Clock; leaseMs?: number; pollMs?: number; retryMs?: number }): Promise<{ detector: MasterDetector; close(): Promise<void> }> {
  let nc: NatsConnection | undefined
  try {
    nc = await connect({ servers: options.servers, name: 'mesos-ts master detector', maxReconnectAttempts: -1, reconnectTimeWait: 250 })
  } catch {
    return { detector: new StaticMasterDetector(MASTER_PID), close: async () => {} }
  }
  const conn = nc
  const deadline = options.clock.now() + (options.retryMs ?? OPEN_RETRY_MS)
  for (;;) {
    try {
      const store = await JetStreamLeaseStore.open(conn, { bucket: leaseBucket(options.prefix), leaseMs: options.leaseMs ?? 3000, bindOnly: true })
      const detector = new LeaseDetector(store, options.clock, options.pollMs ?? 250)
      await detector.start()
      return {
        detector,
        close: async () => {
          detector.stop()
          await conn.close()
        },
      }
    } catch (err) {
      if (noLease(err, conn)) {
        await conn.close()
        return { detector: new StaticMasterDetector(MASTER_PID), close: async () => {} }
      }
      if (options.clock.now() >= deadline) {
        await conn.close()
        throw new TransportError(`cannot read the leading master's lease from NATS JetStream at ${options.servers.join(',')}: ${(err as Error).message}`)
      }
      await new Promise<void>(resolve => options.clock.setTimeout(resolve, OPEN_RETRY_INTERVAL_MS))
    }
  }
}
