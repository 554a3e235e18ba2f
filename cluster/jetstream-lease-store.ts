// The masters' lease key in a JetStream KV bucket (DESIGN.md section 4). Facts measured on
// Debian's nats-server 2.9 shape this: per-key TTL is ignored, so the bucket's TTL is the lease;
// a TTL expiry emits no watch event, so standbys poll (LeaderElection does), and a standby takes
// over by observation rather than waiting for that expiry.
import { Kvm, type KV } from '@nats-io/kv'
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream'
import type { NatsConnection } from '@nats-io/transport-node'
import type { LeaseEntry, LeaseStore } from '../actors/master/leader-election.js'

export interface JetStreamLeaseOptions {
  /** Bucket per cluster prefix: `<prefix>-leader`. */
  bucket: string
  key?: string
  leaseMs: number
  /** 3 with a 3-server NATS cluster, so the lease survives one server's death. */
  replicas?: number
  /** Only use an existing bucket (readers); throws when there is none. */
  bindOnly?: boolean
}

function isConflict(err: unknown): boolean {
  return err instanceof JetStreamApiError && (err.code === JetStreamApiCodes.StreamWrongLastSequence || err.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
}

export class JetStreamLeaseStore implements LeaseStore {
  private constructor(
    private readonly nc: NatsConnection,
    private readonly kv: KV,
    private readonly bucket: string,
    private readonly key: string,
  ) {}

  /**
   * Every write attempted on the lease key, as it is published: a plain NATS subscription to the
   * key's subject, not a KV watch. A watch is a JetStream consumer per watcher, and with 10,000
   * agents each detecting the leader that is 10,000 consumers on the server; a subscription is
   * one interest in the server's subject table and costs nothing between writes. It sees attempts
   * too (a compare-and-set the stream then refused), so it is a hint to read the key, never the
   * answer.
   */
  onWrite(listener: (value: Uint8Array) => void): () => void {
    const sub = this.nc.subscribe(`$KV.${this.bucket}.${this.key}`, {
      callback: (err, msg) => {
        if (!err) listener(msg.data)
      },
    })
    return () => sub.unsubscribe()
  }

  static async open(nc: NatsConnection, o: JetStreamLeaseOptions): Promise<JetStreamLeaseStore> {
    const kvm = new Kvm(nc)
    if (o.bindOnly) {
      // open() checks the bucket exists (a plain bind does not).
      const kv = await kvm.open(o.bucket)
      await kv.status()
      return new JetStreamLeaseStore(nc, kv, o.bucket, o.key ?? 'leader')
    }
    const kv = await kvm.create(o.bucket, { ttl: o.leaseMs, history: 1, replicas: o.replicas ?? 1 })
    // An existing bucket keeps its TTL (create() does not change it). One shorter than the lease
    // would remove a leader's key while it still acts, and a standby's put-if-absent would then
    // make two leaders: refuse to contend on it.
    const { ttl } = await kv.status()
    if (ttl > 0 && ttl < o.leaseMs) {
      throw new Error(`the lease bucket '${o.bucket}' expires keys after ${ttl} ms, less than the ${o.leaseMs} ms lease: delete it (nats kv del ${o.bucket}) or raise its TTL`)
    }
    return new JetStreamLeaseStore(nc, kv, o.bucket, o.key ?? 'leader')
  }

  async create(value: Uint8Array): Promise<number | undefined> {
    try {
      return await this.kv.create(this.key, value)
    } catch (err) {
      if (isConflict(err)) return undefined
      throw err
    }
  }

  async update(value: Uint8Array, revision: number): Promise<number | undefined> {
    try {
      return await this.kv.update(this.key, value, revision)
    } catch (err) {
      if (isConflict(err)) return undefined
      throw err
    }
  }

  async get(): Promise<LeaseEntry | undefined> {
    const e = await this.kv.get(this.key)
    if (!e || e.operation !== 'PUT') return undefined
    return { value: e.value, revision: e.revision }
  }

  async release(revision: number): Promise<void> {
    try {
      await this.kv.delete(this.key, { previousSeq: revision })
    } catch (err) {
      if (!isConflict(err)) throw err
    }
  }
}
