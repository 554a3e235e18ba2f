// What the master's and the agent's v1 operator APIs share: JSON replies, Mesos-style schema
// errors, Accept negotiation, and the calls both answer the same way (health, flags, version,
// metrics, logging level).
import type { FastifyReply } from 'fastify'
import type { TSchema } from '@sinclair/typebox'
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler'

export function sendJson(reply: FastifyReply, value: unknown): FastifyReply {
  return reply.code(200).header('Content-Type', 'application/json').send(JSON.stringify(value))
}

const checks = new WeakMap<TSchema, TypeCheck<TSchema>>()
function checkOf(schema: TSchema): TypeCheck<TSchema> {
  let c = checks.get(schema)
  if (!c) checks.set(schema, (c = TypeCompiler.Compile(schema)))
  return c
}

/** The first schema error as `'<path>': <reason>`, naming the field as Mesos's parser does. */
export function schemaError(schema: TSchema, value: unknown, prefix: string): string | undefined {
  const check = checkOf(schema)
  if (check.Check(value)) return undefined
  const first = check.Errors(value).First()
  const path = `${prefix}${first?.path ?? ''}`.replace(/^\//, '').replace(/\//g, '.')
  return `'${path || prefix}': ${first?.message ?? 'does not match its schema'}`
}

/** Whether an Accept header allows JSON (absent or empty allows anything). */
export function acceptsJson(accept: string | undefined): boolean {
  if (accept === undefined || accept === '') return true
  return accept.split(',').some(part => {
    const type = part.split(';')[0]!.trim().toLowerCase()
    return type === 'application/json' || type === 'application/*' || type === '*/*'
  })
}

/** glog's verbosity for pino's level, as GET_LOGGING_LEVEL reports it. */
export function pinoToGlogLevel(level: string): number {
  return level === 'trace' ? 2 : level === 'debug' ? 1 : 0
}

export interface CommonCallSource {
  flags: Record<string, string>
  version: string
  metrics: () => Record<string, number>
  logLevel: string
}

/** The answer to a call both daemons answer alike, or undefined for any other call. */
export function commonCallAnswer(type: string, from: CommonCallSource): Record<string, unknown> | undefined {
  switch (type) {
    case 'GET_HEALTH':
      return { type, get_health: { healthy: true } }
    case 'GET_FLAGS':
      return { type, get_flags: { flags: Object.entries(from.flags).map(([name, value]) => ({ name, value })) } }
    case 'GET_VERSION':
      return { type, get_version: { version_info: { version: from.version } } }
    case 'GET_METRICS':
      return { type, get_metrics: { metrics: Object.entries(from.metrics()).map(([name, value]) => ({ name, value })) } }
    case 'GET_LOGGING_LEVEL':
      return { type, get_logging_level: { level: pinoToGlogLevel(from.logLevel) } }
    default:
      return undefined
  }
}
