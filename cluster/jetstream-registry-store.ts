// The master's registry in a JetStream KV bucket (`<prefix>-registry`, no TTL, history 1, one
// key per agent, framework, quota and weight), fenced by a `fence` key in the same bucket: see
// actors/master/registry-store.ts for the design. Writes bypass kv.put/kv.delete (which cannot
// carry the expectation headers fencing needs) but publish exactly what they would: the key's
// subject from the bucket, and for a delete an empty body with `KV-Operation: DEL`.
import { randomUUID } from 'node:crypto'
import { Bucket, Kvm } from '@nats-io/kv'
import { JetStreamApiCodes, JetStreamApiError, PubHeaders, jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream'
import { headers, type NatsConnection } from '@nats-io/transport-node'
import { FENCE_KEY, RegistryError, RegistryFencedError, type RegistryEntry, type RegistryFence, type RegistryStore, type RegistryWrite } from '../actors/master/index.js'
import { RegistryFollower } from './registry-follower.js'

export interface JetStreamRegistryOptions {
  /** Bucket per cluster prefix: see registryBucket(). */
  bucket: string
  /** 3 with a 3-server NATS cluster (--registry_replicas). */
  replicas?: number
  /**
   * Hot standby: follow the bucket from open on a connection of its own to these servers, so
   * load() after fence() is a short catch-up instead of a full read (10,000 agents: 1.5 s). Its
   * own connection: the follower's flood of entries must not queue ahead of the leader's writes.
   */
  follow?: { servers: string[] }
}

/** @nats-io/kv's kvOperationHdr, which its package does not export: how a KV delete is marked. */
const KV_OPERATION_HEADER = 'KV-Operation'

/** Writes in flight at once: enough to pipeline a batch of 10,000 agents, bounded so a huge batch does not flood the server. */
const WINDOW = 128

/**
 * Times a batch resynchronises its chain after one of its own writes failed (a timeout, a
 * stream leader change) before it gives up with a plain error; the next batch starts with a
 * resynchronisation anyway, so giving up only fails this batch's waiters.
 */
const RESYNCS_PER_BATCH = 5

/** How long load() waits for the follower to catch up before it reads the whole bucket instead. */
const CATCH_UP_MS = 10_000

export function registryBucket(prefix: string): string {
  return `${prefix.replace(/\./g, '_')}-registry`
}

/**
 * One term's hold on the registry: the chain of its writes. Every message this term stores
 * carries a Nats-Msg-Id `<nonce>.<n>`. The first write of a run expects the stream's last
 * sequence to be a message known to be this term's (its fence, its last acknowledged write) or
 * checked by resync(); each later write of the run also expects the stream's last message to be
 * the run's previous write (Nats-Expected-Last-Msg-Id). The random nonce keeps ids unique across
 * terms and restarts (a reused id within the stream's duplicate window is dropped, not stored).
 */
class JetStreamFence implements RegistryFence {
  private counter = 0
  readonly nonce = randomUUID()
  /** The fence key's revision this term wrote: the fence is ours while it is the key's last. */
  fenceSeq = 0
  /** The stream's last sequence as this term knows it: what its next write expects. */
  tailSeq = 0

  constructor(readonly epoch: number) {}

  /** The registry's revision after this term's last write (RegistryFence). */
  get revision(): number {
    return this.tailSeq
  }

  nextId(): string {
    return `${this.nonce}.${this.counter++}`
  }

  owns(msgId: string | undefined): boolean {
    return msgId !== undefined && msgId.startsWith(`${this.nonce}.`)
  }
}

export class JetStreamRegistryStore implements RegistryStore {
  private constructor(
    private readonly kv: Bucket,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly follower: RegistryFollower | undefined,
  ) {}

  static async open(nc: NatsConnection, o: JetStreamRegistryOptions): Promise<JetStreamRegistryStore> {
    const kv = await new Kvm(nc).create(o.bucket, { history: 1, replicas: o.replicas ?? 1 })
    if (!(kv instanceof Bucket)) throw new RegistryError(`registry bucket ${o.bucket}: @nats-io/kv returned no Bucket (its subjects are needed to publish fenced writes)`)
    const follower = o.follow ? await RegistryFollower.start(o.follow.servers, o.bucket) : undefined
    // The follower lives as long as the store's connection: a caller closes one connection, as before.
    if (follower) void nc.closed().then(() => follower.stop())
    return new JetStreamRegistryStore(kv, jetstream(nc), await jetstreamManager(nc), follower)
  }

  private subject(key: string): string {
    return this.kv.subjectForKey(key, true)
  }

  /**
   * Reads go to the stream leader (STREAM.MSG.GET), never to a replica through a direct get: a
   * lagging R3 follower could show an older fence, and a decision about who holds the registry
   * must not rest on that.
   */
  private lastOf(key: string) {
    return this.jsm.streams.getMessage(this.kv.stream, { last_by_subj: this.kv.subjectForKey(key) })
  }

  async fence(epoch: number): Promise<RegistryFence> {
    const current = await this.lastOf(FENCE_KEY)
    const fence = new JetStreamFence(epoch)
    const id = fence.nextId()
    try {
      // Compare-and-set on the fence key only: a deposed leader still writing entries must not
      // make its successor's takeover fail; its writes after this one fail instead.
      const ack = await this.js.publish(this.subject(FENCE_KEY), new TextEncoder().encode(String(epoch)), {
        msgID: id,
        expect: { lastSubjectSequence: current?.seq ?? 0 },
      })
      fence.fenceSeq = fence.tailSeq = ack.seq
      return fence
    } catch (err) {
      if (err instanceof JetStreamApiError && (err.code === JetStreamApiCodes.StreamWrongLastSequence || err.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)) {
        throw new RegistryFencedError(epoch, 'another master took the registry while this one was taking it')
      }
      throw err
    }
  }

  async load(): Promise<RegistryEntry[]> {
    if (this.follower) {
      // Everything the stream held when load() was called (the caller's fence included) must be
      // in what it returns: catch up to the stream's last sequence, read from the stream leader.
      const info = await this.jsm.streams.info(this.kv.stream)
      const entries = await this.follower.entriesAt(info.state.last_seq, CATCH_UP_MS)
      if (entries) return entries.filter(e => e.key !== FENCE_KEY)
    }
    return this.readAll()
  }

  private async readAll(): Promise<RegistryEntry[]> {
    const status = await this.kv.status()
    if (status.values === 0) return []
    // One watcher delivers the last value of every key in a single ordered stream: 10,000
    // agents load in one pass, not 10,000 gets. Its initial values end at the first update.
    const out: RegistryEntry[] = []
    const watch = await this.kv.watch({ key: '>' })
    let seen = 0
    for await (const e of watch) {
      seen++
      if (e.operation === 'PUT' && e.key !== FENCE_KEY) out.push({ key: e.key, value: e.value })
      if (e.isUpdate || seen >= status.values) break
    }
    watch.stop()
    return out
  }

  async write(batch: readonly RegistryWrite[], fence: RegistryFence): Promise<void> {
    if (!(fence instanceof JetStreamFence)) throw new RegistryError('registry write under a fence this store did not take')
    let remaining = batch
    for (let attempt = 0; remaining.length > 0; attempt++) {
      if (attempt > RESYNCS_PER_BATCH) throw new RegistryError(`registry write of ${remaining.length} entries failed ${attempt} times in a row`)
      if (attempt > 0) await this.resync(fence)
      remaining = await this.writeChained(remaining, fence)
    }
  }

  /**
   * Pipelines the writes as links of the term's chain; returns those not known to have landed.
   * The server checks each write against the message stored just before it, so once one fails
   * (a successor's fence took its place, or it was lost) every later one fails too: a later
   * write cannot slip in after a foreign message, as it could if each only expected a sequence
   * number (the foreign message would fill exactly the slot the failed write left, and the
   * writes after it would find the sequences they expect). The first write expects a sequence
   * only: the server's last id is not kept across a restart once it is older than the duplicate
   * window, and the sequence alone already pins the message before it.
   */
  private async writeChained(batch: readonly RegistryWrite[], fence: JetStreamFence): Promise<RegistryWrite[]> {
    const failed: RegistryWrite[] = []
    let broken = false
    let next = 0
    let previousId: string | undefined
    const sender = async (): Promise<void> => {
      while (next < batch.length && !broken) {
        const w = batch[next++]!
        const id = fence.nextId()
        const expect = { lastSequence: fence.tailSeq, ...(previousId ? { lastMsgID: previousId } : {}) }
        fence.tailSeq++
        previousId = id
        try {
          if (w.value === undefined) {
            const h = headers()
            h.set(KV_OPERATION_HEADER, 'DEL')
            await this.js.publish(this.subject(w.key), undefined, { msgID: id, expect, headers: h })
          } else {
            await this.js.publish(this.subject(w.key), w.value, { msgID: id, expect })
          }
        } catch {
          // Whatever the reason, the chain is broken here: resync() finds out whose it is now.
          broken = true
          failed.push(w)
        }
      }
    }
    await Promise.all(Array.from({ length: Math.min(WINDOW, batch.length) }, sender))
    // Never sent once the chain broke.
    for (let i = next; i < batch.length; i++) failed.push(batch[i]!)
    return failed
  }

  /**
   * After a failed write: the stream's last message now is either ours (one of our writes was
   * lost or its ack was, and nothing else was stored after our chain) or someone else's. Ours:
   * continue the chain from it. Someone else's: if the fence key's last revision is still the
   * one this term wrote, no successor took the registry (a stray writer, say `nats kv put`), so
   * continue after that message; otherwise RegistryFencedError. The last sequence is read BEFORE
   * the fence key: a successor's fence landing between the two reads then either shows in the
   * fence key or comes after the sequence our next write expects, which makes that write fail.
   */
  private async resync(fence: JetStreamFence): Promise<void> {
    const info = await this.jsm.streams.info(this.kv.stream)
    const lastSeq = info.state.last_seq
    const last = lastSeq > 0 ? await this.jsm.streams.getMessage(this.kv.stream, { seq: lastSeq }) : null
    const lastId = last?.header?.get(PubHeaders.MsgIdHdr) || undefined
    if (!fence.owns(lastId)) {
      const current = await this.lastOf(FENCE_KEY)
      if (current?.seq !== fence.fenceSeq) {
        throw new RegistryFencedError(fence.epoch, `the fence key moved (revision ${current?.seq ?? 'none'}, this term wrote ${fence.fenceSeq})`)
      }
    }
    fence.tailSeq = lastSeq
  }
}
