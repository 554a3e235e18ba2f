import { ResourceError } from './errors.js'
import { toMilli } from './fixed-point.js'
import { normalizeRanges, type Range, type Ranges } from './ranges.js'
import { normalizeSet, type ValueSet } from './sets.js'

/** Value.Type of mesos.proto (TEXT is not a resource type). */
export type ValueType = 'SCALAR' | 'RANGES' | 'SET'

/** Resource.ReservationInfo.Type: STATIC comes from the agent's flags, DYNAMIC from RESERVE. */
export type ReservationType = 'STATIC' | 'DYNAMIC'

export interface ReservationInfo {
  readonly type: ReservationType
  readonly role: string
  readonly principal?: string
}

/**
 * One Mesos Resource. `reservations` is Mesos's reservation stack (refinements last): an empty
 * stack means unreserved (`*`). `allocationRole` is `allocation_info.role`, set once the resource
 * is offered or allocated to a role. Scalars are fixed point in thousandths (`milli`); see
 * fixed-point.ts. Build one with `scalar()`, `ranges()`, `set()` or `makeResource()` so that
 * values are normalized and `key` is right.
 */
export interface Resource {
  readonly name: string
  readonly type: ValueType
  /** SCALAR: the value in thousandths (cpus:0.5 -> 500); 0 for other types. */
  readonly milli: number
  /** RANGES: normalized ranges; empty for other types. */
  readonly ranges: Ranges
  /** SET: sorted items; empty for other types. */
  readonly set: ValueSet
  readonly reservations: readonly ReservationInfo[]
  readonly allocationRole: string | undefined
  /**
   * Name, type and reservations as one string. Two resources merge into one entry when their
   * keys and allocation roles are equal (see `sameIdentity`); the allocation role is kept out of
   * the key so that allocating an offer builds no strings.
   */
  readonly key: string
}

export interface ResourceMeta {
  reservations?: readonly ReservationInfo[]
  allocationRole?: string
}

const NO_RANGES: Ranges = Object.freeze([]) as Ranges
const NO_SET: ValueSet = Object.freeze([]) as ValueSet
const NO_RESERVATIONS: readonly ReservationInfo[] = Object.freeze([]) as readonly ReservationInfo[]

function reservationKey(reservations: readonly ReservationInfo[]): string {
  if (reservations.length === 0) return ''
  let k = ''
  for (const r of reservations) k += `${r.type === 'STATIC' ? 'S' : 'D'}(${r.role},${r.principal ?? ''})`
  return k
}

export function resourceKey(name: string, type: ValueType, reservations: readonly ReservationInfo[]): string {
  return `${name}\u0001${type}\u0001${reservationKey(reservations)}`
}

/** Same name, type, reservations and allocation role: the two add into one entry. */
export function sameIdentity(a: Resource, b: Resource): boolean {
  return a.key === b.key && a.allocationRole === b.allocationRole
}

export function makeResource(
  name: string,
  type: ValueType,
  value: { milli?: number; ranges?: readonly Range[]; set?: Iterable<string> },
  meta: ResourceMeta = {},
): Resource {
  const reservations = meta.reservations && meta.reservations.length > 0 ? meta.reservations.map(r => ({ ...r })) : NO_RESERVATIONS
  const allocationRole = meta.allocationRole
  return {
    name,
    type,
    milli: type === 'SCALAR' ? (value.milli ?? 0) : 0,
    ranges: type === 'RANGES' ? normalizeRanges(value.ranges ?? []) : NO_RANGES,
    set: type === 'SET' ? normalizeSet(value.set ?? []) : NO_SET,
    reservations,
    allocationRole,
    key: resourceKey(name, type, reservations),
  }
}

/** A scalar resource from its decimal value (`scalar('cpus', 0.5)`). */
export function scalar(name: string, value: number, meta?: ResourceMeta): Resource {
  return makeResource(name, 'SCALAR', { milli: toMilli(value) }, meta)
}

export function ranges(name: string, value: readonly Range[], meta?: ResourceMeta): Resource {
  return makeResource(name, 'RANGES', { ranges: value }, meta)
}

export function set(name: string, value: Iterable<string>, meta?: ResourceMeta): Resource {
  return makeResource(name, 'SET', { set: value }, meta)
}

/** A copy with a new value and the same identity (key) — the hot path of arithmetic. */
export function withValue(r: Resource, value: { milli?: number; ranges?: Ranges; set?: ValueSet }): Resource {
  return {
    name: r.name,
    type: r.type,
    milli: value.milli ?? r.milli,
    ranges: value.ranges ?? r.ranges,
    set: value.set ?? r.set,
    reservations: r.reservations,
    allocationRole: r.allocationRole,
    key: r.key,
  }
}

/** A copy allocated to another role (or unallocated). */
export function withAllocationRole(r: Resource, allocationRole: string | undefined): Resource {
  return {
    name: r.name,
    type: r.type,
    milli: r.milli,
    ranges: r.ranges,
    set: r.set,
    reservations: r.reservations,
    allocationRole,
    key: r.key,
  }
}

/** A copy with other reservations and allocation role (recomputes the key). */
export function withMeta(r: Resource, meta: ResourceMeta): Resource {
  const reservations = meta.reservations ?? r.reservations
  const allocationRole = 'allocationRole' in meta ? meta.allocationRole : r.allocationRole
  return {
    name: r.name,
    type: r.type,
    milli: r.milli,
    ranges: r.ranges,
    set: r.set,
    reservations,
    allocationRole,
    key: resourceKey(r.name, r.type, reservations),
  }
}

export function isEmptyResource(r: Resource): boolean {
  switch (r.type) {
    case 'SCALAR':
      return r.milli <= 0
    case 'RANGES':
      return r.ranges.length === 0
    case 'SET':
      return r.set.length === 0
  }
}

/** The role the resource is reserved to (the top of the stack), or undefined when unreserved. */
export function reservationRole(r: Resource): string | undefined {
  const n = r.reservations.length
  return n === 0 ? undefined : r.reservations[n - 1]!.role
}

export function isUnreserved(r: Resource): boolean {
  return r.reservations.length === 0
}

/** Reserved at all, or (with `role`) reserved to exactly that role. */
export function isReserved(r: Resource, role?: string): boolean {
  const n = r.reservations.length
  if (n === 0) return false
  return role === undefined || r.reservations[n - 1]!.role === role
}

export function isDynamicallyReserved(r: Resource): boolean {
  const n = r.reservations.length
  return n > 0 && r.reservations[n - 1]!.type === 'DYNAMIC'
}

/** `ancestor` is a strict ancestor of `role` in the role tree (`eng` of `eng/frontend`). */
export function isStrictAncestorRole(ancestor: string, role: string): boolean {
  return role.length > ancestor.length && role.charCodeAt(ancestor.length) === 47 /* '/' */ && role.startsWith(ancestor)
}

/**
 * Whether a framework acting in `role` may be offered `r`: unreserved resources go to anyone;
 * reserved ones go to their role and its sub-roles (Mesos `Resources::isAllocatableTo`).
 */
export function isAllocatableTo(r: Resource, role: string): boolean {
  const n = r.reservations.length
  if (n === 0) return true
  const res = r.reservations[n - 1]!.role
  return res === role || isStrictAncestorRole(res, role)
}

/** Throws when two resources share a name but not a type: Mesos rejects such lists. */
export function checkSameType(a: Resource, b: Resource): void {
  if (a.name === b.name && a.type !== b.type) {
    throw new ResourceError(`resource '${a.name}' is used both as ${a.type} and as ${b.type}`)
  }
}
