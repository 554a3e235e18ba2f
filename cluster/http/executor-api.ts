// Mesos's v1 executor HTTP API, `POST /api/v1/executor` on the agent (docs/executor-http-api.md),
// as a Fastify plugin. SUBSCRIBE answers 200 with a RecordIO stream of v1 executor events written
// by the executor's proxy actor (executor-proxy.ts); UPDATE and MESSAGE are handed to the proxy
// and answered 202. Status codes and messages follow Mesos's code (src/slave/http.cpp,
// Http::executor, and common/validation.cpp validateExecutorCall), in its order:
//
//   405  not POST (Allow: POST)
//   400  no Content-Type; 415 one other than application/json (no protobuf here)
//   413  a body over `bodyLimit` (default 1 MiB)
//   400  body not JSON ("Failed to parse body into JSON"), not a v1 executor Call ("Failed to
//        convert JSON into Call protobuf: '<field>': ..."), or failing validation ("Failed to
//        validate Executor::Call: ..."): no type/executor_id/framework_id, no field for the type,
//        an UPDATE without a 16-byte uuid, from another executor, not SOURCE_EXECUTOR, or STAGING
//   406  SUBSCRIBE whose Accept does not allow application/json
//   202  HEARTBEAT (before any lookup, as Mesos)
//   400  unknown framework ("Framework cannot be found") or executor ("Executor cannot be found")
//   400  an executor this agent did not launch as an HTTP executor (the built-in command
//        executor is an actor, not a program that could subscribe)
//   403  a call other than SUBSCRIBE from an executor that has not subscribed, or is terminated
//   200  SUBSCRIBE from a terminated executor: a stream of one SHUTDOWN (Mesos Slave::subscribe)
//   200  SUBSCRIBE: the stream (SUBSCRIBED first)
//   202  UPDATE, MESSAGE
//   501  UNKNOWN
import { Type, type TSchema } from '@sinclair/typebox'
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler'
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import type { ActorHandle, Logger, MetricsRegistry } from '../../runtime/index.js'
import type { AgentCore } from '../../actors/agent/index.js'
import { decodeBytes, ExecutorID, FrameworkID, stripNulls, TaskInfo, TaskStatus, type StatusUpdate } from '../../actors/protocol/index.js'
import { DEFAULT_MAX_BUFFERED_BYTES, RecordIoStream } from './recordio.js'
import { acceptsJson, fieldPath } from './scheduler-api.js'
import type { ExecutorProxyEvent, ExecutorSubscribe } from './executor-proxy.js'

export const EXECUTOR_API_PATH = '/api/v1/executor'

/** The largest request body accepted (413 beyond): an UPDATE travels to the master as one bus message. */
export const DEFAULT_EXECUTOR_BODY_LIMIT = 1024 * 1024

/** executor.proto Call.Type. */
const CALL_TYPES = ['UNKNOWN', 'SUBSCRIBE', 'UPDATE', 'MESSAGE', 'HEARTBEAT'] as const
type CallType = (typeof CALL_TYPES)[number]

const Update = Type.Object({ status: TaskStatus })
const CallSchema = Type.Object({
  type: Type.Optional(Type.String()),
  executor_id: Type.Optional(ExecutorID),
  framework_id: Type.Optional(FrameworkID),
  subscribe: Type.Optional(Type.Object({ unacknowledged_tasks: Type.Optional(Type.Array(TaskInfo)), unacknowledged_updates: Type.Optional(Type.Array(Update)) })),
  update: Type.Optional(Update),
  message: Type.Optional(Type.Object({ data: Type.String() })),
})

let compiled: TypeCheck<TSchema> | undefined
const callCheck = (): TypeCheck<TSchema> => (compiled ??= TypeCompiler.Compile(CallSchema))

/** A request answered with an error status and a plain-text message, as Mesos does. */
export class ExecutorCallError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
    this.name = 'ExecutorCallError'
  }
}

export interface DecodedExecutorCall {
  type: CallType
  frameworkId: string
  executorId: string
  subscribe?: ExecutorSubscribe
  /** UPDATE's status, checked. */
  status?: TaskStatus
  /** MESSAGE's base64 data. */
  data?: string
}

function conversion(path: string, reason: string): ExecutorCallError {
  return new ExecutorCallError(400, `Failed to convert JSON into Call protobuf: '${path}': ${reason}`)
}

function validation(reason: string): ExecutorCallError {
  return new ExecutorCallError(400, `Failed to validate Executor::Call: ${reason}`)
}

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/

