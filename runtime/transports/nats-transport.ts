import { connect, type NatsConnection, type ConnectionOptions } from '@nats-io/transport-node'
import type { BytesHandler, RangeHandler, Subscription, Transport, TransportStatus } from './transport.js'
import { TransportError } from '../errors.js'

/**
 * Envelopes published to one subject within one turn of the event loop travel as one NATS
 * message: a frame that starts with 0xc1 (a byte msgpack never uses, so a lone envelope can
 * never be mistaken for a frame) followed by [u32 length, bytes] per envelope. NATS's cost is
 * per message (protocol line, subject encoding, parser), so a burst to one actor costs one.
 */
const FRAME_MARK = 0xc1
const MAX_FRAME_BYTES = 256 * 1024
const MAX_FRAME_MESSAGES = 1024

export interface NatsTransportOptions {
  /** `nats://host:4222`, or several for a NATS cluster. */
  servers: string | string[]
  /** Shown in the server's connection list (`mesos-ts master m1`). */
  name?: string
  user?: string
  pass?: string
  token?: string
  /** Keep trying forever by default: a daemon outlives a NATS restart. */
  maxReconnectAttempts?: number
  reconnectTimeWaitMs?: number
  /** How long the first connect may take before it fails with a TransportError. */
  timeoutMs?: number
  /** Coalesce same-subject publishes per event-loop turn (default true). */
  coalesce?: boolean
}

interface Outgoing {
  items: Uint8Array[]
  bytes: number
}

/**
 * The real transport: one NATS connection per runtime. publish() never waits: nats.js appends
 * to its outbound buffer and flushes in batches, which is where the throughput comes from.
 * Handlers run from the subscription callback (no async iterator per message).
 */
export class NatsTransport implements Transport {
  readonly kind = 'nats' as const
  private readonly listeners: Array<(s: TransportStatus) => void> = []
  private closed = false
  private readonly coalesce: boolean
  private outbox = new Map<string, Outgoing>()
  private flushScheduled = false

  private constructor(
    readonly connection: NatsConnection,
    coalesce: boolean,
  ) {
    this.coalesce = coalesce
    void this.watchStatus()
  }

  static async connect(opts: NatsTransportOptions): Promise<NatsTransport> {
    const options: ConnectionOptions = {
      servers: opts.servers,
      name: opts.name,
      user: opts.user,
      pass: opts.pass,
      token: opts.token,
      maxReconnectAttempts: opts.maxReconnectAttempts ?? -1,
      reconnectTimeWait: opts.reconnectTimeWaitMs ?? 250,
      timeout: opts.timeoutMs ?? 5000,
    }
    try {
      return new NatsTransport(await connect(options), opts.coalesce ?? true)
    } catch (err) {
      const servers = Array.isArray(opts.servers) ? opts.servers.join(',') : opts.servers
      throw new TransportError(`cannot connect to NATS at ${servers}: ${(err as Error).message} (is nats-server running? 'mesos-ts nats' starts one)`)
    }
  }

  subscribe(subject: string, handler: BytesHandler): Subscription {
    return this.subscribeRanges(subject, (buffer, start, end) => handler(buffer.subarray(start, end)))
  }

  subscribeRanges(subject: string, handler: RangeHandler): Subscription {
    const sub = this.connection.subscribe(subject, {
      callback: (err, msg) => {
        if (err) return
        const data = msg.data
        if (data.length > 0 && data[0] === FRAME_MARK) unframe(data, handler)
        else handler(data, 0, data.length)
      },
    })
    return {
      subject,
      pending: () => sub.getPending(),
      unsubscribe: () => sub.unsubscribe(),
    }
  }

  publish(subject: string, bytes: Uint8Array): void {
    if (this.closed) return
    const max = this.maxPayload()
    if (bytes.length > max) {
      throw new TransportError(`message of ${bytes.length} bytes to ${subject} exceeds the NATS server's max_payload of ${max} bytes`)
    }
    if (!this.coalesce) {
      this.connection.publish(subject, bytes)
      return
    }
    let out = this.outbox.get(subject)
    // A frame never grows past the server's limit: flush what is queued before it would.
    if (out && (out.items.length >= MAX_FRAME_MESSAGES || 1 + out.bytes + bytes.length + 4 > Math.min(MAX_FRAME_BYTES, max))) {
      this.outbox.delete(subject)
      this.publishFrame(subject, out)
      out = undefined
    }
    if (!out) this.outbox.set(subject, (out = { items: [], bytes: 0 }))
    out.items.push(bytes)
    out.bytes += bytes.length + 4
    if (!this.flushScheduled) {
      this.flushScheduled = true
      queueMicrotask(this.flushOutbox)
    }
  }

  /** The server's max_payload (1 MiB by default), known once connected. */
  private maxPayload(): number {
    return this.connection.info?.max_payload ?? 1024 * 1024
  }

  private readonly flushOutbox = (): void => {
    this.flushScheduled = false
    const outbox = this.outbox
    this.outbox = new Map()
    for (const [subject, out] of outbox) this.publishFrame(subject, out)
  }

  private publishFrame(subject: string, out: Outgoing): void {
    if (out.items.length === 1) {
      this.connection.publish(subject, out.items[0]!)
      return
    }
    const frame = new Uint8Array(1 + out.bytes)
    const view = new DataView(frame.buffer)
    frame[0] = FRAME_MARK
    let at = 1
    for (const item of out.items) {
      view.setUint32(at, item.length)
      frame.set(item, at + 4)
      at += 4 + item.length
    }
    this.connection.publish(subject, frame)
  }

  flush(): Promise<void> {
    this.flushOutbox()
    return this.connection.flush()
  }

  onStatus(listener: (status: TransportStatus) => void): void {
    this.listeners.push(listener)
  }

  private async watchStatus(): Promise<void> {
    for await (const s of this.connection.status()) {
      const mapped: TransportStatus | undefined = s.type === 'disconnect' ? 'disconnected' : s.type === 'reconnect' ? 'reconnected' : undefined
      if (mapped) for (const l of this.listeners) l(mapped)
    }
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.flushOutbox()
    this.closed = true
    try {
      await this.connection.drain()
    } catch {
      await this.connection.close().catch(() => {})
    }
    for (const l of this.listeners) l('closed')
  }
}

/**
 * Splits a coalesced frame into ranges (a subarray per envelope cost 2% of the 1-process bench's
 * CPU profile); a malformed frame stops at the bad length (the rest is dropped).
 */
function unframe(data: Uint8Array, handler: RangeHandler): void {
  const n = data.length
  let at = 1
  while (at + 4 <= n) {
    const len = ((data[at]! << 24) | (data[at + 1]! << 16) | (data[at + 2]! << 8) | data[at + 3]!) >>> 0
    at += 4
    if (at + len > n) {
      handler(data, 0, 1) // hand the lone 0xc1 mark on: the runtime counts it undecodable
      return
    }
    handler(data, at, at + len)
    at += len
  }
}
