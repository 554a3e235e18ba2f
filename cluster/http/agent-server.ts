// The agent's HTTP server (Mesos's agent on :5051): `/state`, `/flags`, `/health`,
// `/metrics/snapshot`, `/monitor/statistics`, the sandbox files API, the v1 operator API
// `POST /api/v1` for the agent's own calls, and the v1 executor API `POST /api/v1/executor`.
//
// `agentRoutes` is one agent's routes as a Fastify plugin, registered at the root by
// `mesos-ts agent` (and again under `/slave(1)/`, the path Mesos's libprocess serves them at), and
// by `mesos-ts local` under `/slave(N)/` for its N-th agent on the master's port, as Mesos's local
// mode serves all its agents from one process and port.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyPluginAsync, type FastifyReply, type FastifyRequest } from 'fastify'
import { Type, type TSchema } from '@sinclair/typebox'
import type { AgentCore } from '../../actors/agent/index.js'
import { stripNulls } from '../../actors/protocol/index.js'
import type { AgentHttpDeps } from './agent-http-deps.js'
import { agentStateJson, monitorStatistics, v1GetContainers, v1GetExecutors, v1GetFrameworks, v1GetState, v1GetTasks } from './agent-state.js'
import { executorApiPlugin, resolveOnAgent, type ExecutorApiOptions } from './executor-api.js'
import { FilesError, filesRoutes, readRange, v1FileInfos, type SandboxScope } from './files-api.js'
import { methodNotAllowed, textError } from './http-replies.js'
import { acceptsJson, commonCallAnswer, schemaError, sendJson } from './operator-common.js'
import { DEFAULT_BODY_LIMIT } from './master-server.js'
import { prometheusText } from './metrics-routes.js'

export interface AgentServerOptions {
  bodyLimit?: number
  /** Largest executor API body (413 beyond); see DEFAULT_EXECUTOR_BODY_LIMIT. */
  executorBodyLimit?: number
  maxBufferedBytes?: number
}

/** Mesos counters that exist (at 0) from the agent's start (docs/monitoring.md, "Agent"). */
const AGENT_COUNTERS = [
  'slave/tasks_finished',
  'slave/tasks_failed',
  'slave/tasks_killed',
  'slave/tasks_lost',
  'slave/tasks_gone',
  'slave/executors_terminated',
  'slave/valid_status_updates',
  'slave/invalid_status_updates',
  'slave/valid_framework_messages',
  'slave/invalid_framework_messages',
]

/** The agent's `/metrics/snapshot`: its runtime's registry, Mesos's agent keys first. */
export function agentMetricsSnapshot(deps: AgentHttpDeps): Record<string, number> {
  const out: Record<string, number> = {}
  for (const key of AGENT_COUNTERS) out[key] = 0
  for (const [key, value] of Object.entries(deps.runtime.metrics.snapshot())) out[key.endsWith('/latest') ? key.slice(0, -'/latest'.length) : key] = value
  out['slave/uptime_secs'] = (Date.now() - deps.startedAt) / 1000
  out['slave/registered'] = deps.core()?.registered ? 1 : 0
  return out
}

// ---- the v1 operator API on the agent (agent.proto; Mesos Http::api in src/slave/http.cpp) -----

/** Every agent Call.Type; those not handled here answer 501. */
const AGENT_CALL_TYPES = [
  'UNKNOWN', 'GET_HEALTH', 'GET_FLAGS', 'GET_VERSION', 'GET_METRICS', 'GET_LOGGING_LEVEL', 'SET_LOGGING_LEVEL',
  'LIST_FILES', 'READ_FILE', 'GET_STATE', 'GET_CONTAINERS', 'GET_FRAMEWORKS', 'GET_EXECUTORS', 'GET_OPERATIONS',
  'GET_TASKS', 'GET_AGENT', 'GET_RESOURCE_PROVIDERS', 'LAUNCH_NESTED_CONTAINER', 'WAIT_NESTED_CONTAINER',
  'KILL_NESTED_CONTAINER', 'REMOVE_NESTED_CONTAINER', 'LAUNCH_NESTED_CONTAINER_SESSION', 'ATTACH_CONTAINER_INPUT',
  'ATTACH_CONTAINER_OUTPUT', 'LAUNCH_CONTAINER', 'WAIT_CONTAINER', 'KILL_CONTAINER', 'REMOVE_CONTAINER',
  'ADD_RESOURCE_PROVIDER_CONFIG', 'UPDATE_RESOURCE_PROVIDER_CONFIG', 'REMOVE_RESOURCE_PROVIDER_CONFIG',
  'MARK_RESOURCE_PROVIDER_GONE', 'PRUNE_IMAGES',
] as const
const KNOWN_CALLS = new Set<string>(AGENT_CALL_TYPES)

