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

function push(index: Map<string, Nested>, a: string, b: string, c: string, f: OfferFilter): void {
  let l1 = index.get(a)
  if (!l1) index.set(a, (l1 = new Map()))
  let l2 = l1.get(b)
  if (!l2) l1.set(b, (l2 = new Map()))
  const list = l2.get(c)
  if (list) list.push(f)
  else l2.set(c, [f])
}

function drop(index: Map<string, Nested>, a: string, b: string, c: string, f: OfferFilter): void {
  const l1 = index.get(a)
  const l2 = l1?.get(b)
  const list = l2?.get(c)
  if (!list) return
  const i = list.indexOf(f)
  if (i >= 0) list.splice(i, 1)
  if (list.length === 0) {
    l2!.delete(c)
    if (l2!.size === 0) {
      l1!.delete(b)
      if (l1!.size === 0) index.delete(a)
    }
  }
}

/**
 * All live offer filters, indexed both ways: by agent then role then framework (what the
 * allocation loop asks: "who refused this agent?") and by framework then role then agent (what
 * revive, deactivation and removal clear). Expiry is a min-heap on `expiresAt`, drained at the
 * start of each allocation cycle; filters cleared early are marked removed and skipped there.
 */
export class OfferFilters {
  private readonly byAgent = new Map<string, Nested>()
  private readonly byFramework = new Map<string, Nested>()
  private readonly heap: OfferFilter[] = []
  private live = 0

  /** `onAgentChange` is told whenever an agent's set of filters changes. */
  constructor(private readonly onAgentChange: (agentId: string) => void) {}

  get size(): number {
    return this.live
  }

  add(filter: Omit<OfferFilter, 'removed'>): OfferFilter {
    const f: OfferFilter = { ...filter, removed: false }
    push(this.byAgent, f.agentId, f.role, f.frameworkId, f)
    push(this.byFramework, f.frameworkId, f.role, f.agentId, f)
    this.heapPush(f)
    this.live++
    this.onAgentChange(f.agentId)
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
    const byRole = this.byFramework.get(frameworkId)
    if (!byRole) return out
    for (const [r, byAgent] of byRole) {
      if (role !== undefined && r !== role) continue
      for (const list of byAgent.values()) out.push(...list)
    }
    return out
  }

  /** Removes filters whose time has come (expiresAt <= now). */
  expire(now: number): number {
    let n = 0
    while (this.heap.length > 0 && this.heap[0]!.expiresAt <= now) {
      const f = this.heapPop()!
      if (f.removed) continue
      this.unlink(f)
      n++
    }
    return n
  }

  /** Clears a framework's filters: all of them, or those of some roles (revive, deactivate, remove). */
  clearFramework(frameworkId: string, roles?: Iterable<string>): void {
    const byRole = this.byFramework.get(frameworkId)
    if (!byRole) return
    const which = roles ? [...roles] : [...byRole.keys()]
    for (const role of which) {
      const byAgent = byRole.get(role)
      if (!byAgent) continue
      for (const list of [...byAgent.values()]) for (const f of [...list]) this.unlink(f)
    }
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
    drop(this.byAgent, f.agentId, f.role, f.frameworkId, f)
    drop(this.byFramework, f.frameworkId, f.role, f.agentId, f)
    this.onAgentChange(f.agentId)
    // Removed entries stay in the heap until they surface; compact when they dominate.
    if (this.heap.length > 1024 && this.heap.length > 4 * this.live) {
      const keep = this.heap.filter(x => !x.removed)
      this.heap.length = 0
      for (const x of keep) this.heapPush(x)
    }
  }

  private heapPush(f: OfferFilter): void {
    const a = this.heap
    a.push(f)
    let i = a.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (a[p]!.expiresAt <= a[i]!.expiresAt) break
      ;[a[i], a[p]] = [a[p]!, a[i]!]
      i = p
    }
  }

  private heapPop(): OfferFilter | undefined {
    const a = this.heap
    const top = a[0]
    const last = a.pop()
    if (a.length > 0 && last) {
      a[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < a.length && a[l]!.expiresAt < a[m]!.expiresAt) m = l
        if (r < a.length && a[r]!.expiresAt < a[m]!.expiresAt) m = r
        if (m === i) break
        ;[a[i], a[m]] = [a[m]!, a[i]!]
        i = m
      }
    }
    return top
  }
}
