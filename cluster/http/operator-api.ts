// The v1 operator API on the master: `POST /api/v1` with a JSON `master::Call`
// (include/mesos/v1/master/master.proto; Mesos `Master::Http::api` in src/master/http.cpp).
// Reads answer from the core directly; calls that change state go to the master actor as
// request/reply messages (OperatorMessages) and are answered with what the actor decided.
// SUBSCRIBE is a RecordIO stream of master::Events fed by the core's observer hook.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { Type, type TSchema } from '@sinclair/typebox'
import {
  OPERATOR_STATUSES,
  OperatorMessages,
  type MasterCore,
  type MasterStateEvent,
  type OperatorMessageType,
  type OperatorResultBody,
} from '../../actors/master/index.js'
import { stripNulls } from '../../actors/protocol/index.js'
import { RequestTimeoutError } from '../../runtime/index.js'
import { leadingCore, methodNotAllowed, textError } from './http-replies.js'
import { acceptsJson, commonCallAnswer, schemaError, sendJson } from './operator-common.js'
import type { MasterHttpDeps } from './master-http-deps.js'
import {
  jsonStream,
  masterIdentity,
  renderJson,
  v1AgentJson,
  v1FrameworkJson,
  v1GetAgents,
  v1GetExecutors,
  v1GetFrameworks,
  v1GetQuota,
  v1GetRoles,
  v1GetState,
  v1GetTasks,
  v1GetWeights,
  v1TaskJson,
  type JsonDocument,
} from './master-state.js'
import { metricsSnapshot } from './metrics-routes.js'
import { RecordIoStream, type RecordIoStreamOptions } from './recordio.js'

/** Every Call.Type of master.proto; those not handled here answer 501. */
const CALL_TYPES = [
  'UNKNOWN', 'GET_HEALTH', 'GET_FLAGS', 'GET_VERSION', 'GET_METRICS', 'GET_LOGGING_LEVEL', 'SET_LOGGING_LEVEL',
  'LIST_FILES', 'READ_FILE', 'GET_STATE', 'GET_AGENTS', 'GET_FRAMEWORKS', 'GET_EXECUTORS', 'GET_OPERATIONS',
  'GET_TASKS', 'GET_ROLES', 'GET_WEIGHTS', 'UPDATE_WEIGHTS', 'GET_MASTER', 'SUBSCRIBE', 'RESERVE_RESOURCES',
  'UNRESERVE_RESOURCES', 'CREATE_VOLUMES', 'DESTROY_VOLUMES', 'GROW_VOLUME', 'SHRINK_VOLUME',
  'GET_MAINTENANCE_STATUS', 'GET_MAINTENANCE_SCHEDULE', 'UPDATE_MAINTENANCE_SCHEDULE', 'START_MAINTENANCE',
  'STOP_MAINTENANCE', 'DRAIN_AGENT', 'DEACTIVATE_AGENT', 'REACTIVATE_AGENT', 'GET_QUOTA', 'UPDATE_QUOTA',
  'SET_QUOTA', 'REMOVE_QUOTA', 'TEARDOWN', 'MARK_AGENT_GONE',
] as const
type CallType = (typeof CALL_TYPES)[number]
const KNOWN = new Set<string>(CALL_TYPES)

/** Calls that change state: the Call field holding the arguments, and the message to the master. */
const MUTATIONS: Partial<Record<CallType, { field: string; message: OperatorMessageType }>> = {
  UPDATE_WEIGHTS: { field: 'update_weights', message: 'OperatorUpdateWeights' },
  UPDATE_QUOTA: { field: 'update_quota', message: 'OperatorUpdateQuota' },
  RESERVE_RESOURCES: { field: 'reserve_resources', message: 'OperatorReserveResources' },
  UNRESERVE_RESOURCES: { field: 'unreserve_resources', message: 'OperatorUnreserveResources' },
  MARK_AGENT_GONE: { field: 'mark_agent_gone', message: 'OperatorMarkAgentGone' },
  TEARDOWN: { field: 'teardown', message: 'OperatorTeardown' },
}

const CallEnvelope = Type.Object({ type: Type.String() })
const GetMetricsArgs = Type.Object({ timeout: Type.Optional(Type.Object({ nanoseconds: Type.Integer() })) })
/** Heartbeats on operator streams (Mesos DEFAULT_HEARTBEAT_INTERVAL, 15 s). */
export const OPERATOR_HEARTBEAT_SECONDS = 15

