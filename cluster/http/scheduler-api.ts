// Mesos's v1 scheduler HTTP API, `POST /api/v1/scheduler` (docs/scheduler-http-api.md), as a
// Fastify plugin. SUBSCRIBE answers 200 with a `Mesos-Stream-Id` and a RecordIO stream of v1
// events, written by a proxy actor (scheduler-proxy.ts) that is the framework's pid inside the
// master's runtime; every other call is checked and forwarded to the master as that pid, and
// answered 202. Status codes follow Mesos's code (src/master/http.cpp, Master::Http::scheduler),
// in its order:
//
//   307  this master does not lead (Location: //<leader>:<port>/api/v1/scheduler); 503 when no
//        leader is known
//   405  not POST (Allow: POST)
//   400  no Content-Type; 415 a Content-Type other than application/json (no protobuf here)
//   413  a body over `bodyLimit` (default 1 MiB, see DEFAULT_SCHEDULER_BODY_LIMIT)
//   400  body not JSON, not a v1 Call (the message names the field), or failing Mesos's call
//        validation (no `type`, no `framework_id`, no `accept` for ACCEPT, a bad ack uuid, ...)
//   406  SUBSCRIBE whose Accept does not allow application/json
//   400  SUBSCRIBE with a Mesos-Stream-Id header
//   200  SUBSCRIBE: the stream (a refused subscription is an ERROR event, then the stream ends)
//   400  unknown framework ("Framework cannot be found")
//   403  framework not connected ("Framework is not subscribed"), or not subscribed over HTTP
//   400  missing Mesos-Stream-Id, or not the framework's current stream
//   202  the call was handed to the master
//   501  UNKNOWN, UPDATE_FRAMEWORK, ACKNOWLEDGE_OPERATION_STATUS, RECONCILE_OPERATIONS (not
//        implemented by this master; resubscribe to change FrameworkInfo)
import { randomUUID } from 'node:crypto'
import { Type, type TSchema } from '@sinclair/typebox'
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler'
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import type { ActorHandle, Pid } from '../../runtime/index.js'
import {
  decodeBytes,
  Filters,
  FrameworkID,
  OfferID,
  SCHEDULER_CALLS,
  SchedulerMessages,
  stripNulls,
  type SubscribeBody,
} from '../../actors/protocol/index.js'
import type { MasterHttpDeps } from './master-http-deps.js'
import { DEFAULT_MAX_BUFFERED_BYTES, RecordIoStream } from './recordio.js'
import { schedulerProxyMachine, type ProxiedCall, type SchedulerProxyEvent } from './scheduler-proxy.js'

export const SCHEDULER_API_PATH = '/api/v1/scheduler'

/**
 * The largest request body accepted (413 beyond). A call travels to the master as one bus
 * message, and NATS's default max_payload is 1 MiB; an ACCEPT launching hundreds of tasks is
 * still far below it. Mesos itself sets no limit.
 */
export const DEFAULT_SCHEDULER_BODY_LIMIT = 1024 * 1024

export interface SchedulerApiOptions {
  /** Largest request body in bytes (default DEFAULT_SCHEDULER_BODY_LIMIT). */
  bodyLimit?: number
  /** Bytes queued for one subscriber that is not reading before it is dropped (recordio.ts). */
  maxBufferedBytes?: number
}

/** Every v1 Call.Type (include/mesos/v1/scheduler/scheduler.proto). */
const V1_CALL_TYPES = [
  'UNKNOWN',
  'SUBSCRIBE',
  'TEARDOWN',
  'ACCEPT',
  'DECLINE',
  'ACCEPT_INVERSE_OFFERS',
  'DECLINE_INVERSE_OFFERS',
  'REVIVE',
  'KILL',
  'SHUTDOWN',
  'ACKNOWLEDGE',
  'ACKNOWLEDGE_OPERATION_STATUS',
  'RECONCILE',
  'RECONCILE_OPERATIONS',
  'MESSAGE',
  'REQUEST',
  'SUPPRESS',
  'UPDATE_FRAMEWORK',
] as const
type V1CallType = (typeof V1_CALL_TYPES)[number]

