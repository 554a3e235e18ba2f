// The master's operator side (Mesos's v1 operator API, `include/mesos/v1/master/master.proto`):
// the messages the HTTP layer sends the master for calls that change state, the state those
// calls own (weights, quota, agents marked gone), and the pure checks and arithmetic behind
// them. MasterCore applies the results; the HTTP handler never mutates the core itself.
import { Type, type Static } from '@sinclair/typebox'
import { AgentID, FrameworkID, Resource as ResourceSchema } from '../protocol/index.js'
import type { CatalogueEvent } from '../protocol/index.js'
import {
  Quantities,
  Resources,
  fromJson,
  isDynamicallyReserved,
  roleError,
  toMilli,
  withMeta,
  type Resource,
} from '../resources/index.js'
import { isResourceError } from './task-validation.js'

// ---- messages (HTTP layer -> master, request/reply) ----------------------------------------

const WeightInfo = Type.Object({ weight: Type.Number(), role: Type.Optional(Type.String()) })
const ScalarMap = Type.Record(Type.String(), Type.Object({ value: Type.Number() }))
const QuotaConfig = Type.Object({ role: Type.String(), guarantees: Type.Optional(ScalarMap), limits: Type.Optional(ScalarMap) })

export const OperatorUpdateWeights = Type.Object({ weight_infos: Type.Optional(Type.Array(WeightInfo)) })
export const OperatorUpdateQuota = Type.Object({ force: Type.Optional(Type.Boolean()), quota_configs: Type.Optional(Type.Array(QuotaConfig)) })
export const OperatorReserveResources = Type.Object({ agent_id: AgentID, resources: Type.Optional(Type.Array(ResourceSchema)) })
export const OperatorUnreserveResources = Type.Object({ agent_id: AgentID, resources: Type.Optional(Type.Array(ResourceSchema)) })
export const OperatorMarkAgentGone = Type.Object({ agent_id: AgentID })
export const OperatorTeardown = Type.Object({ framework_id: FrameworkID })

/** How an operator call ended, in HTTP terms (Mesos answers these calls with these statuses). */
export const OPERATOR_STATUSES = { OK: 200, ACCEPTED: 202, BAD_REQUEST: 400, NOT_FOUND: 404, CONFLICT: 409, SERVICE_UNAVAILABLE: 503 } as const
export type OperatorStatus = keyof typeof OPERATOR_STATUSES
export const OperatorResult = Type.Object({
  status: Type.Union(Object.keys(OPERATOR_STATUSES).map(k => Type.Literal(k))),
  message: Type.Optional(Type.String()),
})
export type OperatorResultBody = { status: OperatorStatus; message?: string }

/** Register with `runtime.registerMessages(OperatorMessages)` in the master's process. */
export const OperatorMessages = {
  OperatorUpdateWeights,
  OperatorUpdateQuota,
  OperatorReserveResources,
  OperatorUnreserveResources,
  OperatorMarkAgentGone,
  OperatorTeardown,
  OperatorResult,
} as const

export type OperatorMessageType = Exclude<keyof typeof OperatorMessages, 'OperatorResult'>
export type OperatorEvent = CatalogueEvent<Omit<typeof OperatorMessages, 'OperatorResult'>>
export type UpdateWeightsBody = Static<typeof OperatorUpdateWeights>
export type UpdateQuotaBody = Static<typeof OperatorUpdateQuota>
export type ReserveBody = Static<typeof OperatorReserveResources>
export type UnreserveBody = Static<typeof OperatorUnreserveResources>

export const ok = (status: OperatorStatus = 'OK', message?: string): OperatorResultBody => (message === undefined ? { status } : { status, message })
export const fail = (status: Exclude<OperatorStatus, 'OK' | 'ACCEPTED'>, message: string): OperatorResultBody => ({ status, message })

// ---- state owned by operator calls ----------------------------------------------------------

/** A role's quota as configured (Mesos `QuotaConfig`), values in thousandths. */
export interface QuotaConfigRecord {
  readonly role: string
  readonly guarantees: ReadonlyMap<string, number>
  readonly limits: ReadonlyMap<string, number>
}

export class OperatorState {
  /** Role weights set by UPDATE_WEIGHTS (roles absent have weight 1). */
  readonly weights = new Map<string, number>()
  /** Non-default quotas by role. */
  readonly quotas = new Map<string, QuotaConfigRecord>()
  /** Agents marked gone (id -> time, ms): refused if they come back (Mesos `slaves.gone`). */
  readonly goneAgents = new Map<string, number>()
}

// ---- checks and arithmetic ------------------------------------------------------------------

