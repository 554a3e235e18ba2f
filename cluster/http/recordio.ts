// RecordIO, the framing of Mesos's streaming HTTP responses (v1 scheduler SUBSCRIBE, operator
// SUBSCRIBE): each record is `<length>\n<bytes>`, where length is the decimal byte length of the
// JSON that follows (Mesos `src/common/recordio.hpp`). Shared by the operator and scheduler APIs.
//
// A subscriber that never reads must not make the master buffer without bound. Mesos keeps
// writing into the connection's pipe; here every stream has a byte budget for what is queued
// and not yet taken by the socket, and a stream over budget is dropped: closed, logged once at
// warn, and counted, so one stuck client cannot grow the master's heap.
//
// Usage (Fastify):
//   const stream = new RecordIoStream({ name: 'operator', log, metrics })
//   reply.header('Content-Type', 'application/json').send(stream)
//   stream.write({ type: 'SUBSCRIBED', subscribed: {...} })   // false once dropped or closed
//   stream.onClose(() => unregister())                        // client went away or was dropped
import { Readable } from 'node:stream'
import type { Logger, MetricsRegistry } from '../../runtime/index.js'

/** Default cap on bytes queued for one subscriber: ~10,000 typical task events. */
export const DEFAULT_MAX_BUFFERED_BYTES = 8 * 1024 * 1024

/** One record, `<length>\n<json>`, as bytes. */
export function encodeRecord(value: unknown): Buffer {
  const json = Buffer.from(JSON.stringify(value), 'utf8')
  const head = Buffer.from(`${json.length}\n`, 'latin1')
  return Buffer.concat([head, json], head.length + json.length)
}

/** Why a stream ended: the client closed it, the server ended it, or it was dropped as too slow. */
export type RecordIoCloseReason = 'client-closed' | 'ended' | 'slow-consumer'

export interface RecordIoStreamOptions {
  /** Names the stream in logs and metrics, e.g. `operator` or `scheduler`. */
  name: string
  log: Logger
  metrics?: MetricsRegistry
  /** Bytes queued (not yet taken by the socket) beyond which the subscriber is dropped. */
  maxBufferedBytes?: number
  /** Put in the warn line and log bindings, e.g. the framework id or the client's address. */
  subscriber?: string
}

/**
 * A Readable of RecordIO records with a bounded queue. `write` never blocks and never grows
 * the queue past `maxBufferedBytes`: past it the stream is destroyed (the HTTP response ends)
 * and `http/<name>/subscribers_dropped` is incremented.
 */
export class RecordIoStream extends Readable {
  readonly name: string
  private readonly log: Logger
  private readonly metrics: MetricsRegistry | undefined
  private readonly maxBufferedBytes: number
  private readonly subscriber: string | undefined
  private closeReason: RecordIoCloseReason | undefined
  private readonly closeListeners: Array<(reason: RecordIoCloseReason) => void> = []
  private recordsWritten = 0
  /** Extra budget granted by writeInitial (a big first record must not count against the stream). */
  private slack = 0
  private finished: RecordIoCloseReason | undefined

  constructor(options: RecordIoStreamOptions) {
    // Bytes mode; highWaterMark only decides when Node asks for more, which we ignore (push model).
    super({ highWaterMark: 64 * 1024 })
    this.name = options.name
    this.log = options.log
    this.metrics = options.metrics
    this.maxBufferedBytes = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES
    this.subscriber = options.subscriber
    this.metrics?.counter(`http/${this.name}/subscribers_opened`).inc()
    // 'close' follows destroy() (ours, or the response's when the client disconnects) and end.
    this.once('close', () => this.finish(this.closeReason ?? 'client-closed'))
  }

  override _read(): void {
    // Push model: records are pushed as events happen; nothing to pull.
  }

  /** Bytes queued in this stream and not yet taken by the consumer. */
  get bufferedBytes(): number {
    return this.readableLength
  }

  /** True once the stream was ended, dropped, or closed by the client. */
  get isClosed(): boolean {
    return this.closeReason !== undefined || this.destroyed
  }

