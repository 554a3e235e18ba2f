import { Quantities, Resources, isUnreserved, withValue, type Resource } from '../resources/index.js'

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

/** The same scalar with less of it (its identity, so its key, stays: no key string is rebuilt). */
function cutTo(r: Resource, milli: number): Resource {
  return withValue(r, { milli })
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
  const items = resources.items
  let out: Resource[] | undefined
  for (let i = 0; i < items.length; i++) {
    const r = items[i]!
    let lim = limits.get(r.name)
    if (lim !== undefined) {
      // What earlier entries of the same name took (several when reserved differently); lists
      // are a handful of entries, so this beats a map of what is left per name.
      for (let j = 0; j < i; j++) if (items[j]!.name === r.name) lim -= Math.min(Math.max(lim, 0), items[j]!.milli)
      lim = Math.max(lim, 0)
    }
    const take = lim === undefined ? r.milli : Math.min(lim, r.milli)
    if (take < r.milli && !out) out = items.slice(0, i) as Resource[]
    if (out && take > 0) out.push(take < r.milli ? cutTo(r, take) : r)
  }
  return out ? Resources.of(out) : resources
}

/** Unreserved scalar entries: what counts against quota and headroom. */
export function quotaScalars(resources: Resources): Resources {
  return resources.filter(r => r.type === 'SCALAR' && isUnreserved(r))
}

/** Reserved scalar entries (reservations always count against their role's quota). */
export function reservedScalars(resources: Resources): Resources {
  return resources.filter(r => r.type === 'SCALAR' && !isUnreserved(r))
}
