// The scheduler SDK's second way to reach a master: Mesos's v1 scheduler HTTP API
// (`POST /api/v1/scheduler` on host:5050, docs/scheduler-http-api.md), beside the native
// connection of connection.ts. SUBSCRIBE opens a long-lived response whose RecordIO records are
// the master's events; every other call is a short POST carrying the subscription's
// Mesos-Stream-Id and answered 202. This works against a mesos-ts master and a Mesos master.
//
// Behaviour follows Mesos's C++ HTTP client (src/scheduler/scheduler.cpp) where it applies:
// - a SUBSCRIBE while another is in flight, or while subscribed, is dropped (`_send`); the
//   machine's retry timer resends it once the earlier one has failed;
// - 307 (not the leader), 503 (no leader yet) and 404 on SUBSCRIBE are not errors: the next
//   retry goes out (to the redirect's Location for a 307, which the C++ client leaves to its
//   ZooKeeper detector; here `--master host:port` is the only detector);
// - any other status on SUBSCRIBE is an ERROR event (the driver aborts), as `__send` does;
// - the stream ending, or failing to decode, is a disconnection (`_read`), reported as `lost`.
// Different on purpose: calls are POSTed one at a time, in the order made, over the client's
// connection pool (the C++ client pipelines them on one connection; either keeps their order);
// a 403 on a call means the master no longer counts this stream as subscribed, so the
// connection reports `lost` and the driver resubscribes, where the C++ client raises ERROR.
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler'
import type { TSchema } from '@sinclair/typebox'
import { randomUUID } from 'node:crypto'
import {
  createLogger,
  LocalBus,
  LocalTransport,
  Runtime,
  type ActorPort,
  type Logger,
  type MessageEvent,
} from '../../runtime/index.js'
import { SCHEDULER_CALLS, SCHEDULER_EVENTS, SchedulerMessages, stripNulls, type FrameworkInfo } from '../protocol/index.js'
import type { ConnectionFactory, ConnectionSink, SchedulerCall, SchedulerConnection, SchedulerEventType } from './connection.js'
import { SchedulerConfigError } from './errors.js'
import { SchedulerDriver, type SchedulerCallbacks, type SchedulerOptions } from './scheduler-driver.js'

export const SCHEDULER_API_PATH = '/api/v1/scheduler'

/** Mesos's advice for answers to calls ("Schedulers can use a similar timeout (e.g., 75s)"). */
const DEFAULT_CALL_TIMEOUT_MS = 75_000
/** A record larger than this is a broken stream, not an event (an OFFERS of 200 offers is ~100 KB). */
const DEFAULT_MAX_RECORD_BYTES = 64 * 1024 * 1024
/**
 * A SUBSCRIBE with no SUBSCRIBED or ERROR after this long is given up when the driver retries
 * (the master never answered the Subscribe); until then retries are dropped, as in Mesos.
 */
const SUBSCRIBE_STALL_MS = 30_000

export interface HttpConnectionOptions {
  /** The master's HTTP address: `host:port` (as `--master=master:5050`) or `http(s)://host:port`. */
  master: string
  /** Timeout of each non-SUBSCRIBE call (default 75 s). */
  callTimeoutMs?: number
  maxRecordBytes?: number
  /** The fetch to use (default the global one). */
  fetch?: typeof fetch
}

/** The v1 endpoint for `--master`: `host:port` or a URL (its path is replaced). */
export function schedulerEndpoint(master: string): URL {
  const text = master.trim()
  let url: URL
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`)
  } catch {
    throw new SchedulerConfigError('master', `'${master}' is not host:port or an http:// URL`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new SchedulerConfigError('master', `'${master}': the v1 HTTP API needs http:// or https://`)
  if (url.hostname === '') throw new SchedulerConfigError('master', `'${master}' names no host`)
  url.pathname = SCHEDULER_API_PATH
  url.search = ''
  url.hash = ''
  return url
}

/** Builds the v1 HTTP connection inside the scheduler actor (pass as StartSchedulerOptions.connection). */
export function httpConnection(options: HttpConnectionOptions): ConnectionFactory {
  const endpoint = schedulerEndpoint(options.master)
  return port => new HttpConnection(port, endpoint, options)
}

// ---- v1 JSON <-> our messages ---------------------------------------------------------------

type CallMapping = { readonly v1: string; readonly field: string | null }
const CALLS: Record<string, CallMapping> = Object.fromEntries(
  Object.entries(SCHEDULER_CALLS).map(([v1, { type, field }]) => [type, { v1, field }]),
)
const EVENTS: Record<string, { readonly type: SchedulerEventType; readonly field: string | null }> = Object.fromEntries(
  Object.entries(SCHEDULER_EVENTS).map(([type, { type: v1, field }]) => [v1, { type: type as SchedulerEventType, field }]),
)
const eventChecks = new Map<string, TypeCheck<TSchema>>(
  Object.keys(SCHEDULER_EVENTS).map(type => [type, TypeCompiler.Compile(SchedulerMessages[type as keyof typeof SchedulerMessages])]),
)