export interface OperatorApiOptions {
  /** Per-subscriber queue bound for SUBSCRIBE (see RecordIoStream). */
  maxBufferedBytes?: number
  heartbeatSeconds?: number
  /** How long a state-changing call waits for the master actor's answer. */
  callTimeoutMs?: number
}

function sendDocument(reply: FastifyReply, type: string, field: string, doc: JsonDocument): FastifyReply {
  function* wrapped(): JsonDocument {
    yield `{"type":"${type}","${field}":`
    yield* doc
    yield '}'
  }
  return reply.code(200).header('Content-Type', 'application/json').send(jsonStream(wrapped()))
}

export function operatorApiPlugin(deps: MasterHttpDeps, options: OperatorApiOptions = {}): FastifyPluginAsync {
  return async app => {
    deps.runtime.registerMessages(OperatorMessages)
    // Bodies are read as text here so errors can be Mesos's own ("Failed to parse body into
    // JSON: ...") and so a missing or foreign Content-Type is ours to judge, not Fastify's.
    app.removeAllContentTypeParsers()
    app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body))

    app.all('/api/v1', async (request, reply) => {
      const core = leadingCore(deps, request, reply)
      if (!core) return reply
      if (request.method !== 'POST') return methodNotAllowed(reply, ['POST'], request.method)
      const contentType = request.headers['content-type']?.split(';')[0]?.trim().toLowerCase()
      if (!contentType) return textError(reply, 400, "Expecting 'Content-Type' to be present")
      if (contentType !== 'application/json') {
        return textError(reply, 415, "Expecting 'Content-Type' of application/json (application/x-protobuf is not supported)")
      }
      let parsed: unknown
      try {
        parsed = JSON.parse(typeof request.body === 'string' ? request.body : '')
      } catch (err) {
        return textError(reply, 400, `Failed to parse body into JSON: ${(err as Error).message}`)
      }
      const call = stripNulls(parsed) as Record<string, unknown> | undefined
      if (typeof call !== 'object' || call === null || Array.isArray(call)) return textError(reply, 400, 'Failed to convert JSON into Call protobuf: Expecting a JSON object')
      if (call.type === undefined) return textError(reply, 400, "Failed to validate master::Call: Expecting 'type' to be present")
      const envelopeError = schemaError(CallEnvelope, call, '')
      if (envelopeError) return textError(reply, 400, `Failed to convert JSON into Call protobuf: ${envelopeError}`)
      const type = call.type as string
      if (!KNOWN.has(type)) return textError(reply, 400, `Failed to convert JSON into Call protobuf: 'type': unknown call type '${type}'`)
      if (!acceptsJson(request.headers.accept)) return textError(reply, 406, "Expecting 'Accept' to allow 'application/json'")
      request.log.debug({ call: type }, `processing operator call ${type}`)
      return handleCall(deps, core, type as CallType, call, request, reply, options)
    })
  }
}

async function handleCall(
  deps: MasterHttpDeps,
  core: MasterCore,
  type: CallType,
  call: Record<string, unknown>,
  request: FastifyRequest,
  reply: FastifyReply,
  options: OperatorApiOptions,
): Promise<FastifyReply> {
  const mutation = MUTATIONS[type]
  if (mutation) return mutate(deps, mutation.field, mutation.message, call, reply, options)
  if (type === 'GET_METRICS') {
    const err = call.get_metrics === undefined ? undefined : schemaError(GetMetricsArgs, call.get_metrics, 'get_metrics')
    if (err) return textError(reply, 400, `Failed to convert JSON into Call protobuf: ${err}`)
  }
  const common = commonCallAnswer(type, { flags: deps.flags, version: deps.version, metrics: () => metricsSnapshot(deps), logLevel: deps.log.level })
  if (common) return sendJson(reply, common)
  switch (type) {
    case 'GET_STATE':
      return sendDocument(reply, type, 'get_state', v1GetState(core))
    case 'GET_AGENTS':
      return sendDocument(reply, type, 'get_agents', v1GetAgents(core))
    case 'GET_FRAMEWORKS':
      return sendJson(reply, { type, get_frameworks: v1GetFrameworks(core) })
    case 'GET_EXECUTORS':
      return sendJson(reply, { type, get_executors: v1GetExecutors(core) })
    case 'GET_TASKS':
      return sendDocument(reply, type, 'get_tasks', v1GetTasks(core))
    case 'GET_ROLES':
      return sendJson(reply, { type, get_roles: v1GetRoles(core) })
    case 'GET_WEIGHTS':
      return sendJson(reply, { type, get_weights: v1GetWeights(core) })
    case 'GET_QUOTA':
      return sendJson(reply, { type, get_quota: v1GetQuota(core) })
    case 'GET_MASTER': {
      const id = masterIdentity(deps, core)
      const info = { ...core.masterInfo(), address: { hostname: id.hostname, port: id.port } }
      return sendJson(reply, { type, get_master: { master_info: info, start_time: id.startTime / 1000, elected_time: id.electedTime / 1000 } })
    }
    case 'SUBSCRIBE':
      return subscribe(deps, core, request, reply, options)
    default:
      return textError(reply, 501, `Call type ${type} is not implemented by this master`)
  }
}

