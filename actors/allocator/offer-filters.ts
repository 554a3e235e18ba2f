import { MinHeap } from '../../runtime/index.js'
import type { Resources } from '../resources/index.js'

/**
 * A refused-resources filter (Mesos `RefusedOfferFilter`): while it lives, `frameworkId` acting
 * in `role` is not offered anything on `agentId` that `resources` contains.
 */
export interface OfferFilter {
  readonly frameworkId: string
  readonly role: string
  readonly agentId: string
  /** What was declined, without allocation info. */
  readonly resources: Resources
  readonly expiresAt: number
  removed: boolean
}

type Nested = Map<string, Map<string, OfferFilter[]>>

/**
 * All live offer filters, indexed both ways: by agent then role then framework (what the
 * allocation loop asks: "who refused this agent?") and by framework (what revive, deactivation
 * and removal clear: a flat set, since clearing is rare and adding is not: a cluster of
 * declining frameworks adds one filter per offer). Expiry is a min-heap on `expiresAt`, drained
 * at the start of each allocation cycle; filters cleared early are marked removed and skipped there.
 */
export class OfferFilters {
  private readonly byAgent = new Map<string, Nested>()
  private readonly byFramework = new Map<string, Set<OfferFilter>>()
  private readonly heap = new MinHeap<OfferFilter>((a, b) => a.expiresAt < b.expiresAt)
  private live = 0

  /** `onAgentChange` is told whenever an agent's set of filters changes (with the filter, when one was added). */
  constructor(private readonly onAgentChange: (agentId: string, added: OfferFilter | undefined) => void) {}

  get size(): number {
    return this.live
  }

  add(filter: Omit<OfferFilter, 'removed'>): OfferFilter {
    const f: OfferFilter = {
      frameworkId: filter.frameworkId,
      role: filter.role,
      agentId: filter.agentId,
      resources: filter.resources,
      expiresAt: filter.expiresAt,
      removed: false,
    }
    let byRole = this.byAgent.get(f.agentId)
    if (!byRole) this.byAgent.set(f.agentId, (byRole = new Map()))
    let byFw = byRole.get(f.role)
    if (!byFw) byRole.set(f.role, (byFw = new Map()))
    const list = byFw.get(f.frameworkId)
    if (list) list.push(f)
    else byFw.set(f.frameworkId, [f])
    let mine = this.byFramework.get(f.frameworkId)
    if (!mine) this.byFramework.set(f.frameworkId, (mine = new Set()))
    mine.add(f)
    this.heap.push(f)
    this.live++
    this.onAgentChange(f.agentId, f)
    return f
  }

  /** Filters on `agentId`, by role then framework; undefined when there are none. */
  forAgent(agentId: string): ReadonlyMap<string, ReadonlyMap<string, readonly OfferFilter[]>> | undefined {
    return this.byAgent.get(agentId)
  }

  /** Filters on `agentId` for `role`, by framework; undefined when there are none. */
  forAgentRole(agentId: string, role: string): Map<string, OfferFilter[]> | undefined {
    return this.byAgent.get(agentId)?.get(role)
  }

  hasAgent(agentId: string): boolean {
    return this.byAgent.has(agentId)
  }

  /** Whether a live filter of `frameworkId` in `role` on `agentId` contains `resources`. */
  isFiltered(frameworkId: string, role: string, agentId: string, resources: Resources): boolean {
    const list = this.byAgent.get(agentId)?.get(role)?.get(frameworkId)
    if (!list) return false
    for (const f of list) if (f.resources.contains(resources)) return true
    return false
  }

  /** Filters of one framework (optionally one role), for inspection and tests. */
  ofFramework(frameworkId: string, role?: string): OfferFilter[] {
    const out: OfferFilter[] = []
    for (const f of this.byFramework.get(frameworkId) ?? []) if (role === undefined || f.role === role) out.push(f)
    return out
  }

  /** Removes filters whose time has come (expiresAt <= now). */
  expire(now: number): number {
    let n = 0
    while (this.heap.size > 0 && this.heap.peek()!.expiresAt <= now) {
      const f = this.heap.pop()!
      if (f.removed) continue
      this.unlink(f)
      n++
    }
    return n
  }

  /** Clears a framework's filters: all of them, or those of some roles (revive, deactivate, remove). */
  clearFramework(frameworkId: string, roles?: Iterable<string>): void {
    const mine = this.byFramework.get(frameworkId)
    if (!mine) return
    const which = roles ? new Set(roles) : undefined
    for (const f of [...mine]) if (!which || which.has(f.role)) this.unlink(f)
  }

  /** Clears every filter on an agent (agent removed, or its total changed). */
  clearAgent(agentId: string): void {
    const byRole = this.byAgent.get(agentId)
    if (!byRole) return
    for (const byFw of [...byRole.values()]) for (const list of [...byFw.values()]) for (const f of [...list]) this.unlink(f)
  }

  private unlink(f: OfferFilter): void {
    if (f.removed) return
    f.removed = true
    this.live--
    const byRole = this.byAgent.get(f.agentId)
    const byFw = byRole?.get(f.role)
    const list = byFw?.get(f.frameworkId)
    if (list) {
      const i = list.indexOf(f)
      if (i >= 0) list.splice(i, 1)
      if (list.length === 0) {
        byFw!.delete(f.frameworkId)
        if (byFw!.size === 0) {
          byRole!.delete(f.role)
          if (byRole!.size === 0) this.byAgent.delete(f.agentId)
        }
      }
    }
    const mine = this.byFramework.get(f.frameworkId)
    if (mine) {
      mine.delete(f)
      if (mine.size === 0) this.byFramework.delete(f.frameworkId)
    }
    this.onAgentChange(f.agentId, undefined)
    // Removed entries stay in the heap until they surface; compact when they dominate.
    if (this.heap.size > 1024 && this.heap.size > 4 * this.live) {
      this.heap.retain(x => !x.removed)
    }
  }
}