/** One of our calls as a v1 Call: `Accept { framework_id, ...rest }` -> `{ type: 'ACCEPT', framework_id, accept: rest }`. */
export function toV1Call(call: SchedulerCall): Record<string, unknown> {
  const mapping = CALLS[call.type]!
  if (call.type === 'Subscribe') {
    // Mesos insists that the Call's framework_id equals framework_info.id (validation.cpp).
    const id = call.body.framework_info.id
    return id === undefined ? { type: mapping.v1, subscribe: call.body } : { type: mapping.v1, framework_id: id, subscribe: call.body }
  }
  const { framework_id, ...rest } = call.body as { framework_id: unknown } & Record<string, unknown>
  return mapping.field === null ? { type: mapping.v1, framework_id } : { type: mapping.v1, framework_id, [mapping.field]: rest }
}

/** A v1 Event as one of our event messages, or a reason it is not one we handle. */
export function fromV1Event(record: unknown): { type: SchedulerEventType; body: unknown } | { ignored: string } {
  const event = stripNulls(record) as Record<string, unknown> | undefined
  if (typeof event !== 'object' || event === null || typeof event.type !== 'string') return { ignored: 'not a v1 Event (no type)' }
  const mapping = EVENTS[event.type]
  // INVERSE_OFFERS, RESCIND_INVERSE_OFFER, UPDATE_OPERATION_STATUS: nothing in the SDK uses them.
  if (mapping === undefined) return { ignored: `event type ${event.type} is not handled by this SDK` }
  const body = mapping.field === null ? {} : event[mapping.field]
  const check = eventChecks.get(mapping.type)!
  if (!check.Check(body)) {
    const first = check.Errors(body).First()
    return { ignored: `invalid ${event.type} event: ${mapping.field ?? ''}${first?.path.replaceAll('/', '.') ?? ''} ${first?.message ?? ''}` }
  }
  return { type: mapping.type, body }
}

/** Splits a RecordIO byte stream (`<length>\n<bytes>`, docs/recordio.md) into records. */
export class RecordIoReader {
  private chunks: Buffer[] = []
  private buffered = 0

  constructor(private readonly maxRecordBytes = DEFAULT_MAX_RECORD_BYTES) {}

  /** Complete records in `chunk` and before it, as strings; throws on a malformed length. */
  push(chunk: Uint8Array): string[] {
    this.chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength))
    this.buffered += chunk.byteLength
    let data = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.buffered)
    const records: string[] = []
    for (;;) {
      const nl = data.indexOf(10)
      if (nl < 0) {
        if (data.length > 20) throw new Error('RecordIO: a length line longer than 20 bytes')
        break
      }
      const head = data.subarray(0, nl).toString('latin1').trim()
      if (!/^\d+$/.test(head)) throw new Error(`RecordIO: length '${head.slice(0, 20)}' is not a number`)
      const length = Number(head)
      if (length > this.maxRecordBytes) throw new Error(`RecordIO: a record of ${length} bytes is over the ${this.maxRecordBytes} byte limit`)
      if (data.length < nl + 1 + length) break
      records.push(data.subarray(nl + 1, nl + 1 + length).toString('utf8'))
      data = data.subarray(nl + 1 + length)
    }
    this.chunks = data.length > 0 ? [data] : []
    this.buffered = data.length
    return records
  }
}

// ---- the connection -------------------------------------------------------------------------

interface EventStream {
  readonly controller: AbortController
  /** The master (host:port) this stream is with. */
  readonly master: string
  readonly openedAt: number
  streamId: string | undefined
  /** SUBSCRIBED (or ERROR) has arrived on it. */
  answered: boolean
}

class HttpConnection implements SchedulerConnection {
  readonly kind = 'http'
  private endpoint: URL
  private sink: ConnectionSink | undefined
  private stream: EventStream | undefined
  /** Calls go out one at a time, in order. */
  private queue: Promise<void> = Promise.resolve()
  private closed = false
  private readonly fetch: typeof fetch
  private readonly callTimeoutMs: number
  private readonly maxRecordBytes: number

  constructor(
    private readonly port: ActorPort,
    endpoint: URL,
    options: HttpConnectionOptions,
  ) {
    this.endpoint = endpoint
    this.fetch = options.fetch ?? globalThis.fetch
    this.callTimeoutMs = options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS
    this.maxRecordBytes = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES
  }