export function validateWeights(body: UpdateWeightsBody): string | undefined {
  const infos = body.weight_infos ?? []
  for (const [i, w] of infos.entries()) {
    if (w.role === undefined) return `weight_infos[${i}].role must be set`
    const err = roleError(w.role)
    if (err) return `weight_infos[${i}].role: ${err}`
    if (w.role === '*') return `weight_infos[${i}].role: cannot set a weight on role '*'`
    if (!(w.weight > 0) || !Number.isFinite(w.weight)) return `weight_infos[${i}].weight must be a positive number, got ${w.weight}`
  }
  return undefined
}

/** Parses and checks every QuotaConfig (Mesos quota validation: valid role, guarantees <= limits). */
export function parseQuotaConfigs(body: UpdateQuotaBody): QuotaConfigRecord[] | string {
  const out: QuotaConfigRecord[] = []
  const seen = new Set<string>()
  for (const [i, c] of (body.quota_configs ?? []).entries()) {
    const err = roleError(c.role)
    if (err) return `Invalid QuotaConfig: quota_configs[${i}].role: ${err}`
    if (c.role === '*') return `Invalid QuotaConfig: quota_configs[${i}].role: cannot set quota on role '*'`
    if (seen.has(c.role)) return `Invalid QuotaConfig: role '${c.role}' appears twice`
    seen.add(c.role)
    const toMap = (m: Record<string, { value: number }> | undefined, field: string): Map<string, number> | string => {
      const map = new Map<string, number>()
      for (const [name, { value }] of Object.entries(m ?? {})) {
        if (!(value >= 0) || !Number.isFinite(value)) return `Invalid QuotaConfig: quota_configs[${i}].${field}.${name} must be a non-negative number, got ${value}`
        map.set(name, toMilli(value))
      }
      return map
    }
    const guarantees = toMap(c.guarantees, 'guarantees')
    if (typeof guarantees === 'string') return guarantees
    const limits = toMap(c.limits, 'limits')
    if (typeof limits === 'string') return limits
    for (const [name, g] of guarantees) {
      const l = limits.get(name)
      if (l !== undefined && g > l) return `Invalid QuotaConfig: role '${c.role}' has guarantee ${g / 1000} above its limit ${l / 1000} for '${name}'`
    }
    out.push({ role: c.role, guarantees, limits })
  }
  return out
}

export function quantitiesOf(map: ReadonlyMap<string, number>): Quantities {
  return new Quantities(map.entries())
}

/** Parsed RESERVE/UNRESERVE resources: what leaves the agent's total and what replaces it. */
export interface ReservationChange {
  /** Taken out of the agent's total. */
  readonly consumed: Resources
  /** Put in its place. */
  readonly converted: Resources
}

function parseOperationResources(json: unknown[] | undefined, call: string): Resources | string {
  if (!json || json.length === 0) return `${call}: 'resources' must list at least one resource`
  try {
    return fromJson(json)
  } catch (err) {
    if (!isResourceError(err)) throw err
    return `${call}: invalid resources: ${err.message}`
  }
}

function popReservation(r: Resource): Resource {
  return withMeta(r, { reservations: r.reservations.slice(0, -1), allocationRole: undefined })
}

/**
 * RESERVE (Mesos `validation::operation::validate(Reserve)`): every resource must carry a new
 * DYNAMIC reservation on top of its current stack; the unreserved (or less refined) form is
 * consumed from the agent and the reserved form takes its place.
 */
export function reserveChange(body: ReserveBody): ReservationChange | string {
  const parsed = parseOperationResources(body.resources, 'RESERVE_RESOURCES')
  if (typeof parsed === 'string') return parsed
  for (const r of parsed) {
    if (r.allocationRole !== undefined) return `RESERVE_RESOURCES: resource '${r.name}' must not carry allocation_info`
    if (!isDynamicallyReserved(r)) return `RESERVE_RESOURCES: resource '${r.name}' must be dynamically reserved (its last reservation of type DYNAMIC with a role)`
  }
  return { consumed: Resources.of(parsed.items.map(popReservation)), converted: parsed }
}

/** UNRESERVE: every resource must be dynamically reserved; its reservation is popped. */
export function unreserveChange(body: UnreserveBody): ReservationChange | string {
  const parsed = parseOperationResources(body.resources, 'UNRESERVE_RESOURCES')
  if (typeof parsed === 'string') return parsed
  for (const r of parsed) {
    if (r.allocationRole !== undefined) return `UNRESERVE_RESOURCES: resource '${r.name}' must not carry allocation_info`
    if (!isDynamicallyReserved(r)) return `UNRESERVE_RESOURCES: resource '${r.name}' is not dynamically reserved`
  }
  return { consumed: parsed, converted: Resources.of(parsed.items.map(popReservation)) }
}

/** What the agent checkpoints (Mesos CheckpointResourcesMessage): its dynamic reservations. */
export function checkpointedResources(total: Resources): Resources {
  return total.filter(r => r.reservations.some(x => x.type === 'DYNAMIC'))
}
