// The master's registry in a JetStream KV bucket (`<prefix>-registry`, no TTL, history 1, one
// key per agent, framework, quota and weight), fenced by a `fence` key in the same bucket: see
// actors/master/registry-store.ts for the design and the window that remains.
import { Kvm, type KV } from '@nats-io/kv'
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream'
import type { NatsConnection } from '@nats-io/transport-node'
import { FENCE_KEY, RegistryFencedError, type RegistryEntry, type RegistryFence, type RegistryStore, type RegistryWrite } from '../actors/master/index.js'

export interface JetStreamRegistryOptions {
  /** Bucket per cluster prefix: see registryBucket(). */
  bucket: string
  /** 3 with a 3-server NATS cluster (--registry_replicas). */
  replicas?: number
}

/** Puts in flight at once: enough to pipeline a batch of 10,000 agents, bounded so a huge batch does not flood the server. */
const WINDOW = 128

function isConflict(err: unknown): boolean {
  return err instanceof JetStreamApiError && (err.code === JetStreamApiCodes.StreamWrongLastSequence || err.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
}

export function registryBucket(prefix: string): string {
  return `${prefix.replace(/\./g, '_')}-registry`
}

export class JetStreamRegistryStore implements RegistryStore {
  private constructor(private readonly kv: KV) {}

  static async open(nc: NatsConnection, o: JetStreamRegistryOptions): Promise<JetStreamRegistryStore> {
    const kv = await new Kvm(nc).create(o.bucket, { history: 1, replicas: o.replicas ?? 1 })
    return new JetStreamRegistryStore(kv)
  }

  async fence(epoch: number): Promise<RegistryFence> {
    const value = new TextEncoder().encode(String(epoch))
    const current = await this.kv.get(FENCE_KEY)
    try {
      const revision = current && current.operation === 'PUT' ? await this.kv.update(FENCE_KEY, value, current.revision) : await this.kv.create(FENCE_KEY, value)
      return { epoch, revision }
    } catch (err) {
      if (isConflict(err)) throw new RegistryFencedError(epoch, 'another master took the registry while this one was taking it')
      throw err
    }
  }

  async load(): Promise<RegistryEntry[]> {
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
    try {
      fence.revision = await this.kv.update(FENCE_KEY, new TextEncoder().encode(String(fence.epoch)), fence.revision)
    } catch (err) {
      if (isConflict(err)) throw new RegistryFencedError(fence.epoch, 'the fence key moved')
      throw err
    }
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < batch.length) {
        const w = batch[next++]!
        if (w.value === undefined) await this.kv.delete(w.key)
        else await this.kv.put(w.key, w.value)
      }
    }
    await Promise.all(Array.from({ length: Math.min(WINDOW, batch.length) }, worker))
  }
}