  get written(): number {
    return this.recordsWritten
  }

  /**
   * Queues one record. Returns false when the stream is closed (the record is discarded) or
   * when this record pushed it over budget (the stream is dropped).
   */
  write(record: unknown): boolean {
    if (this.isClosed) return false
    const bytes = encodeRecord(record)
    if (this.readableLength + bytes.length > this.maxBufferedBytes + this.slack) {
      this.dropSlowConsumer()
      return false
    }
    this.recordsWritten++
    this.push(bytes)
    return true
  }

  /**
   * Queues a first record that may be big (the operator API's SUBSCRIBED carries the whole
   * state): its size is added to the budget, so only what queues up after it can get the
   * subscriber dropped.
   */
  writeInitial(record: unknown): boolean {
    if (this.isClosed) return false
    const bytes = encodeRecord(record)
    this.slack += bytes.length
    this.recordsWritten++
    this.push(bytes)
    return true
  }

  /** Ends the stream after what is queued has been read (server-side close). */
  end(): void {
    if (this.isClosed) return
    this.closeReason = 'ended'
    this.push(null)
  }

  /** Called once, when the stream is over for any reason. */
  onClose(listener: (reason: RecordIoCloseReason) => void): void {
    if (this.finished !== undefined) {
      listener(this.finished)
      return
    }
    this.closeListeners.push(listener)
  }

  private dropSlowConsumer(): void {
    this.closeReason = 'slow-consumer'
    this.metrics?.counter(`http/${this.name}/subscribers_dropped`).inc()
    this.log.warn(
      { stream: this.name, subscriber: this.subscriber, bufferedBytes: this.readableLength, maxBufferedBytes: this.maxBufferedBytes },
      `dropping ${this.name} subscriber${this.subscriber ? ` ${this.subscriber}` : ''}: it is not reading its event stream ` +
        `(${this.readableLength} bytes queued, limit ${this.maxBufferedBytes})`,
    )
    this.destroy()
  }

  private finish(reason: RecordIoCloseReason): void {
    this.closeReason = reason
    this.finished = reason
    this.metrics?.counter(`http/${this.name}/subscribers_closed`).inc()
    const listeners = this.closeListeners.splice(0)
    for (const l of listeners) l(reason)
  }
}

/** Thrown by RecordIoDecoder on a malformed length prefix. */
export class RecordIoError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message)
    this.name = 'RecordIoError'
  }
}

/**
 * Splits a RecordIO byte stream into records (for clients and tests): feed chunks as they
 * arrive, get back the complete records parsed as JSON.
 */
export class RecordIoDecoder {
  private buffer: Buffer = Buffer.alloc(0)
  private consumed = 0

  /** Refuses a length prefix above this (a corrupt stream must not allocate gigabytes). */
  constructor(private readonly maxRecordBytes = 64 * 1024 * 1024) {}

  push(chunk: Buffer | string): unknown[] {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk
    this.buffer = this.buffer.length === 0 ? bytes : Buffer.concat([this.buffer, bytes])
    const records: unknown[] = []
    for (;;) {
      const nl = this.buffer.indexOf(10)
      if (nl < 0) {
        if (this.buffer.length > 20) throw new RecordIoError('RecordIO length prefix longer than 20 bytes', this.consumed)
        break
      }
      const text = this.buffer.subarray(0, nl).toString('latin1')
      if (!/^\d+$/.test(text)) throw new RecordIoError(`RecordIO length prefix '${text.slice(0, 20)}' is not a number`, this.consumed)
      const length = Number(text)
      if (length > this.maxRecordBytes) throw new RecordIoError(`RecordIO record of ${length} bytes exceeds ${this.maxRecordBytes}`, this.consumed)
      if (this.buffer.length < nl + 1 + length) break
      records.push(JSON.parse(this.buffer.subarray(nl + 1, nl + 1 + length).toString('utf8')))
      this.buffer = this.buffer.subarray(nl + 1 + length)
      this.consumed += nl + 1 + length
    }
    return records
  }
}