/** The arguments of the calls that take some (agent.proto Call.*). */
const ARGS: Record<string, { field: string; schema: TSchema }> = {
  GET_METRICS: { field: 'get_metrics', schema: Type.Object({ timeout: Type.Optional(Type.Object({ nanoseconds: Type.Integer() })) }) },
  LIST_FILES: { field: 'list_files', schema: Type.Object({ path: Type.String() }) },
  READ_FILE: { field: 'read_file', schema: Type.Object({ path: Type.String(), offset: Type.Integer({ minimum: 0 }), length: Type.Optional(Type.Integer({ minimum: 0 })) }) },
}
/** Calls whose argument field is `required` in agent.proto. */
const REQUIRED_ARGS = new Set(['LIST_FILES', 'READ_FILE'])

function operatorCall(deps: AgentHttpDeps, scope: SandboxScope, core: AgentCore, type: string, call: Record<string, unknown>, reply: FastifyReply): FastifyReply {
  const args = ARGS[type]
  if (args) {
    const value = call[args.field]
    if (value === undefined && REQUIRED_ARGS.has(type)) return textError(reply, 400, `Failed to validate agent::Call: Expecting '${args.field}' to be present`)
    const err = value === undefined ? undefined : schemaError(args.schema, value, args.field)
    if (err) return textError(reply, 400, `Failed to convert JSON into Call protobuf: ${err}`)
  }
  const common = commonCallAnswer(type, { flags: deps.flags, version: deps.version, metrics: () => agentMetricsSnapshot(deps), logLevel: deps.log.level })
  if (common) return sendJson(reply, common)
  switch (type) {
    case 'GET_STATE':
      return sendJson(reply, { type, get_state: v1GetState(core) })
    case 'GET_CONTAINERS':
      return sendJson(reply, { type, get_containers: v1GetContainers(deps, core) })
    case 'GET_FRAMEWORKS':
      return sendJson(reply, { type, get_frameworks: v1GetFrameworks(core) })
    case 'GET_EXECUTORS':
      return sendJson(reply, { type, get_executors: v1GetExecutors(core) })
    case 'GET_TASKS':
      return sendJson(reply, { type, get_tasks: v1GetTasks(core) })
    case 'GET_AGENT':
      return sendJson(reply, { type, get_agent: { agent_info: core.info } })
    case 'LIST_FILES': {
      const path = (call.list_files as { path: string }).path
      return sendJson(reply, { type, list_files: { file_infos: v1FileInfos(scope, path) } })
    }
    case 'READ_FILE': {
      const a = call.read_file as { path: string; offset: number; length?: number }
      const { size, bytes } = readRange(scope, a.path, a.offset, a.length)
      return sendJson(reply, { type, read_file: { size, data: bytes.toString('base64') } })
    }
    default:
      return textError(reply, 501, `Call type ${type} is not implemented by this agent`)
  }
}

function operatorApi(deps: AgentHttpDeps, scope: SandboxScope): FastifyPluginAsync {
  return async app => {
    app.removeAllContentTypeParsers()
    app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body))
    app.all('/api/v1', async (request, reply) => {
      if (request.method !== 'POST') return methodNotAllowed(reply, ['POST'], request.method)
      const contentType = request.headers['content-type']?.split(';')[0]?.trim().toLowerCase()
      if (!contentType) return textError(reply, 400, "Expecting 'Content-Type' to be present")
      if (contentType !== 'application/json') return textError(reply, 415, "Expecting 'Content-Type' of application/json (application/x-protobuf is not supported)")
      let parsed: unknown
      try {
        parsed = JSON.parse(typeof request.body === 'string' ? request.body : '')
      } catch (err) {
        return textError(reply, 400, `Failed to parse body into JSON: ${(err as Error).message}`)
      }
      let call: unknown
      try {
        call = stripNulls(parsed)
      } catch (err) {
        if (err instanceof RangeError) return textError(reply, 400, "Failed to convert JSON into Call protobuf: '(body)': nested too deeply")
        throw err
      }
      if (typeof call !== 'object' || call === null || Array.isArray(call)) return textError(reply, 400, 'Failed to convert JSON into Call protobuf: Expecting a JSON object')
      const c = call as Record<string, unknown>
      if (c.type === undefined) return textError(reply, 400, "Failed to validate agent::Call: Expecting 'type' to be present")
      if (typeof c.type !== 'string') return textError(reply, 400, "Failed to convert JSON into Call protobuf: 'type': Expected string")
      if (!KNOWN_CALLS.has(c.type)) return textError(reply, 400, `Failed to convert JSON into Call protobuf: 'type': unknown call type '${c.type.slice(0, 64)}'`)
      if (!acceptsJson(request.headers.accept)) return textError(reply, 406, "Expecting 'Accept' to allow 'application/json'")
      const core = deps.core()
      if (core === undefined) return textError(reply, 503, 'The agent is not running')
      try {
        return operatorCall(deps, scope, core, c.type, c, reply)
      } catch (err) {
        if (err instanceof FilesError) return textError(reply, err.status, err.message)
        throw err
      }
    })
  }
}

