// The baseline for `npm run bench -- allocator`: a straightforward DRF allocator written the way
// Mesos's HierarchicalAllocatorProcess works, with nothing incremental in the cycle. Per agent it
// recomputes every role's share and re-sorts all roles, then per role re-sorts all frameworks
// (when anything was allocated since the last sort, as Mesos's `dirty` flag does); per framework
// it recomputes what to offer and looks up its filters; it expires filters by scanning them all
// and recomputes the available quota headroom by scanning all agents every cycle.
//
// It makes the same decisions as actors/allocator (same shuffle, same DRF order and tie-breaks,
// same quota stages), which the bench and a test check offer by offer. Roles are flat here
// (no `eng/frontend`), which is all the bench scenarios use.
import { Prng } from '../runtime/prng.js'
import {
  DEFAULT_MIN_ALLOCATABLE,
  Quantities,
  Resources,
  isReserved,
  parseMinAllocatable,
} from '../actors/resources/index.js'
import {
  limitsMinus,
  quotaScalars,
  reservedScalars,
  shrinkToLimits,
  shrinkToQuantities,
  type Filters,
  type FrameworkSpec,
  type Offer,
  type Quota,
} from '../actors/allocator/index.js'

interface RefAgent {
  id: string
  total: Resources
  available: Resources
  allocated: Map<string, Resources>
  active: boolean
}

interface RefFramework {
  id: string
  roles: Set<string>
  suppressed: Set<string>
  active: boolean
}

interface RefFilter {
  resources: Resources
  expiresAt: number
}

interface Client {
  name: string
  alloc: Map<string, number>
  count: number
  share: number
}

export class ReferenceAllocator {
  private readonly agents = new Map<string, RefAgent>()
  private readonly frameworks = new Map<string, RefFramework>()
  private readonly roleClients = new Map<string, Client>()
  private readonly frameworkClients = new Map<string, Map<string, Client>>()
  /** framework -> role -> agent -> filters */
  private readonly filters = new Map<string, Map<string, Map<string, RefFilter[]>>>()
  private readonly quotas = new Map<string, Quota>()
  private readonly weights = new Map<string, number>()
  private readonly reserved = new Map<string, Quantities>()
  private readonly prng: Prng
  private readonly minAllocatable: Quantities[]
  private readonly intervalMs: number
  private readonly totals = new Map<string, number>()

  constructor(options: { seed?: number; minAllocatableResources?: string; allocationIntervalMs?: number } = {}) {
    this.prng = new Prng(options.seed ?? 1)
    this.minAllocatable = parseMinAllocatable(options.minAllocatableResources ?? DEFAULT_MIN_ALLOCATABLE)
    this.intervalMs = options.allocationIntervalMs ?? 1000
  }

  addFramework(id: string, spec: FrameworkSpec): void {
    const fw: RefFramework = { id, roles: new Set(spec.roles), suppressed: new Set(spec.suppressedRoles ?? []), active: spec.active ?? true }
    this.frameworks.set(id, fw)
    for (const role of fw.roles) this.frameworkClient(role, id)
  }

  suppressOffers(id: string, roles?: readonly string[]): void {
    const fw = this.frameworks.get(id)!
    for (const r of roles ?? [...fw.roles]) fw.suppressed.add(r)
  }

  reviveOffers(id: string, roles?: readonly string[]): void {
    const fw = this.frameworks.get(id)!
    for (const r of roles ?? [...fw.roles]) {
      fw.suppressed.delete(r)
      this.filters.get(id)?.delete(r)
    }
  }

  addAgent(id: string, total: Resources, used: ReadonlyMap<string, Resources> = new Map()): void {
    const agent: RefAgent = { id, total, available: total, allocated: new Map(), active: true }
    this.agents.set(id, agent)
    for (const r of total.scalars().items) this.totals.set(r.name, (this.totals.get(r.name) ?? 0) + r.milli)
    for (const [role, res] of reservedScalars(total).reservations()) {
      const q = this.reserved.get(role) ?? new Quantities()
      this.reserved.set(role, q.plus(Quantities.ofScalars(res)))
    }
    for (const [fw, res] of used) this.track(agent, fw, res)
  }

  updateWeights(weights: Iterable<{ role: string; weight: number }>): void {
    for (const { role, weight } of weights) this.weights.set(role, weight)
  }

  updateQuota(role: string, quota: { guarantees?: Quantities; limits?: Quantities }): void {
    const limits = new Map<string, number>()
    for (const [k, v] of quota.limits?.entries() ?? []) limits.set(k, v)
    this.quotas.set(role, { guarantees: quota.guarantees ?? new Quantities(), limits })
  }

