// Finds the leading master for agents, frameworks and `execute`: reads the lease key and reports
// each change of serving leader. A leader is appointed only once its lease says it serves (it has
// fenced and recovered its registry and runs its master actor): an agent that reregistered with it
// earlier would be dropped and retry with exponential backoff, adding seconds to a failover.
// Changes arrive fast as a hint (every write to the key is also published on its subject: see
// JetStreamLeaseStore.onWrite), checked by a read; polling covers hints lost in a reconnect.
import { connect, type NatsConnection } from '@nats-io/transport-node'
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream'
import { TransportError, type Clock, type Pid } from '../runtime/index.js'
import { decodeLeader, type LeaseStore } from '../actors/master/leader-election.js'
import { StaticMasterDetector, type MasterDetector } from '../actors/scheduler/index.js'
import { JetStreamLeaseStore } from './jetstream-lease-store.js'
import { MASTER_PID } from './node-names.js'

/** Writes to the lease key as they happen (a hint: some are refused by the store). */
export interface LeaseWrites {
  onWrite(listener: (value: Uint8Array) => void): () => void
}

const HINT_READS = 5
const HINT_REREAD_MS = 20

export class LeaseDetector implements MasterDetector {
  private readonly inner = new StaticMasterDetector(undefined)
  private timer: unknown
  private stopped = false
  private reading = false
  private readAgain = false
  private unsubscribe: (() => void) | undefined
  /** A hinted leader the last read did not show yet, and how many quick re-reads are left. */
  private hinted: string | undefined
  private hintReads = 0

  constructor(
    private readonly store: LeaseStore,
    private readonly clock: Clock,
    private readonly pollMs: number,
    private readonly writes?: LeaseWrites,
  ) {}

  current(): Pid | undefined {
    return this.inner.current()
  }

  currentEpoch(): number | undefined {
    return this.inner.currentEpoch()
  }

  onChange(listener: (master: Pid | undefined) => void): () => void {
    return this.inner.onChange(listener)
  }

  /** Reads once (so callers start with the leader known, if there is one), then keeps polling. */
  async start(): Promise<void> {
    // A refresh by the serving leader repeats what is known; only another pid serving is news.
    this.unsubscribe = this.writes?.onWrite(value => {
      const leader = decodeLeader(value)
      if (leader?.serving && (leader.pid !== this.inner.current() || leader.epoch !== this.inner.currentEpoch())) {
        this.hinted = leader.pid
        this.hintReads = HINT_READS
        void this.poll()
      }
    })
    await this.poll()
  }

  stop(): void {
    this.stopped = true
    this.unsubscribe?.()
    this.clock.clearTimeout(this.timer)
  }

  private async poll(): Promise<void> {
    if (this.stopped) return
    if (this.reading) {
      this.readAgain = true
      return
    }
    this.clock.clearTimeout(this.timer)
    this.reading = true
    try {
      const entry = await this.store.get()
      const leader = entry ? decodeLeader(entry.value) : undefined
      // A lease that is gone, or held by a master still recovering, keeps the last leader known:
      // agents keep talking to it until someone else serves (a master may only be unreachable
      // from the store for a moment).
      if (leader?.serving) this.inner.appoint(leader.pid, leader.epoch)
    } catch {
      // The store is unavailable (a NATS server failing over): try again next round.
    } finally {
      this.reading = false
    }
    if (this.stopped) return
    if (this.readAgain) {
      this.readAgain = false
      return this.poll()
    }
    // Subscribers can hear a write before the stream has stored it, and a read then still finds
    // the old value: look again soon, a few times (the hint may also be a refused write).
    let next = this.pollMs
    if (this.hinted !== undefined && this.hinted !== this.inner.current() && this.hintReads-- > 0) next = Math.min(this.pollMs, HINT_REREAD_MS)
    else this.hinted = undefined
    this.timer = this.clock.setTimeout(() => void this.poll(), next)
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
      // 250 ms polls: with the write hints a new leader is usually seen within milliseconds, and
      // 10,000 agents polling every 100 ms would be 100,000 KV reads a second.
      const detector = new LeaseDetector(store, options.clock, options.pollMs ?? 250, store)
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