// ---- the plugin --------------------------------------------------------------------------------

/** One agent's routes (register at the root, or under `/slave(N)`). */
export function agentRoutes(deps: AgentHttpDeps, options: AgentServerOptions = {}): FastifyPluginAsync {
  const scope: SandboxScope = { workDir: deps.workDir, agentId: () => deps.core()?.agentId }
  return async app => {
    /** A read-only endpoint: GET/HEAD only; 503 once the agent actor is gone. */
    const read = (paths: string[], handler: (core: AgentCore, request: FastifyRequest, reply: FastifyReply) => unknown): void => {
      for (const path of paths) {
        app.all(path, async (request, reply) => {
          if (request.method !== 'GET' && request.method !== 'HEAD') return methodNotAllowed(reply, ['GET', 'HEAD'], request.method)
          const core = deps.core()
          if (core === undefined) return textError(reply, 503, 'The agent is not running')
          return handler(core, request, reply)
        })
      }
    }
    read(['/state', '/state.json', '/slave/state', '/slave/state.json'], (core, _req, reply) => sendJson(reply, agentStateJson(deps, core)))
    read(['/flags', '/slave/flags'], (_core, _req, reply) => sendJson(reply, { flags: deps.flags }))
    read(['/monitor/statistics', '/monitor/statistics.json'], (core, _req, reply) => sendJson(reply, monitorStatistics(deps, core)))
    read(['/metrics/snapshot'], (_core, _req, reply) => sendJson(reply, agentMetricsSnapshot(deps)))
    read(['/metrics/prometheus'], (_core, _req, reply) => reply.header('Content-Type', 'text/plain; version=0.0.4').send(prometheusText(agentMetricsSnapshot(deps))))
    read(['/version'], (_core, _req, reply) => sendJson(reply, { version: deps.version }))
    // Mesos's /health answers 200 with no body as long as the process serves HTTP.
    for (const path of ['/health', '/slave/health']) {
      app.all(path, async (request, reply) => {
        if (request.method !== 'GET' && request.method !== 'HEAD') return methodNotAllowed(reply, ['GET', 'HEAD'], request.method)
        return reply.code(200).send()
      })
    }
    await app.register(filesRoutes(scope))
    await app.register(operatorApi(deps, scope))
    const executorOptions: ExecutorApiOptions = {
      log: deps.log.child({ component: 'executor-api' }),
      metrics: deps.runtime.metrics,
      resolve: call => resolveOnAgent(deps.core(), (fw, ex) => deps.executors.get(deps.agentPid, fw, ex), call),
    }
    if (options.executorBodyLimit !== undefined) executorOptions.bodyLimit = options.executorBodyLimit
    if (options.maxBufferedBytes !== undefined) executorOptions.maxBufferedBytes = options.maxBufferedBytes
    await app.register(executorApiPlugin(executorOptions))
  }
}

/** Mesos's libprocess path of agent N in a process: `/slave(N)`. */
export const agentPrefix = (n: number): string => `/slave(${n})`

export async function buildAgentServer(deps: AgentHttpDeps, options: AgentServerOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.log.child({ component: 'http' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
    keepAliveTimeout: 65_000,
  })
  await app.register(agentRoutes(deps, options))
  await app.register(agentRoutes(deps, options), { prefix: agentPrefix(1) })
  return app
}

export interface RunningAgentServer {
  readonly app: FastifyInstance
  readonly url: string
  readonly port: number
  close(): Promise<void>
}

/** Builds the server and listens on `host:port` (Mesos `--ip`/`--port`; default all interfaces, 5051). */
export async function startAgentServer(deps: AgentHttpDeps, listen: { port: number; host?: string }, options: AgentServerOptions = {}): Promise<RunningAgentServer> {
  const app = await buildAgentServer(deps, options)
  await app.listen({ port: listen.port, host: listen.host ?? '0.0.0.0' })
  const address = app.server.address()
  const port = typeof address === 'object' && address ? address.port : listen.port
  const host = listen.host && listen.host !== '0.0.0.0' ? listen.host : '127.0.0.1'
  return { app, port, url: `http://${host}:${port}`, close: () => app.close() }
}
