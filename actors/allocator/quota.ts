import { Quantities, Resources, isUnreserved, makeResource, type Resource } from '../resources/index.js'

/**
 * Quota of a role (Mesos 1.9+): `guarantees` are held for the role even when others want them
 * (unreserved resources are kept back as headroom); `limits` cap what the role may consume.
 * A name absent from `limits` is unlimited; a limit of 0 forbids the resource.
 */
export interface Quota {
  readonly guarantees: Quantities
  readonly limits: ReadonlyMap<string, number>
}

export const NO_QUOTA: Quota = Object.freeze({ guarantees: new Quantities(), limits: new Map<string, number>() })

export function isDefaultQuota(q: Quota): boolean {
  return q.guarantees.isEmpty() && q.limits.size === 0
}

/** Limits minus consumption, per name, floored at zero (Mesos `ResourceLimits - ResourceQuantities`). */
export function limitsMinus(limits: ReadonlyMap<string, number>, used: Quantities): Map<string, number> {
  const out = new Map<string, number>()
  for (const [k, v] of limits) out.set(k, Math.max(0, v - used.get(k)))
  return out
}

/** Per-name minimum of two limit maps (absent = unlimited). */
export function tighterLimits(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): Map<string, number> {
  const out = new Map(a)
  for (const [k, v] of b) {
    const cur = out.get(k)
    out.set(k, cur === undefined ? v : Math.min(cur, v))
  }
  return out
}

function cutTo(r: Resource, milli: number): Resource {
  return makeResource(r.name, 'SCALAR', { milli }, { reservations: r.reservations, allocationRole: r.allocationRole })
}

/**
 * Cuts scalar resources down to `target` (Mesos `shrinkResources(ResourceQuantities)`): names
 * absent from the target are dropped. Callers pass unreserved scalars, one entry per name.
 */
export function shrinkToQuantities(resources: Resources, target: Quantities): Resources {
  if (target.isEmpty()) return Resources.EMPTY
  let changed = false
  const out: Resource[] = []
  const left = new Map<string, number>()
  for (const [k, v] of target.entries()) left.set(k, v)
  for (const r of resources.items) {
    const want = left.get(r.name) ?? 0
    if (want <= 0) {
      changed = true
      continue
    }
    const take = Math.min(want, r.milli)
    if (take < r.milli) changed = true
    out.push(take < r.milli ? cutTo(r, take) : r)
    left.set(r.name, want - take)
  }
  return changed ? Resources.of(out) : resources
}

/** Cuts scalar resources down to `limits` (Mesos `shrinkResources(ResourceLimits)`): absent names are kept whole. */
export function shrinkToLimits(resources: Resources, limits: ReadonlyMap<string, number>): Resources {
  if (limits.size === 0) return resources
  const left = new Map(limits)
  let changed = false
  const out: Resource[] = []
  for (const r of resources.items) {
    const lim = left.get(r.name)
    if (lim === undefined) {
      out.push(r)
      continue
    }
    const take = Math.min(lim, r.milli)
    if (take < r.milli) changed = true
    if (take > 0) out.push(take < r.milli ? cutTo(r, take) : r)
    left.set(r.name, lim - take)
  }
  return changed ? Resources.of(out) : resources
}

/** Unreserved scalar entries: what counts against quota and headroom. */
export function quotaScalars(resources: Resources): Resources {
  return resources.filter(r => r.type === 'SCALAR' && isUnreserved(r))
}

/** Reserved scalar entries (reservations always count against their role's quota). */
export function reservedScalars(resources: Resources): Resources {
  return resources.filter(r => r.type === 'SCALAR' && !isUnreserved(r))
}
