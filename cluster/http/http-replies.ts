// Replies every master route shares, in Mesos's words (src/master/http.cpp): 307 to the leading
// master from a master that is not leading, 405 with `Allow`, and plain-text errors.
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { MasterCore } from '../../actors/master/index.js'
import type { MasterHttpDeps } from './master-http-deps.js'

export function textError(reply: FastifyReply, status: number, message: string): FastifyReply {
  return reply.code(status).header('Content-Type', 'text/plain; charset=utf-8').send(message)
}

export function methodNotAllowed(reply: FastifyReply, allowed: readonly string[], method: string): FastifyReply {
  reply.header('Allow', allowed.join(', '))
  return textError(reply, 405, `Expecting one of { '${allowed.join("', '")}' }, but received '${method}'`)
}

/**
 * Mesos `Master::Http::redirect`: a protocol-relative 307 to the leader (the path kept, except
 * `/redirect` and `/master/redirect`, which go to the leader's root), 503 when no leader is known.
 */
export function redirectToLeader(deps: MasterHttpDeps, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const leader = deps.leader()
  if (!leader) return textError(reply, 503, 'No leader elected')
  const base = `//${leader.hostname}:${leader.port}`
  const path = request.url.split('?')[0]!
  if (path === '/redirect' || path === '/master/redirect') return reply.code(307).header('Location', base).send()
  if (path.startsWith('/redirect/') || path.startsWith('/master/redirect/')) return textError(reply, 404, 'Not found')
  return reply.code(307).header('Location', `${base}${request.url}`).send()
}

/**
 * The leading master's core, or undefined after replying 307/503 (non-leading master), so a
 * handler reads `const core = leadingCore(...); if (!core) return reply`.
 */
export function leadingCore(deps: MasterHttpDeps, request: FastifyRequest, reply: FastifyReply): MasterCore | undefined {
  const core = deps.core()
  if (!core) redirectToLeader(deps, request, reply)
  return core
}
