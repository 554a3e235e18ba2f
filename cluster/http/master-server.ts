// The master's HTTP server (Mesos's master on :5050): the classic JSON endpoints, metrics, the
// v1 operator API and, when present, the v1 scheduler API plugin, on one Fastify instance.
import { existsSync } from 'node:fs'
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyPluginAsync, type FastifyReply, type FastifyRequest } from 'fastify'
import type { MasterCore } from '../../actors/master/index.js'
import { leadingCore, methodNotAllowed, redirectToLeader, textError } from './http-replies.js'
import type { MasterHttpDeps } from './master-http-deps.js'
import {
  agentsDocument,
  frameworksDocument,
  jsonStream,
  masterIdentity,
  rolesJson,
  stateDocument,
  stateSummaryDocument,
  tasksDocument,
  writeJsonResponse,
  type JsonDocument,
} from './master-state.js'
import { metricsRoutes } from './metrics-routes.js'
import { operatorApiPlugin, type OperatorApiOptions } from './operator-api.js'

/** Request bodies above this get 413 (Mesos has no limit; an unbounded body is a memory attack). */
export const DEFAULT_BODY_LIMIT = 8 * 1024 * 1024

/** Mesos's default `/master/tasks` page (TASK_LIMIT in src/master/constants.hpp). */
const TASK_LIMIT = 100

export interface MasterServerOptions {
  bodyLimit?: number
  operator?: OperatorApiOptions
  /** Skip the scheduler API plugin even when its file exists (tests of this server alone). */
  withoutSchedulerApi?: boolean
  /** More routes on this server (`mesos-ts local` serves its agents under `/slave(N)/`). */
  plugins?: ReadonlyArray<{ plugin: FastifyPluginAsync; prefix?: string }>
}

type Handler = (core: MasterCore, request: FastifyRequest, reply: FastifyReply) => unknown

async function sendDoc(request: FastifyRequest, reply: FastifyReply, doc: JsonDocument): Promise<FastifyReply | undefined> {
  if (request.method === 'HEAD') return reply.code(200).header('Content-Type', 'application/json').send(jsonStream(doc))
  // Written straight to the response, so that chunk buffers are reused once the socket has them.
  reply.hijack()
  reply.raw.writeHead(200, { 'Content-Type': 'application/json' })
  await writeJsonResponse(reply.raw, doc)
  return undefined
}

function query(request: FastifyRequest): Record<string, string | undefined> {
  return (request.query ?? {}) as Record<string, string | undefined>
}

function nonNegativeInt(value: string | undefined, name: string, fallback: number): number | string {
  if (value === undefined || value === '') return fallback
  const n = Number(value)
  if (!Number.isSafeInteger(n) || n < 0) return `Query parameter '${name}' must be a non-negative integer, got '${value}'`
  return n
}

/** Loads `scheduler-api.ts` if it exists in this build (written in parallel with this server). */
async function loadSchedulerApi(): Promise<((deps: MasterHttpDeps) => FastifyPluginAsync) | undefined> {
  const js = new URL('./scheduler-api.js', import.meta.url)
  const ts = new URL('./scheduler-api.ts', import.meta.url)
  if (!existsSync(js) && !existsSync(ts)) return undefined
  const mod = (await import('./scheduler-api.js' as string)) as { schedulerApiPlugin?: (deps: MasterHttpDeps) => FastifyPluginAsync }
  return mod.schedulerApiPlugin
}