  recoverResources(fwId: string, agentId: string, resources: Resources, filters: Filters | undefined, now: number): void {
    const agent = this.agents.get(agentId)
    if (!agent || resources.isEmpty()) return
    this.untrack(agent, fwId, resources)
    if (!filters || !this.frameworks.has(fwId)) return
    let seconds = filters.refuseSeconds ?? 5
    if (!(seconds >= 0)) seconds = 5
    seconds = Math.min(seconds, 365 * 24 * 3600)
    if (seconds === 0) return
    for (const [role, res] of resources.allocations()) {
      let byRole = this.filters.get(fwId)
      if (!byRole) this.filters.set(fwId, (byRole = new Map()))
      let byAgent = byRole.get(role)
      if (!byAgent) byRole.set(role, (byAgent = new Map()))
      const list = byAgent.get(agentId) ?? []
      list.push({ resources: res.unallocate(), expiresAt: now + Math.max(seconds * 1000, this.intervalMs) })
      byAgent.set(agentId, list)
    }
  }

  allocate(now: number): Offer[] {
    for (const byRole of this.filters.values()) {
      for (const byAgent of byRole.values()) {
        for (const [agentId, list] of byAgent) {
          const live = list.filter(f => f.expiresAt > now)
          if (live.length === 0) byAgent.delete(agentId)
          else byAgent.set(agentId, live)
        }
      }
    }
    const agents = [...this.agents.values()].filter(a => a.active && !a.available.isEmpty())
    const offers: Offer[] = []
    const index = new Map<string, number>()
    const record = (agent: RefAgent, fw: string, role: string, toOffer: Resources): void => {
      const res = toOffer.allocate(role)
      this.track(agent, fw, res)
      const key = `${fw}\u0000${role}\u0000${agent.id}`
      const at = index.get(key)
      if (at === undefined) {
        index.set(key, offers.length)
        offers.push({ frameworkId: fw, role, agentId: agent.id, resources: res })
      } else offers[at] = { ...offers[at]!, resources: offers[at]!.resources.add(res) }
    }

    const consumed = new Map<string, Quantities>()
    for (const role of this.quotas.keys()) consumed.set(role, this.consumedOf(role))
    const required = new Quantities()
    for (const [role, q] of this.quotas) required.addInPlace(q.guarantees.minus(consumed.get(role)!))
    const headroom = new Quantities()
    for (const a of this.agents.values()) headroom.addInPlace(Quantities.ofScalars(quotaScalars(a.available)))

    if (agents.length === 0) return offers
    this.prng.shuffle(agents)
    let anyUnsatisfied = false
    for (const [role, q] of this.quotas) {
      if (!q.guarantees.isEmpty() && this.activeFrameworks(role).length > 0 && !consumed.get(role)!.contains(q.guarantees)) anyUnsatisfied = true
    }
    if (anyUnsatisfied) {
      for (const agent of agents) {
        for (const role of this.sortedRoles()) {
          const quota = this.quotas.get(role)
          if (!quota || quota.guarantees.isEmpty()) continue
          if (agent.available.isEmpty()) break
          let unsatisfied = quota.guarantees.minus(consumed.get(role)!)
          if (unsatisfied.isEmpty()) continue
          for (const fw of this.sortedFrameworks(role)) {
            if (unsatisfied.isEmpty()) break
            const available = agent.available.allocatableTo(role)
            if (available.isEmpty()) break
            if (!this.allocatable(available)) continue
            const quotaRes = quotaScalars(available)
            const guaranteesOffering = shrinkToQuantities(quotaRes, unsatisfied)
            if (guaranteesOffering.isEmpty()) continue
            const guaranteed = Quantities.ofScalars(guaranteesOffering)
            let toOffer = guaranteesOffering.add(available.filter(r => isReserved(r, role) || r.type !== 'SCALAR'))
            let additional = quotaRes.subtract(guaranteesOffering)
            if (quota.limits.size > 0) additional = shrinkToLimits(additional, limitsMinus(limitsMinus(quota.limits, consumed.get(role)!), guaranteed))
            if (!required.isEmpty() && !additional.isEmpty()) additional = shrinkToQuantities(additional, headroom.minus(required))
            toOffer = toOffer.add(additional)
            if (!this.allocatable(toOffer) || this.isFiltered(fw, role, agent.id, toOffer)) continue
            record(agent, fw, role, toOffer)
            const inc = Quantities.ofScalars(guaranteesOffering.add(additional))
            unsatisfied = unsatisfied.minus(inc)
            consumed.get(role)!.addInPlace(inc)
            required.subtractInPlace(guaranteed)
            headroom.subtractInPlace(inc)
          }
        }
      }
    }
    this.prng.shuffle(agents)
    for (const agent of agents) {
      for (const role of this.sortedRoles()) {
        if (agent.available.isEmpty()) break
        const quota = this.quotas.get(role)
        for (const fw of this.sortedFrameworks(role)) {
          const available = agent.available.allocatableTo(role)
          if (available.isEmpty()) break
          if (!this.allocatable(available)) continue
          let toOffer = available.filter(r => isReserved(r) || r.type !== 'SCALAR')
          let additional = quotaScalars(available)
          if (quota && quota.limits.size > 0) additional = shrinkToLimits(additional, limitsMinus(quota.limits, consumed.get(role)!))
          if (!required.isEmpty() && !additional.isEmpty()) additional = shrinkToQuantities(additional, headroom.minus(required))
          toOffer = toOffer.add(additional)
          if (!this.allocatable(toOffer) || this.isFiltered(fw, role, agent.id, toOffer)) continue
          record(agent, fw, role, toOffer)
          const inc = Quantities.ofScalars(additional)
          if (quota) consumed.get(role)!.addInPlace(inc)
          headroom.subtractInPlace(inc)
        }
      }
    }
    return offers
  }