/** Parses a JSON body into a checked executor Call (Mesos's protobuf parse, then validateExecutorCall). */
export function decodeExecutorCall(json: unknown): DecodedExecutorCall {
  let call: unknown
  try {
    call = stripNulls(json)
  } catch (err) {
    if (err instanceof RangeError) throw conversion('(body)', 'nested too deeply')
    throw err
  }
  if (typeof call !== 'object' || call === null || Array.isArray(call)) throw conversion('(body)', 'Expected a JSON object')
  const c = call as Record<string, unknown>
  if (c.type !== undefined && typeof c.type !== 'string') throw conversion('type', 'Expected string')
  if (typeof c.type === 'string' && !(CALL_TYPES as readonly string[]).includes(c.type)) {
    throw conversion('type', `unknown value '${c.type.slice(0, 64)}' (expected one of ${CALL_TYPES.join(', ')})`)
  }
  let ok: boolean
  try {
    ok = callCheck().Check(c)
  } catch (err) {
    if (err instanceof RangeError) throw conversion('(body)', 'nested too deeply')
    throw err
  }
  if (!ok) {
    const first = callCheck().Errors(c).First()
    throw conversion(fieldPath('', first?.path ?? ''), first?.message ?? 'does not match its schema')
  }
  // executor_id and framework_id are `required` in executor.proto: protobuf's IsInitialized.
  const missing = ['executor_id', 'framework_id'].filter(f => c[f] === undefined)
  if (missing.length > 0) throw validation(`Not initialized: ${missing.join(', ')}`)
  if (c.type === undefined) throw validation("Expecting 'type' to be present")
  const type = c.type as CallType
  const executorId = (c.executor_id as { value: string }).value
  const frameworkId = (c.framework_id as { value: string }).value
  const out: DecodedExecutorCall = { type, frameworkId, executorId }
  switch (type) {
    case 'SUBSCRIBE':
      if (c.subscribe === undefined) throw validation("Expecting 'subscribe' to be present")
      out.subscribe = c.subscribe as ExecutorSubscribe
      break
    case 'UPDATE': {
      if (c.update === undefined) throw validation("Expecting 'update' to be present")
      const status = (c.update as { status: TaskStatus }).status
      if (status.uuid === undefined) throw validation("Expecting 'uuid' to be present")
      if (!BASE64.test(status.uuid)) throw validation(`'update.status.uuid' is not base64: '${status.uuid.slice(0, 64)}'`)
      const bytes = decodeBytes(status.uuid).length
      if (bytes !== 16) throw validation(`Not a valid UUID: ${bytes} bytes, expected 16`)
      if (status.executor_id !== undefined && status.executor_id.value !== executorId) {
        throw validation(`ExecutorID in Call: ${executorId} does not match ExecutorID in TaskStatus: ${status.executor_id.value}`)
      }
      if (status.source !== 'SOURCE_EXECUTOR') {
        throw validation(`Received Call from executor ${executorId} of framework ${frameworkId} with invalid source, expecting 'SOURCE_EXECUTOR'`)
      }
      if (status.state === 'TASK_STAGING') throw validation(`Received TASK_STAGING from executor ${executorId} of framework ${frameworkId} which is not allowed`)
      out.status = status
      break
    }
    case 'MESSAGE': {
      if (c.message === undefined) throw validation("Expecting 'message' to be present")
      const data = (c.message as { data: string }).data
      if (!BASE64.test(data)) throw conversion('message.data', 'Expected base64 bytes')
      out.data = data
      break
    }
    default:
  }
  return out
}

/** Where a call goes: the agent's state and the executor's proxy, or why it cannot. */
export type ExecutorTarget = { core: AgentCore; proxy: ActorHandle | undefined } | { error: ExecutorCallError }

export interface ExecutorApiOptions {
  /** Finds the agent (and the executor's proxy) a call is for. */
  resolve(call: DecodedExecutorCall): ExecutorTarget
  log: Logger
  metrics: MetricsRegistry
  bodyLimit?: number
  maxBufferedBytes?: number
}

/**
 * The target on one agent: Mesos's lookups (framework, then executor) on its core, and the
 * executor's proxy from the registry.
 */
export function resolveOnAgent(core: AgentCore | undefined, proxyOf: (frameworkId: string, executorId: string) => ActorHandle | undefined, call: DecodedExecutorCall): ExecutorTarget {
  if (core === undefined) return { error: new ExecutorCallError(503, 'The agent is not running') }
  const fw = core.frameworks.get(call.frameworkId)
  if (fw === undefined) return { error: new ExecutorCallError(400, 'Framework cannot be found') }
  const ex = fw.executors.get(call.executorId)
  if (ex === undefined) return { error: new ExecutorCallError(400, 'Executor cannot be found') }
  return { core, proxy: proxyOf(call.frameworkId, call.executorId) }
}

function mediaType(header: string): string {
  return header.split(';')[0]!.trim().toLowerCase()
}