export async function buildMasterServer(deps: MasterHttpDeps, options: MasterServerOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.log.child({ component: 'http' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
    // Clients of a cluster manager poll; keep-alive connections are the norm.
    keepAliveTimeout: 65_000,
  })

  /** A read-only endpoint: GET/HEAD only; 307 from a master that is not leading. */
  const read = (path: string, handler: Handler): void => {
    app.all(path, async (request, reply) => {
      if (request.method !== 'GET' && request.method !== 'HEAD') return methodNotAllowed(reply, ['GET', 'HEAD'], request.method)
      const core = leadingCore(deps, request, reply)
      if (!core) return reply
      return handler(core, request, reply)
    })
  }

  for (const path of ['/master/state', '/master/state.json', '/state']) {
    read(path, (core, req, reply) => sendDoc(req, reply, stateDocument(core, masterIdentity(deps, core))))
  }
  for (const path of ['/master/state-summary', '/state-summary']) {
    read(path, (core, req, reply) => sendDoc(req, reply, stateSummaryDocument(core, masterIdentity(deps, core))))
  }
  read('/master/frameworks', (core, req, reply) => sendDoc(req, reply, frameworksDocument(core, query(req).framework_id)))
  read('/master/slaves', (core, req, reply) => sendDoc(req, reply, agentsDocument(core, query(req).slave_id)))
  read('/master/tasks', (core, req, reply) => {
    const q = query(req)
    const limit = nonNegativeInt(q.limit, 'limit', TASK_LIMIT)
    const offset = nonNegativeInt(q.offset, 'offset', 0)
    if (typeof limit === 'string') return textError(reply, 400, limit)
    if (typeof offset === 'string') return textError(reply, 400, offset)
    return sendDoc(req, reply, tasksDocument(core, { limit, offset, order: q.order === 'asc' ? 'asc' : 'des', frameworkId: q.framework_id, taskId: q.task_id }))
  })
  read('/master/roles', (core, _req, reply) => reply.header('Content-Type', 'application/json').send(JSON.stringify(rolesJson(core))))

  // Served by a standby too: health and version say nothing about leadership.
  for (const path of ['/health', '/master/health']) {
    app.all(path, async (request, reply) => {
      if (request.method !== 'GET' && request.method !== 'HEAD') return methodNotAllowed(reply, ['GET', 'HEAD'], request.method)
      return reply.code(200).send()
    })
  }
  app.all('/version', async (request, reply) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return methodNotAllowed(reply, ['GET', 'HEAD'], request.method)
    return reply.header('Content-Type', 'application/json').send(JSON.stringify({ version: deps.version }))
  })
  for (const path of ['/flags', '/master/flags']) {
    app.all(path, async (request, reply) => {
      if (request.method !== 'GET' && request.method !== 'HEAD') return methodNotAllowed(reply, ['GET', 'HEAD'], request.method)
      return reply.header('Content-Type', 'application/json').send(JSON.stringify({ flags: deps.flags }))
    })
  }

  // `/master/redirect`: always a 307, to the leader (this master's own root when it leads).
  for (const path of ['/master/redirect', '/redirect']) {
    app.all(path, async (request, reply) => {
      const core = deps.core()
      if (!core || deps.leader()) return redirectToLeader(deps, request, reply)
      const info = core.masterInfo()
      return reply.code(307).header('Location', `//${info.hostname}:${info.port}`).send()
    })
  }

  // `/master/teardown`: POST with a form body `frameworkId=...` (Mesos `Master::Http::teardown`).
  await app.register(async scope => {
    scope.removeAllContentTypeParsers()
    scope.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body))
    scope.all('/master/teardown', async (request, reply) => {
      const core = leadingCore(deps, request, reply)
      if (!core) return reply
      if (request.method !== 'POST') return methodNotAllowed(reply, ['POST'], request.method)
      const body = typeof request.body === 'string' ? request.body : ''
      const frameworkId = new URLSearchParams(body).get('frameworkId')
      if (frameworkId === null) return textError(reply, 400, "Missing 'frameworkId' query parameter in the request body")
      const env = await deps.runtime.request<{ status: string; message?: string }>(deps.masterPid, 'OperatorTeardown', { framework_id: { value: frameworkId } })
      if (env.body.status !== 'OK') return textError(reply, 400, env.body.message ?? 'No framework found with specified ID')
      return reply.code(200).send()
    })
  })

  await app.register(metricsRoutes(deps))
  await app.register(operatorApiPlugin(deps, options.operator))

  if (!options.withoutSchedulerApi) {
    const schedulerApi = await loadSchedulerApi()
    if (schedulerApi) await app.register(schedulerApi(deps))
    else deps.log.warn('the v1 scheduler API (cluster/http/scheduler-api.ts) is not in this build: /api/v1/scheduler answers 404')
  }
  for (const { plugin, prefix } of options.plugins ?? []) await app.register(plugin, prefix === undefined ? {} : { prefix })
  return app
}

/** Parsed flags as Mesos shows them in /flags and GET_FLAGS: every value as text. */
export function flagsAsText(flags: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(flags)) {
    if (value === undefined) continue
    out[name] = Array.isArray(value) ? value.join(',') : String(value)
  }
  return out
}

export interface RunningMasterServer {
  readonly app: FastifyInstance
  /** `http://host:port` actually bound (port 0 picks a free one). */
  readonly url: string
  readonly port: number
  close(): Promise<void>
}

/** Builds the server and listens on `host:port` (Mesos `--ip`/`--port`; default all interfaces, 5050). */
export async function startMasterServer(deps: MasterHttpDeps, listen: { port: number; host?: string }, options: MasterServerOptions = {}): Promise<RunningMasterServer> {
  const app = await buildMasterServer(deps, options)
  await app.listen({ port: listen.port, host: listen.host ?? '0.0.0.0' })
  const address = app.server.address()
  const port = typeof address === 'object' && address ? address.port : listen.port
  const host = listen.host && listen.host !== '0.0.0.0' ? listen.host : '127.0.0.1'
  return { app, port, url: `http://${host}:${port}`, close: () => app.close() }
}