  private get label(): string {
    return this.endpoint.host
  }

  open(sink: ConnectionSink): void {
    if (this.closed || this.sink) return
    this.sink = sink
    sink.detected()
  }

  master(): string | undefined {
    return this.closed ? undefined : this.label
  }

  isMaster(from: string): boolean {
    return !this.closed && from === this.label
  }

  // Liveness is the stream itself and the machine's heartbeat check: nothing to link.
  watch(): void {}
  unwatch(): void {}
  onExited(): boolean {
    return false
  }

  send(call: SchedulerCall): boolean {
    if (this.closed) return false
    if (call.type === 'Subscribe') {
      this.subscribe(call)
      return true
    }
    const stream = this.stream
    if (stream?.streamId === undefined || !stream.answered) {
      this.port.log.warn({ call: call.type }, `dropped ${call.type}: no subscription stream to the master at ${this.label}`)
      return false
    }
    const streamId = stream.streamId
    this.queue = this.queue.then(() => this.post(call, stream, streamId))
    return true
  }

  /**
   * Stops the connection. Calls already made (a Teardown on stop) are still sent, in order;
   * the event stream is closed after them, so the master does not see the framework
   * disconnect before it reads its last calls.
   */
  close(): void {
    if (this.closed) return
    this.closed = true
    const stream = this.stream
    void this.queue.finally(() => {
      stream?.controller.abort()
      if (this.stream === stream) this.stream = undefined
    })
  }

  /** Settles once every call made so far has been answered (or failed). */
  drained(): Promise<void> {
    return this.queue
  }