  private consumedOf(role: string): Quantities {
    const out = (this.reserved.get(role) ?? new Quantities()).clone()
    for (const agent of this.agents.values()) {
      for (const res of agent.allocated.values()) out.addInPlace(Quantities.ofScalars(quotaScalars(res.allocatedTo(role))))
    }
    return out
  }

  private allocatable(res: Resources): boolean {
    if (res.isEmpty()) return false
    return this.minAllocatable.length === 0 || this.minAllocatable.some(q => q.containedIn(res))
  }

  private isFiltered(fw: string, role: string, agentId: string, res: Resources): boolean {
    const list = this.filters.get(fw)?.get(role)?.get(agentId)
    return list !== undefined && list.some(f => f.resources.contains(res))
  }

  private activeFrameworks(role: string): string[] {
    const out: string[] = []
    for (const fw of this.frameworkClients.get(role)?.keys() ?? []) {
      const f = this.frameworks.get(fw)
      if (f && f.active && f.roles.has(role) && !f.suppressed.has(role)) out.push(fw)
    }
    return out
  }

  private share(c: Client, weight: number): number {
    let s = 0
    for (const [name, total] of this.totals) {
      if (total <= 0) continue
      const a = c.alloc.get(name)
      if (a !== undefined && a / total > s) s = a / total
    }
    return s / weight
  }

  /** Roles with active frameworks, every share recomputed and the whole list sorted. */
  private sortedRoles(): string[] {
    const roles: Client[] = []
    for (const [role, c] of this.roleClients) {
      if (this.activeFrameworks(role).length === 0) continue
      c.share = this.share(c, this.weights.get(role) ?? 1)
      roles.push(c)
    }
    roles.sort(compare)
    return roles.map(c => c.name)
  }

  private sortedFrameworks(role: string): string[] {
    const clients = this.frameworkClients.get(role)!
    const list: Client[] = []
    for (const fw of this.activeFrameworks(role)) {
      const c = clients.get(fw)!
      c.share = this.share(c, 1)
      list.push(c)
    }
    list.sort(compare)
    return list.map(c => c.name)
  }

  private roleClient(role: string): Client {
    let c = this.roleClients.get(role)
    if (!c) this.roleClients.set(role, (c = { name: role, alloc: new Map(), count: 0, share: 0 }))
    return c
  }

  private frameworkClient(role: string, fw: string): Client {
    this.roleClient(role)
    let byFw = this.frameworkClients.get(role)
    if (!byFw) this.frameworkClients.set(role, (byFw = new Map()))
    let c = byFw.get(fw)
    if (!c) byFw.set(fw, (c = { name: fw, alloc: new Map(), count: 0, share: 0 }))
    return c
  }

  private track(agent: RefAgent, fw: string, res: Resources): void {
    agent.available = agent.available.subtract(res.unallocate())
    agent.allocated.set(fw, (agent.allocated.get(fw) ?? Resources.EMPTY).add(res))
    for (const [role, part] of res.allocations()) {
      for (const c of [this.roleClient(role), this.frameworkClient(role, fw)]) {
        for (const r of part.scalars().items) c.alloc.set(r.name, (c.alloc.get(r.name) ?? 0) + r.milli)
        c.count++
      }
    }
  }

  private untrack(agent: RefAgent, fw: string, res: Resources): void {
    agent.available = agent.available.add(res.unallocate())
    const left = agent.allocated.get(fw)!.subtract(res)
    if (left.isEmpty()) agent.allocated.delete(fw)
    else agent.allocated.set(fw, left)
    for (const [role, part] of res.allocations()) {
      for (const c of [this.roleClient(role), this.frameworkClient(role, fw)]) {
        for (const r of part.scalars().items) {
          const v = (c.alloc.get(r.name) ?? 0) - r.milli
          if (v > 0) c.alloc.set(r.name, v)
          else c.alloc.delete(r.name)
        }
      }
    }
  }
}

function compare(a: Client, b: Client): number {
  if (a.share !== b.share) return a.share < b.share ? -1 : 1
  if (a.count !== b.count) return a.count - b.count
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0
}
