import { ResourceError } from './errors.js'
import { rangesContain, rangesDifference, rangesEqual, rangesUnion } from './ranges.js'
import {
  isAllocatableTo,
  isEmptyResource,
  isReserved,
  isUnreserved,
  reservationRole,
  withAllocationRole,
  withMeta,
  withValue,
  type Resource,
  type ReservationInfo,
} from './resource.js'
import { setContains, setDifference, setEqual, setUnion } from './sets.js'

function addValue(a: Resource, b: Resource): Resource {
  switch (a.type) {
    case 'SCALAR':
      return withValue(a, { milli: a.milli + b.milli })
    case 'RANGES':
      return withValue(a, { ranges: rangesUnion(a.ranges, b.ranges) })
    case 'SET':
      return withValue(a, { set: setUnion(a.set, b.set) })
  }
}

function subtractValue(a: Resource, b: Resource): Resource {
  switch (a.type) {
    case 'SCALAR':
      return withValue(a, { milli: a.milli - b.milli })
    case 'RANGES':
      return withValue(a, { ranges: rangesDifference(a.ranges, b.ranges) })
    case 'SET':
      return withValue(a, { set: setDifference(a.set, b.set) })
  }
}

function containsValue(a: Resource, b: Resource): boolean {
  switch (a.type) {
    case 'SCALAR':
      return a.milli >= b.milli
    case 'RANGES':
      return rangesContain(a.ranges, b.ranges)
    case 'SET':
      return setContains(a.set, b.set)
  }
}

function equalValue(a: Resource, b: Resource): boolean {
  switch (a.type) {
    case 'SCALAR':
      return a.milli === b.milli
    case 'RANGES':
      return rangesEqual(a.ranges, b.ranges)
    case 'SET':
      return setEqual(a.set, b.set)
  }
}

/**
 * An immutable bag of resources (Mesos `Resources`). Entries with the same identity (name, type,
 * reservations, allocation role) are merged, empty ones dropped, so `items` never holds two
 * entries with one key. Lists are short (a handful of names per agent), so linear scans beat maps.
 */
export class Resources {
  static readonly EMPTY = new Resources([])

  /** Trusted constructor: `items` must already be merged and non-empty. */
  private constructor(readonly items: readonly Resource[]) {}

  /** Builds from any list: merges equal keys, drops empty entries, rejects a name used with two types. */
  static of(items: Iterable<Resource>): Resources {
    const out: Resource[] = []
    for (const r of items) mergeInto(out, r)
    return out.length === 0 ? Resources.EMPTY : new Resources(out.filter(r => !isEmptyResource(r)))
  }

  get size(): number {
    return this.items.length
  }

  isEmpty(): boolean {
    return this.items.length === 0
  }

  [Symbol.iterator](): Iterator<Resource> {
    return this.items[Symbol.iterator]()
  }

  add(other: Resources): Resources {
    if (other.items.length === 0) return this
    if (this.items.length === 0) return other
    const out = this.items.slice()
    for (const r of other.items) mergeInto(out, r)
    return new Resources(out)
  }

  /**
   * Removes `other`. Like Mesos, subtracting more than is there leaves nothing of that entry
   * rather than a negative value; use `contains` first when that would be a bug.
   */
  subtract(other: Resources): Resources {
    if (other === this) return Resources.EMPTY
    if (other.items.length === 0 || this.items.length === 0) return this
    let out: Resource[] | undefined
    for (const r of other.items) {
      const list: readonly Resource[] = out ?? this.items
      let idx = -1
      for (let i = 0; i < list.length; i++) {
        if (list[i]!.key === r.key && list[i]!.allocationRole === r.allocationRole) {
          idx = i
          break
        }
      }
      if (idx < 0) continue
      out ??= this.items.slice()
      const left = subtractValue(out[idx]!, r)
      if (isEmptyResource(left)) out.splice(idx, 1)
      else out[idx] = left
    }
    return out ? new Resources(out) : this
  }

  /** Every resource of `other` is here, with at least its value (same key). */
  contains(other: Resources): boolean {
    // The allocator's filters usually hold the very object they are checked against.
    if (other === this) return true
    const mine = this.items
    outer: for (const r of other.items) {
      for (let i = 0; i < mine.length; i++) {
        const m = mine[i]!
        if (m.key === r.key && m.allocationRole === r.allocationRole) {
          if (!containsValue(m, r)) return false
          continue outer
        }
      }
      return false
    }
    return true
  }

  equals(other: Resources): boolean {
    if (this.items.length !== other.items.length) return false
    outer: for (const r of other.items) {
      for (const m of this.items) {
        if (m.key === r.key && m.allocationRole === r.allocationRole) {
          if (!equalValue(m, r)) return false
          continue outer
        }
      }
      return false
    }
    return true
  }