  private subscribe(call: Extract<SchedulerCall, { type: 'Subscribe' }>): void {
    const current = this.stream
    if (current !== undefined) {
      // Subscribed already: the driver gave this stream up (missed heartbeats), so replace it.
      if (!current.answered) {
        if (this.port.now() - current.openedAt < SUBSCRIBE_STALL_MS) {
          this.port.log.debug({ master: this.label }, 'SUBSCRIBE dropped: another is in flight')
          return
        }
        this.port.log.warn({ master: this.label }, `no answer to SUBSCRIBE within ${SUBSCRIBE_STALL_MS} ms: subscribing again`)
      }
      this.dropStream(current)
    }
    const stream: EventStream = { controller: new AbortController(), master: this.label, openedAt: this.port.now(), streamId: undefined, answered: false }
    this.stream = stream
    const url = this.endpoint.href
    this.fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify(toV1Call(call)),
      signal: stream.controller.signal,
      redirect: 'manual',
    }).then(
      response => this.onSubscribeResponse(stream, response),
      (err: Error) => this.streamFailed(stream, `SUBSCRIBE to ${url} failed: ${causeOf(err)}`),
    )
  }

  private async onSubscribeResponse(stream: EventStream, response: Response): Promise<void> {
    if (stream !== this.stream || this.closed) {
      stream.controller.abort()
      return
    }
    if (response.status === 200 && response.body) {
      const streamId = response.headers.get('mesos-stream-id')
      if (!streamId) {
        stream.controller.abort()
        return this.streamFailed(stream, 'the master answered SUBSCRIBE without a Mesos-Stream-Id header')
      }
      stream.streamId = streamId
      this.port.log.debug({ master: stream.master, streamId }, 'subscription stream open')
      return this.read(stream, response.body)
    }
    const text = (await response.text().catch(() => '')).slice(0, 500)
    if (stream !== this.stream) return
    this.stream = undefined
    if (response.status === 307 || response.status === 503 || response.status === 404) {
      const location = response.headers.get('location')
      if (response.status === 307 && location) {
        try {
          const next = new URL(location, this.endpoint)
          next.pathname = SCHEDULER_API_PATH
          this.endpoint = next
        } catch {
          this.port.log.warn({ location }, `ignoring an unusable redirect Location '${location}'`)
        }
      }
      this.port.log.warn(
        { status: response.status, master: this.label },
        `SUBSCRIBE answered ${response.status} ${response.statusText}${text ? ` (${text})` : ''}; retrying${response.status === 307 ? ` at ${this.label}` : ''}`,
      )
      return
    }
    // Anything else (a 400 for a call the master finds invalid, 401, ...) will not get better.
    this.deliver(stream, { type: 'Error', body: { message: `Received unexpected '${response.status} ${response.statusText}' (${text}) for SUBSCRIBE` } })
  }

  private async read(stream: EventStream, body: ReadableStream<Uint8Array>): Promise<void> {
    const reader = body.getReader()
    const records = new RecordIoReader(this.maxRecordBytes)
    let reason = 'the master closed the event stream'
    try {
      for (;;) {
        const { value, done } = await reader.read()
        if (done) break
        for (const text of records.push(value)) {
          if (stream !== this.stream) return
          this.onRecord(stream, JSON.parse(text))
        }
      }
    } catch (err) {
      reason = `the event stream failed: ${causeOf(err as Error)}`
    } finally {
      reader.releaseLock()
    }
    this.streamFailed(stream, reason)
  }

  private onRecord(stream: EventStream, record: unknown): void {
    const event = fromV1Event(record)
    if ('ignored' in event) {
      this.port.log.debug({ master: stream.master }, `event ignored: ${event.ignored}`)
      return
    }
    if (event.type === 'Subscribed' || event.type === 'Error') stream.answered = true
    this.deliver(stream, event)
  }

  private deliver(stream: EventStream, event: { type: SchedulerEventType; body: unknown }): void {
    if (this.closed) return
    this.sink?.event({ type: event.type, from: stream.master, body: event.body } as MessageEvent<SchedulerEventType>)
  }

  /** The stream ended or could not open: the machine resubscribes (its retry timer, or `lost`). */
  private streamFailed(stream: EventStream, reason: string): void {
    if (stream !== this.stream || this.closed) return
    this.stream = undefined
    stream.controller.abort()
    this.port.log.warn({ master: stream.master }, reason)
    this.sink?.lost(reason)
  }

  private dropStream(stream: EventStream): void {
    if (this.stream === stream) this.stream = undefined
    stream.controller.abort()
  }

  private async post(call: SchedulerCall, stream: EventStream, streamId: string): Promise<void> {
    const v1 = toV1Call(call)
    if (stream !== this.stream) {
      // Made on a subscription that has since ended: the master would refuse its stream id.
      this.port.log.warn({ call: v1.type }, `dropped ${String(v1.type)}: its subscription stream ended before it was sent`)
      return
    }
    let response: Response
    let text: string
    try {
      response = await this.fetch(this.endpoint.href, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Mesos-Stream-Id': streamId },
        body: JSON.stringify(v1),
        signal: AbortSignal.timeout(this.callTimeoutMs),
        redirect: 'manual',
      })
      text = (await response.text()).slice(0, 500)
    } catch (err) {
      this.port.metrics.counter('scheduler/http_call_failures').inc()
      this.port.log.warn({ call: v1.type }, `${String(v1.type)} to ${this.label} failed: ${causeOf(err as Error)}`)
      return
    }
    if (response.status === 202 || response.status === 200) return
    this.port.metrics.counter('scheduler/http_call_failures').inc()
    const what = `${String(v1.type)} answered ${response.status} ${response.statusText}${text ? ` (${text})` : ''}`
    if (response.status === 403 || response.status === 307) {
      // The master no longer counts this stream as the framework's subscription.
      if (stream === this.stream && !this.closed) {
        this.dropStream(stream)
        this.port.log.warn({ master: stream.master }, what)
        this.sink?.lost(what)
      }
      return
    }
    this.port.log.error({ call: v1.type, status: response.status }, what)
  }
}

function causeOf(err: Error): string {
  const cause = (err as Error & { cause?: { code?: string; message?: string } }).cause
  return cause?.code ?? cause?.message ?? err.message
}

// ---- a driver with its own in-process runtime -------------------------------------------------

export interface ConnectHttpSchedulerOptions {
  /** The master's HTTP address, `host:port` (e.g. `master:5050`) or `http://host:port`. */
  master: string
  framework: FrameworkInfo
  callbacks: SchedulerCallbacks
  options?: SchedulerOptions
  /** The driver's pid is `scheduler-<id>@<node>` (default: random). */
  id?: string
  logger?: Logger
  connection?: Omit<HttpConnectionOptions, 'master'>
}

/**
 * Starts a driver that talks to the master over the v1 HTTP API only: its actor lives in a
 * runtime of its own on an in-process bus (nothing else joins it), closed when the driver
 * ends. The framework's process needs no NATS.
 */
export function connectHttpScheduler(options: ConnectHttpSchedulerOptions): SchedulerDriver {
  const connection = httpConnection({ ...options.connection, master: options.master })
  const runtime = new Runtime({
    transport: new LocalTransport(new LocalBus()),
    node: `sched-${randomUUID().slice(0, 8)}`,
    logger: options.logger ?? createLogger({ level: process.env.MESOS_LOG_LEVEL ?? 'warn' }),
  })
  try {
    return new SchedulerDriver(
      { runtime, connection, framework: options.framework, callbacks: options.callbacks, options: options.options, id: options.id },
      runtime,
    )
  } catch (err) {
    void runtime.close()
    throw err
  }
}