/** The Call field each type needs (master/validation.cpp scheduler::call::validate); absent: optional. */
const REQUIRED_FIELD: Partial<Record<V1CallType, string>> = {
  SUBSCRIBE: 'subscribe',
  ACCEPT: 'accept',
  DECLINE: 'decline',
  ACCEPT_INVERSE_OFFERS: 'accept_inverse_offers',
  DECLINE_INVERSE_OFFERS: 'decline_inverse_offers',
  KILL: 'kill',
  SHUTDOWN: 'shutdown',
  ACKNOWLEDGE: 'acknowledge',
  ACKNOWLEDGE_OPERATION_STATUS: 'acknowledge_operation_status',
  RECONCILE: 'reconcile',
  RECONCILE_OPERATIONS: 'reconcile_operations',
  MESSAGE: 'message',
  REQUEST: 'request',
  UPDATE_FRAMEWORK: 'update_framework',
}

const NOT_IMPLEMENTED: Partial<Record<V1CallType, string>> = {
  UNKNOWN: "Call type 'UNKNOWN' is not implemented",
  UPDATE_FRAMEWORK: 'UPDATE_FRAMEWORK is not implemented by this master: SUBSCRIBE again with framework_info.id set to change FrameworkInfo or the suppressed roles',
  ACKNOWLEDGE_OPERATION_STATUS: 'ACKNOWLEDGE_OPERATION_STATUS is not implemented by this master (it sends no operation status updates)',
  RECONCILE_OPERATIONS: 'RECONCILE_OPERATIONS is not implemented by this master (it sends no operation status updates)',
}

/** Inverse offers exist only with maintenance, which this master does not have: checked, then ignored. */
const InverseOffersCall = Type.Object({ inverse_offer_ids: Type.Optional(Type.Array(OfferID)), filters: Type.Optional(Filters) })

const compiled = new Map<TSchema, TypeCheck<TSchema>>()
function checkerOf(schema: TSchema): TypeCheck<TSchema> {
  let check = compiled.get(schema)
  if (!check) compiled.set(schema, (check = TypeCompiler.Compile(schema)))
  return check
}

/** A request the handler answers with an error status and a plain-text message, as Mesos does. */
export class SchedulerCallError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
    this.name = 'SchedulerCallError'
  }
}

/** What a v1 Call body decodes to. */
export type DecodedCall =
  | { kind: 'subscribe'; body: SubscribeBody }
  | {
      kind: 'call'
      v1Type: V1CallType
      frameworkId: string
      /** The message for the master; undefined when there is nothing to forward (inverse offers). */
      message: ProxiedCall | undefined
      /** Set for calls this master does not implement (answered 501 after the framework checks). */
      notImplemented?: string
    }

/** `/offer_ids/0/value` under `accept` -> `accept.offer_ids[0].value`. */
export function fieldPath(prefix: string, pointer: string): string {
  let out = prefix
  for (const raw of pointer.split('/').slice(1)) {
    const segment = raw.replaceAll('~1', '/').replaceAll('~0', '~')
    out += /^\d+$/.test(segment) ? `[${segment}]` : out === '' ? segment : `.${segment}`
  }
  return out || '(body)'
}

function conversionError(path: string, reason: string): SchedulerCallError {
  return new SchedulerCallError(400, `Failed to convert JSON into Call protobuf: '${path}': ${reason}`)
}

function validationError(reason: string): SchedulerCallError {
  return new SchedulerCallError(400, `Failed to validate scheduler::Call: ${reason}`)
}

function check(schema: TSchema, value: unknown, prefix: string): void {
  const checker = checkerOf(schema)
  if (checker.Check(value)) return
  const first = checker.Errors(value).First()
  throw conversionError(fieldPath(prefix, first?.path ?? ''), first?.message ?? 'does not match its schema')
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** A status update uuid must be 16 bytes (Mesos: id::UUID::fromBytes), in base64 here. */
function uuidError(uuid: string): string | undefined {
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(uuid)) return `'acknowledge.uuid' is not base64: '${uuid.slice(0, 64)}'`
  const length = decodeBytes(uuid).length
  return length === 16 ? undefined : `'acknowledge.uuid' is not a UUID: ${length} bytes, expected 16`
}