export function executorApiPlugin(options: ExecutorApiOptions): FastifyPluginAsync {
  const bodyLimit = options.bodyLimit ?? DEFAULT_EXECUTOR_BODY_LIMIT
  const { log, metrics } = options
  const open = new Set<RecordIoStream>()

  const answer = (reply: FastifyReply, status: number, message?: string): FastifyReply => {
    metrics.counter(`http/executor/responses/${status}`).inc()
    reply.code(status)
    if (message === undefined) return reply.send()
    return reply.type('text/plain; charset=utf-8').send(message)
  }

  const handle = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    if (request.method !== 'POST') {
      reply.header('Allow', 'POST')
      return answer(reply, 405, `Expecting one of { 'POST' }, but received '${request.method}'`)
    }
    const contentType = request.headers['content-type']
    if (contentType === undefined) return answer(reply, 400, "Expecting 'Content-Type' to be present")
    if (mediaType(contentType) !== 'application/json') return answer(reply, 415, "Expecting 'Content-Type' of application/json (application/x-protobuf is not supported by this agent)")
    let json: unknown
    try {
      json = JSON.parse((request.body as Buffer | undefined)?.toString('utf8') ?? '')
    } catch (err) {
      metrics.counter('http/executor/invalid_calls').inc()
      return answer(reply, 400, `Failed to parse body into JSON: ${(err as Error).message}`)
    }
    let call: DecodedExecutorCall
    try {
      call = decodeExecutorCall(json)
    } catch (err) {
      if (!(err instanceof ExecutorCallError)) throw err
      metrics.counter('http/executor/invalid_calls').inc()
      return answer(reply, err.status, err.message)
    }
    if (call.type === 'SUBSCRIBE' && !acceptsJson(request.headers.accept)) return answer(reply, 406, "Expecting 'Accept' to allow 'application/json'")
    if (call.type === 'HEARTBEAT') return answer(reply, 202)

    const target = options.resolve(call)
    if ('error' in target) return answer(reply, target.error.status, target.error.message)
    const ex = target.core.frameworks.get(call.frameworkId)!.executors.get(call.executorId)!
    if (target.proxy === undefined) {
      if (!ex.commandTask && (ex.state === 'TERMINATING' || ex.state === 'TERMINATED')) {
        // Mesos Slave::subscribe answers a terminating executor with SHUTDOWN on its stream.
        if (call.type !== 'SUBSCRIBE') return answer(reply, 403, `Executor '${call.executorId}' of framework ${call.frameworkId} is ${ex.state.toLowerCase()}`)
        const stream = new RecordIoStream({ name: 'executor', log, metrics })
        stream.write({ type: 'SHUTDOWN' })
        stream.end()
        metrics.counter('http/executor/responses/200').inc()
        return reply.code(200).header('Content-Type', 'application/json').send(stream)
      }
      return answer(reply, 400, `Executor '${call.executorId}' of framework ${call.frameworkId} was not launched as an HTTP executor: it cannot use the executor API`)
    }
    if (ex.state === 'REGISTERING' && call.type !== 'SUBSCRIBE') return answer(reply, 403, 'Executor is not subscribed')
    const proxy = target.proxy
    metrics.counter(`http/executor/calls/${call.type}`).inc()

    switch (call.type) {
      case 'SUBSCRIBE': {
        const stream = new RecordIoStream({ name: 'executor', log, metrics, maxBufferedBytes: options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES, subscriber: `'${call.executorId}' of framework ${call.frameworkId}` })
        open.add(stream)
        stream.onClose(() => {
          open.delete(stream)
          if (proxy.alive) proxy.send({ type: 'http.closed', stream } satisfies ExecutorProxyEvent)
        })
        proxy.send({ type: 'http.subscribe', stream, subscribe: call.subscribe ?? {} } satisfies ExecutorProxyEvent)
        if (!proxy.alive) stream.end()
        metrics.counter('http/executor/responses/200').inc()
        return reply.code(200).header('Content-Type', 'application/json').send(stream)
      }
      case 'UPDATE': {
        const agentId = target.core.agentId!
        const status: TaskStatus = { ...call.status!, agent_id: { value: agentId }, executor_id: { value: call.executorId } }
        // Mesos protobuf::createStatusUpdate: the update's uuid and time are the status's.
        const timestamp = status.timestamp ?? Date.now() / 1000
        const update: StatusUpdate = {
          framework_id: { value: call.frameworkId },
          executor_id: { value: call.executorId },
          agent_id: { value: agentId },
          status: { ...status, timestamp },
          timestamp,
          uuid: status.uuid!,
        }
        proxy.send({ type: 'http.update', update } satisfies ExecutorProxyEvent)
        return answer(reply, 202)
      }
      case 'MESSAGE':
        proxy.send({ type: 'http.message', data: call.data! } satisfies ExecutorProxyEvent)
        return answer(reply, 202)
      default:
        log.warn({ executor: call.executorId }, "Received 'UNKNOWN' call")
        return answer(reply, 501, "Call type 'UNKNOWN' is not implemented")
    }
  }

  return async app => {
    // Raw bodies whatever their type: the handler decides 400/415 and parses JSON itself, so
    // that a bad body gets Mesos's message rather than Fastify's.
    app.removeAllContentTypeParsers()
    app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_request, body, done) => done(null, body))
    app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, _request, reply) => {
      if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || err.statusCode === 413) return answer(reply, 413, `Request body is larger than the limit of ${bodyLimit} bytes`)
      if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) return answer(reply, err.statusCode, err.message)
      log.error({ err }, `executor API request failed: ${err.message}`)
      return answer(reply, 500, 'Internal server error')
    })
    app.route({ method: ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'], url: EXECUTOR_API_PATH, bodyLimit, handler: handle })
    // Open streams would hold the server's close: cut them (the executors may resubscribe elsewhere).
    app.addHook('preClose', async () => {
      for (const stream of [...open]) stream.destroy()
    })
  }
}