async function mutate(
  deps: MasterHttpDeps,
  field: string,
  message: OperatorMessageType,
  call: Record<string, unknown>,
  reply: FastifyReply,
  options: OperatorApiOptions,
): Promise<FastifyReply> {
  const args = call[field]
  if (args === undefined) return textError(reply, 400, `Failed to validate master::Call: Expecting '${field}' to be present`)
  const err = schemaError(OperatorMessages[message], args, field)
  if (err) return textError(reply, 400, `Failed to convert JSON into Call protobuf: ${err}`)
  let result: OperatorResultBody
  try {
    const env = await deps.runtime.request<OperatorResultBody>(deps.masterPid, message, args, { timeoutMs: options.callTimeoutMs ?? 15_000 })
    result = env.body
  } catch (e) {
    if (e instanceof RequestTimeoutError) return textError(reply, 503, `The master did not answer ${message} in time`)
    throw e
  }
  const status = OPERATOR_STATUSES[result.status]
  if (status >= 400) return textError(reply, status, result.message ?? result.status)
  return reply.code(status).send()
}

// ---- SUBSCRIBE ------------------------------------------------------------------------------

/** A master::Event for one core change (master.proto `Event`). */
function eventFor(core: MasterCore, e: MasterStateEvent): unknown {
  switch (e.type) {
    case 'TASK_ADDED':
      return { type: e.type, task_added: { task: JSON.parse(v1TaskJson(e.task)) } }
    case 'TASK_UPDATED':
      return { type: e.type, task_updated: { framework_id: { value: e.task.frameworkId }, status: e.task.status, state: e.task.state } }
    case 'AGENT_ADDED':
      return { type: e.type, agent_added: { agent: v1AgentJson(core, e.agent) } }
    case 'AGENT_REMOVED':
      return { type: e.type, agent_removed: { agent_id: { value: e.agentId } } }
    case 'FRAMEWORK_ADDED':
      return { type: e.type, framework_added: { framework: v1FrameworkJson(core, e.framework) } }
    case 'FRAMEWORK_UPDATED':
      return { type: e.type, framework_updated: { framework: v1FrameworkJson(core, e.framework) } }
    case 'FRAMEWORK_REMOVED':
      return { type: e.type, framework_removed: { framework_info: e.framework.info } }
  }
}

async function subscribe(deps: MasterHttpDeps, core: MasterCore, request: FastifyRequest, reply: FastifyReply, options: OperatorApiOptions): Promise<FastifyReply> {
  const heartbeatSeconds = options.heartbeatSeconds ?? OPERATOR_HEARTBEAT_SECONDS
  const streamOptions: RecordIoStreamOptions = {
    name: 'operator',
    log: deps.log,
    metrics: deps.runtime.metrics,
    subscriber: `${request.ip}:${request.socket.remotePort ?? ''}`,
  }
  if (options.maxBufferedBytes !== undefined) streamOptions.maxBufferedBytes = options.maxBufferedBytes
  const stream = new RecordIoStream(streamOptions)
  stream.writeInitial({ type: 'SUBSCRIBED', subscribed: { get_state: JSON.parse(renderJson(v1GetState(core))), heartbeat_interval_seconds: heartbeatSeconds } })
  const stop = core.observe(event => {
    stream.write(eventFor(core, event))
  })
  const clock = deps.runtime.clock
  let timer: unknown
  const beat = (): void => {
    if (!stream.write({ type: 'HEARTBEAT' })) return
    timer = clock.setTimeout(beat, heartbeatSeconds * 1000)
  }
  timer = clock.setTimeout(beat, heartbeatSeconds * 1000)
  stream.onClose(reason => {
    stop()
    clock.clearTimeout(timer)
    deps.log.info({ reason, subscriber: streamOptions.subscriber }, `operator event stream closed (${reason})`)
  })
  deps.log.info({ subscriber: streamOptions.subscriber }, 'operator event stream subscribed')
  return reply.code(200).header('Content-Type', 'application/json').header('Cache-Control', 'no-cache').send(stream)
}