/**
 * Parses a v1 Call (already JSON.parse'd) into what the master gets: stripNulls (v1 clients
 * send `null` for absent fields), the Call's shape, then Mesos's call validation. Throws
 * SchedulerCallError (400) naming the field at fault.
 */
export function decodeSchedulerCall(json: unknown): DecodedCall {
  try {
    return decode(json)
  } catch (err) {
    // JSON.parse takes any depth; the recursive walks after it do not (Mesos's protobuf
    // parser stops at 100 levels too).
    if (err instanceof RangeError) throw conversionError('(body)', 'nested too deeply')
    throw err
  }
}

function decode(json: unknown): DecodedCall {
  const call = stripNulls(json)
  if (!isObject(call)) throw conversionError('(body)', 'Expected a JSON object')
  if (call.type === undefined) throw validationError("Expecting 'type' to be present")
  if (typeof call.type !== 'string') throw conversionError('type', 'Expected string')
  if (!(V1_CALL_TYPES as readonly string[]).includes(call.type)) {
    throw conversionError('type', `unknown value '${call.type.slice(0, 64)}' (expected one of ${V1_CALL_TYPES.join(', ')})`)
  }
  const type = call.type as V1CallType
  if (call.framework_id !== undefined) check(FrameworkID, call.framework_id, 'framework_id')
  const frameworkId = (call.framework_id as { value: string } | undefined)?.value
  const field = REQUIRED_FIELD[type]
  const mapped = (SCHEDULER_CALLS as Record<string, { type: keyof typeof SchedulerMessages; field: string | null }>)[type]
  const nestedName = field ?? mapped?.field ?? undefined
  const nested = nestedName === undefined ? undefined : call[nestedName]
  if (nested !== undefined && !isObject(nested)) throw conversionError(nestedName!, 'Expected object')
  if (field !== undefined && nested === undefined) throw validationError(`Expecting '${field}' to be present`)

  if (type === 'SUBSCRIBE') {
    check(SchedulerMessages.Subscribe, nested, 'subscribe')
    const body = nested as SubscribeBody
    if (body.framework_info.id?.value !== frameworkId) throw validationError("'framework_id' differs from 'subscribe.framework_info.id'")
    return { kind: 'subscribe', body }
  }
  if (frameworkId === undefined) throw validationError("Expecting 'framework_id' to be present")
  if (type === 'ACCEPT_INVERSE_OFFERS' || type === 'DECLINE_INVERSE_OFFERS') {
    check(InverseOffersCall, nested, field!)
    return { kind: 'call', v1Type: type, frameworkId, message: undefined }
  }
  if (mapped === undefined) return { kind: 'call', v1Type: type, frameworkId, message: undefined, notImplemented: NOT_IMPLEMENTED[type] }
  // `framework_id` last: the Call's, never one smuggled into the nested object.
  const body: Record<string, unknown> = { ...(nested ?? {}), framework_id: call.framework_id }
  // `offer_ids` is a protobuf `repeated` field: absent is empty, as Mesos parses it.
  if ((type === 'ACCEPT' || type === 'DECLINE') && body.offer_ids === undefined) body.offer_ids = []
  const schema = SchedulerMessages[mapped.type]
  const checker = checkerOf(schema)
  if (!checker.Check(body)) {
    const first = checker.Errors(body).First()
    const pointer = first?.path ?? ''
    // Paths into the body are paths into the Call's nested field (framework_id was checked above).
    throw conversionError(fieldPath(nestedName ?? '', pointer), first?.message ?? 'does not match its schema')
  }
  if (type === 'ACKNOWLEDGE') {
    const error = uuidError((body as { uuid: string }).uuid)
    if (error) throw validationError(error)
  }
  return { kind: 'call', v1Type: type, frameworkId, message: { type: mapped.type, body } }
}

/** `type/subtype` of a Content-Type, lower-cased, without parameters. */
function mediaType(header: string): string {
  return header.split(';')[0]!.trim().toLowerCase()
}

/**
 * Whether an Accept header allows application/json (RFC 7231 media ranges with q-values; no
 * header accepts anything), as libprocess's Request::acceptsMediaType.
 */