  filter(pred: (r: Resource) => boolean): Resources {
    let keep = 0
    for (const r of this.items) if (pred(r)) keep++
    if (keep === this.items.length) return this
    if (keep === 0) return Resources.EMPTY
    return new Resources(this.items.filter(pred))
  }

  /** Entries with this name (several when reserved differently). */
  named(name: string): Resources {
    return this.filter(r => r.name === name)
  }

  /** Sum of a scalar resource's value over all reservations, in thousandths. */
  scalarMilli(name: string): number {
    let sum = 0
    for (const r of this.items) if (r.name === name && r.type === 'SCALAR') sum += r.milli
    return sum
  }

  scalars(): Resources {
    return this.filter(r => r.type === 'SCALAR')
  }

  unreserved(): Resources {
    return this.filter(isUnreserved)
  }

  /** All reserved resources, or those reserved to exactly `role`. */
  reserved(role?: string): Resources {
    return this.filter(r => isReserved(r, role))
  }

  /** What a framework in `role` may be offered: unreserved plus reservations of `role` and its ancestors. */
  allocatableTo(role: string): Resources {
    // Hot in the allocator (once per agent and role per cycle): no closure when nothing is reserved.
    const items = this.items
    let i = 0
    while (i < items.length && items[i]!.reservations.length === 0) i++
    if (i === items.length) return this
    return this.filter(r => isAllocatableTo(r, role))
  }

  /** Resources allocated to `role`, or (without a role) those allocated to any role. */
  allocatedTo(role?: string): Resources {
    return this.filter(r => (role === undefined ? r.allocationRole !== undefined : r.allocationRole === role))
  }

  /** Marks every entry as allocated to `role` (Mesos `Resources::allocate`). */
  allocate(role: string): Resources {
    return this.reallocate(role)
  }

  /** Clears the allocation role (Mesos `Resources::unallocate`). */
  unallocate(): Resources {
    return this.reallocate(undefined)
  }

  private reallocate(role: string | undefined): Resources {
    const items = this.items
    if (items.length === 0) return this
    let same = true
    let uniform = true
    const first = items[0]!.allocationRole
    for (const r of items) {
      if (r.allocationRole !== role) same = false
      if (r.allocationRole !== first) uniform = false
    }
    if (same) return this
    const out = items.map(r => withAllocationRole(r, role))
    // Entries that differed only by allocation role would now collide and must be merged; when
    // they all had one allocation role their keys stay distinct (the allocator's hot path).
    return uniform ? new Resources(out) : Resources.of(out)
  }

  /** Groups by allocation role (unallocated entries are left out). */
  allocations(): Map<string, Resources> {
    const by = new Map<string, Resource[]>()
    for (const r of this.items) {
      if (r.allocationRole === undefined) continue
      let list = by.get(r.allocationRole)
      if (!list) by.set(r.allocationRole, (list = []))
      list.push(r)
    }
    const out = new Map<string, Resources>()
    for (const [role, list] of by) out.set(role, new Resources(list))
    return out
  }

  /** Groups reserved entries by their reservation role. */
  reservations(): Map<string, Resources> {
    const by = new Map<string, Resource[]>()
    for (const r of this.items) {
      const role = reservationRole(r)
      if (role === undefined) continue
      let list = by.get(role)
      if (!list) by.set(role, (list = []))
      list.push(r)
    }
    const out = new Map<string, Resources>()
    for (const [role, list] of by) out.set(role, new Resources(list))
    return out
  }

  /**
   * Drops reservations and allocation (or re-reserves everything to one reservation), merging
   * what becomes equal: `cpus(a):1;cpus(b):2` flattens to `cpus:3`.
   */
  flatten(reservation?: ReservationInfo): Resources {
    const reservations = reservation ? [reservation] : []
    return Resources.of(this.items.map(r => withMeta(r, { reservations, allocationRole: undefined })))
  }

  /** Names of all entries, in first-seen order. */
  names(): string[] {
    return [...new Set(this.items.map(r => r.name))]
  }
}

/** Adds `r` into the merged list `out` in place (replacing the merged entry by a new object). */
function mergeInto(out: Resource[], r: Resource): void {
  for (let i = 0; i < out.length; i++) {
    const m = out[i]!
    if (m.key === r.key && m.allocationRole === r.allocationRole) {
      out[i] = addValue(m, r)
      return
    }
    if (m.name === r.name && m.type !== r.type) {
      throw new ResourceError(`resource '${r.name}' is used both as ${m.type} and as ${r.type}`)
    }
  }
  if (!isEmptyResource(r)) out.push(r)
}