export function acceptsJson(accept: string | undefined): boolean {
  if (accept === undefined || accept.trim() === '') return true
  let best = -1
  let bestQ = 0
  for (const part of accept.split(',')) {
    const [range, ...params] = part.split(';').map(s => s.trim().toLowerCase())
    let specificity: number
    if (range === 'application/json') specificity = 2
    else if (range === 'application/*') specificity = 1
    else if (range === '*/*') specificity = 0
    else continue
    let q = 1
    for (const p of params) {
      const m = /^q=([0-9.]+)$/.exec(p)
      if (m) q = Number(m[1])
    }
    if (specificity > best) {
      best = specificity
      bestQ = q
    }
  }
  return best >= 0 && bestQ > 0
}

interface Subscription {
  readonly streamId: string
  readonly handle: ActorHandle
  readonly stream: RecordIoStream
}

/**
 * The plugin for `POST /api/v1/scheduler`. Register it as is (not through fastify-plugin): it
 * replaces the content-type parsers of its own encapsulated context only, to read raw bodies
 * and answer with Mesos's status codes and messages.
 */
export function schedulerApiPlugin(deps: MasterHttpDeps, options: SchedulerApiOptions = {}): FastifyPluginAsync {
  const bodyLimit = options.bodyLimit ?? DEFAULT_SCHEDULER_BODY_LIMIT
  const maxBufferedBytes = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES
  const log = deps.log.child({ component: 'scheduler-api' })
  const metrics = deps.runtime.metrics
  const byPid = new Map<Pid, Subscription>()
  let proxySeq = 0

  const answer = (reply: FastifyReply, status: number, message?: string): FastifyReply => {
    metrics.counter(`http/scheduler/responses/${status}`).inc()
    reply.code(status)
    if (message === undefined) return reply.send()
    return reply.type('text/plain; charset=utf-8').send(message)
  }

  const nextProxyName = (): string => {
    for (;;) {
      const name = `http-scheduler-${++proxySeq}`
      if (!deps.runtime.isHosting(`${name}@${deps.runtime.node}`)) return name
    }
  }

  const subscribe = (request: FastifyRequest, reply: FastifyReply, body: SubscribeBody): FastifyReply => {
    const streamId = randomUUID()
    const stream = new RecordIoStream({
      name: 'scheduler',
      log,
      metrics,
      maxBufferedBytes,
      subscriber: `'${body.framework_info.name}' (stream ${streamId}, ${request.ip})`,
    })
    const handle = deps.runtime.spawn(schedulerProxyMachine, {
      name: nextProxyName(),
      input: { masterPid: deps.masterPid, subscribe: body, stream, streamId },
    })
    const subscription: Subscription = { streamId, handle, stream }
    byPid.set(handle.pid, subscription)
    const forget = (): void => {
      if (byPid.get(handle.pid) === subscription) byPid.delete(handle.pid)
    }
    stream.onClose(reason => {
      forget()
      if (handle.alive) handle.send({ type: 'http.closed', reason } satisfies SchedulerProxyEvent)
    })
    // However the proxy ends (final state, its runtime closing), the stream ends with it.
    const ended = (): void => {
      forget()
      stream.end()
    }
    handle.actor.subscribe({ complete: ended, error: ended })
    if (!handle.alive) ended()
    log.info({ stream: streamId, proxy: handle.pid, framework: body.framework_info.id?.value, name: body.framework_info.name }, `HTTP scheduler '${body.framework_info.name}' subscribing as ${handle.pid}`)
    metrics.counter('http/scheduler/responses/200').inc()
    return reply.code(200).header('Content-Type', 'application/json').header('Mesos-Stream-Id', streamId).send(stream)
  }

  const handle = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const core = deps.core()
    if (core === undefined) {
      const leader = deps.leader()
      if (leader === undefined) return answer(reply, 503, 'No leader elected')
      reply.header('Location', `//${leader.hostname}:${leader.port}${request.url}`)
      return answer(reply, 307)
    }
    if (request.method !== 'POST') {
      reply.header('Allow', 'POST')
      return answer(reply, 405, `Expecting one of { 'POST' }, but received '${request.method}'`)
    }
    const contentType = request.headers['content-type']
    if (contentType === undefined) return answer(reply, 400, "Expecting 'Content-Type' to be present")
    const media = mediaType(contentType)
    if (media !== 'application/json') {
      const why = media === 'application/x-protobuf' ? ' (this master speaks JSON only)' : ''
      return answer(reply, 415, `Expecting 'Content-Type' of application/json${why}`)
    }
    let json: unknown
    try {
      json = JSON.parse((request.body as Buffer | undefined)?.toString('utf8') ?? '')
    } catch (err) {
      metrics.counter('http/scheduler/invalid_calls').inc()
      return answer(reply, 400, `Failed to parse body into JSON: ${(err as Error).message}`)
    }
    let call: DecodedCall
    try {
      call = decodeSchedulerCall(json)
    } catch (err) {
      if (!(err instanceof SchedulerCallError)) throw err
      metrics.counter('http/scheduler/invalid_calls').inc()
      return answer(reply, err.status, err.message)
    }
    const streamHeader = request.headers['mesos-stream-id']

    if (call.kind === 'subscribe') {
      if (!acceptsJson(request.headers.accept)) return answer(reply, 406, "Expecting 'Accept' to allow 'application/json'")
      if (streamHeader !== undefined) return answer(reply, 400, "Subscribe calls should not include the 'Mesos-Stream-Id' header")
      return subscribe(request, reply, call.body)
    }

    const framework = core.frameworks.get(call.frameworkId)
    if (framework === undefined) return answer(reply, 400, 'Framework cannot be found')
    if (!framework.connected) return answer(reply, 403, 'Framework is not subscribed')
    const subscription = byPid.get(framework.pid)
    if (subscription === undefined) {
      // A proxy whose stream just closed, before the master heard it exit, is no connection either.
      const ours = framework.pid.startsWith('http-scheduler-') && framework.pid.endsWith(`@${deps.runtime.node}`)
      return answer(reply, 403, ours ? 'Framework is not subscribed' : 'Framework is not connected via HTTP')
    }
    if (streamHeader === undefined) return answer(reply, 400, "All non-subscribe calls should include the 'Mesos-Stream-Id' header")
    if (streamHeader !== subscription.streamId) {
      return answer(
        reply,
        400,
        `The stream ID '${String(streamHeader).slice(0, 128)}' included in this request didn't match the stream ID currently associated with framework ID ${framework.id}`,
      )
    }
    if (call.notImplemented !== undefined) return answer(reply, 501, call.notImplemented)
    if (call.message !== undefined && subscription.handle.alive) {
      subscription.handle.send({ type: 'http.call', call: call.message } satisfies SchedulerProxyEvent)
    }
    metrics.counter(`http/scheduler/calls/${call.v1Type}`).inc()
    return answer(reply, 202)
  }

  return async app => {
    // Raw bodies, whatever their type: the handler decides 400/415 as Mesos does, and parses
    // JSON itself so that a bad body gets Mesos's message rather than Fastify's.
    app.removeAllContentTypeParsers()
    app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_request, body, done) => done(null, body))
    app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, _request, reply) => {
      if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || err.statusCode === 413) {
        metrics.counter('http/scheduler/bodies_too_large').inc()
        return answer(reply, 413, `Request body is larger than the limit of ${bodyLimit} bytes`)
      }
      if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) return answer(reply, err.statusCode, err.message)
      log.error({ err }, `scheduler API request failed: ${err.message}`)
      return answer(reply, 500, 'Internal server error')
    })
    metrics.gauge('http/scheduler/subscriptions', () => byPid.size)
    app.route({
      method: ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'],
      url: SCHEDULER_API_PATH,
      bodyLimit,
      handler: handle,
    })
    // Open streams would hold the server's close (a client that does not read would hold it
    // forever): cut them. Their proxies stop and the master treats the frameworks as
    // disconnected, as when a Mesos master's connections break.
    app.addHook('preClose', async () => {
      for (const { handle: proxy, stream } of [...byPid.values()]) {
        if (proxy.alive) proxy.send({ type: 'http.closed', reason: 'the HTTP server is closing' } satisfies SchedulerProxyEvent)
        stream.destroy()
      }
    })
  }
}
