import { Prng } from '../../runtime/prng.js'
import {
  DEFAULT_MIN_ALLOCATABLE,
  Quantities,
  Resources,
  isReserved,
  isValidRole,
  parseMinAllocatable,
  roleAncestors,
  roleError,
} from '../resources/index.js'
import { DrfSorter, SorterTotal } from './drf-sorter.js'
import { addInto, isZero, subtractInto, type ScalarVector } from './scalar-vector.js'
import { OfferFilters, type OfferFilter } from './offer-filters.js'
import {
  NO_QUOTA,
  isDefaultQuota,
  limitsMinus,
  quotaScalars,
  reservedScalars,
  shrinkToLimits,
  shrinkToQuantities,
  tighterLimits,
  type Quota,
} from './quota.js'
import {
  AllocatorError,
  DEFAULT_ALLOCATION_INTERVAL_MS,
  DEFAULT_REFUSE_SECONDS,
  MAX_REFUSE_SECONDS,
  type AllocatorOptions,
  type Filters,
  type FrameworkSpec,
  type Offer,
  type QuotaSpec,
} from './types.js'

/**
 * One agent. The cycle visits every agent in random order and is bound by memory latency at
 * 50k agents, so what a visit reads is kept here (hot fields first) rather than behind further
 * objects: `availableEmpty` instead of `available.items.length`, the last allocatability check,
 * and the agent's filters without a lookup by id.
 */
interface AgentState {
  readonly id: string
  active: boolean
  /** Bumped whenever `available` or the agent's filters change: keys the caches below. */
  version: number
  /** (version, framework epoch) at which nothing on this agent could be offered to anyone. */
  deadVersion: number
  deadEpoch: number
  /** Set with `setAvailable` only, which keeps `availableEmpty` and the caches in line. */
  available: Resources
  availableEmpty: boolean
  /** Whether the total holds any reservation (else every role sees the same resources here). */
  hasReservations: boolean
  /** The last resources `offerable` checked and whether they were allocatable. */
  checked: Resources | undefined
  checkedAllocatable: boolean
  /** This agent's filters, by role then framework (OfferFilters' own index, kept current by its callback). */
  filterSlots: ReadonlyMap<string, ReadonlyMap<string, readonly OfferFilter[]>> | undefined
  /** How many filters there are on this agent (all roles). */
  filterCount: number
  /**
   * The union of `FrameworkState.mask` over the frameworks with a filter here (recomputed
   * lazily after a removal): a framework whose bit is clear has no filter on this agent, which
   * spares the cycle the lookups into `filterSlots` for most frameworks it visits.
   */
  filterMask: number
  filterMaskStale: boolean
  /** The last cycle that offered something here. */
  offeredInCycle: number
  total: Resources
  totalV: ScalarVector
  /** Offered or allocated resources per framework; every entry carries its allocation role. */
  readonly allocated: Map<string, Resources>
  readonly blockCache: Map<string, { v: number; e: number; blocked: boolean }>
  /**
   * The last offer made here: what was offered (unallocated), to which role, and the same
   * allocated to it. In the steady state of a cluster whose frameworks decline, the decline
   * hands back that very object and the next cycle offers the same available resources again,
   * so neither form is rebuilt, and the decline's filter shares them instead of holding a copy
   * (at 50k agents x 1k frameworks those copies were most of the heap and of the GC's work).
   */
  lastOffered: Resources | undefined
  lastRole: string
  lastAllocated: Resources
  /** Scalar vectors (all, unreserved) of `vectorsOf`, the last resources they were taken from. */
  vectorsOf: Resources | undefined
  lastV: ScalarVector
  lastUnreservedV: ScalarVector
}

interface FrameworkState {
  readonly id: string
  /** One bit (of 30, by order of arrival) for `AgentState.filterMask`. */
  readonly mask: number
  roles: Set<string>
  suppressed: Set<string>
  active: boolean
}

interface RoleState {
  readonly role: string
  /** Frameworks of this role in DRF order (clients: subscribed frameworks and any still holding resources here). */
  readonly sorter: DrfSorter
  readonly subscribed: Set<string>
  activeFrameworks: number
  /** Scalars reserved to exactly this role, on all agents, allocated or not. */
  readonly reservedV: ScalarVector
  /** Unreserved scalars offered or allocated to exactly this role. */
  readonly unreservedAllocV: ScalarVector
  /** All scalars offered or allocated to exactly this role. */
  readonly allocV: ScalarVector
  /** This role's RoleCycle in the cycle of `cycleQuota` (spares the walk a lookup per agent). */
  cycleQuota: CycleQuota | undefined
  roleCycle: RoleCycle | undefined
}

/** A snapshot for inspection and tests; never the allocator's own objects. */
export interface AgentView {
  readonly id: string
  readonly total: Resources
  readonly available: Resources
  /** Offered or allocated, per framework (entries carry their allocation role). */
  readonly allocated: ReadonlyMap<string, Resources>
  readonly active: boolean
}

export interface FrameworkView {
  readonly id: string
  readonly roles: readonly string[]
  readonly suppressedRoles: readonly string[]
  readonly active: boolean
  readonly allocated: ReadonlyMap<string, Resources>
}

export interface RoleView {
  readonly role: string
  readonly weight: number
  readonly quota: Quota
  /** Scalars offered or allocated to this role and its sub-roles. */
  readonly allocated: Quantities
  /** Reservations plus unreserved allocation of this role and its sub-roles (what quota counts). */
  readonly consumedQuota: Quantities
  readonly frameworks: readonly string[]
}

/** What one `allocate()` did, for metrics and logs. */
export interface CycleStats {
  readonly agentsConsidered: number
  readonly agentsSkipped: number
  readonly offers: number
  readonly filtersExpired: number
}

/**
 * Quota state of one cycle. Everything derived from consumption is cached and keyed by per-role
 * versions, because the walk asks for it once per (agent, role): with 200 quota roles and 10,000
 * agents, recomputing limits and headroom each time cost seconds per cycle.
 */
interface RoleCycle {
  readonly role: string
  readonly chain: readonly string[]
  /** The RoleCycles of `chain` (this one first when the role has a quota itself). */
  chainCycles: RoleCycle[]
  /** Bumped whenever this role's consumption changes (roles with a quota). */
  version: number
  /** Sum of the chain's versions when `left` and `capped` were computed. */
  key: number
  left: Map<string, number> | undefined
  /** `left` by the sorter total's scalar index; absent names and indexes past the end are unlimited. */
  leftV: number[] | undefined
  capped: boolean
}

interface CycleQuota {
  /** Consumed quota of every role that has a quota, updated as the cycle allocates. */
  consumed: Map<string, Quantities>
  requiredHeadroom: Quantities
  availableHeadroom: Quantities
  /** Per role: its quota chain and what its limits leave, revalidated when the chain's versions move. */
  roles: Map<string, RoleCycle>
  /**
   * Roles whose limits leave less than any allocatable offer of unreserved resources. Consumption
   * only grows within a cycle, so a role stays capped until the cycle ends.
   */
  capped: Set<string>
  unsatisfied: Map<string, { v: number; q: Quantities }>
  /** Active roles whose guarantees are not met yet; stage 1 has nothing to do once it is empty. */
  pending: Set<string>
  /** availableHeadroom - requiredHeadroom, when stale is false (and as a vector by the sorter total's index). */
  surplus: Quantities
  surplusV: number[]
  surplusStale: boolean
}

/**
 * The hierarchical DRF allocator (Mesos's HierarchicalAllocatorProcess) as a pure, synchronous
 * core: no clock, no I/O, time comes in as `now`. State is maintained incrementally by each
 * operation, so `allocate()` does only the walk over agents, roles and frameworks.
 *
 * One cycle follows Mesos 1.9+ (hierarchical.cpp `__generateOffers`):
 *  1. agents are shuffled (seeded PRNG);
 *  2. stage 1: roles with unsatisfied quota guarantees, in DRF order, are offered what moves them
 *     toward their guarantees (plus their reservations and non-scalars), within their limits;
 *  3. agents are shuffled again; stage 2: every role in DRF order, frameworks within a role in
 *     DRF order; unreserved scalars are cut to the role's limits and to the headroom that must be
 *     held back for other roles' unsatisfied guarantees.
 * A framework is offered everything left that its role may use on the agent, unless its filters
 * hold all of it or it falls below `--min_allocatable_resources`.
 *
 * Speed comes from not repeating work, not from changing the outcome: sorters reposition only
 * what changed; an agent where every active framework of every role has refused what is
 * available is remembered as such until the agent, its filters or the set of active frameworks
 * change; per (agent, role) the offerable resources are computed once, not once per framework.
 */
export class HierarchicalAllocator {
  private readonly agents = new Map<string, AgentState>()
  private readonly frameworks = new Map<string, FrameworkState>()
  private readonly roles = new Map<string, RoleState>()
  private readonly quotas = new Map<string, Quota>()
  /** Role -> itself and its ancestors that have a quota (cleared when quotas change). */
  private readonly quotaChains = new Map<string, string[]>()
  private readonly weights = new Map<string, number>()
  private readonly activeRoles = new Set<string>()
  private readonly total = new SorterTotal()
  private readonly roleSorter = new DrfSorter(this.total, true)
  private readonly filters: OfferFilters
  private readonly prng: Prng
  private readonly minAllocatable: readonly Quantities[]
  private readonly allocationIntervalMs: number
  /** Unreserved scalars available on all agents: Mesos's "available quota headroom". */
  private readonly unreservedAvailable: ScalarVector = []
  /** Bumped when any framework's activity in any role changes (keys the per-agent caches). */
  private frameworkEpoch = 0
  private frameworkSeq = 0
  private cycleNumber = 0
  private lastStats: CycleStats = { agentsConsidered: 0, agentsSkipped: 0, offers: 0, filtersExpired: 0 }

  constructor(options: AllocatorOptions = {}) {
    this.prng = new Prng(options.seed ?? 1)
    const min = options.minAllocatableResources ?? DEFAULT_MIN_ALLOCATABLE
    this.minAllocatable = typeof min === 'string' ? parseMinAllocatable(min) : [...min]
    this.allocationIntervalMs = options.allocationIntervalMs ?? DEFAULT_ALLOCATION_INTERVAL_MS
    this.filters = new OfferFilters((agentId, added) => {
      const a = this.agents.get(agentId)
      if (!a) return
      a.version++
      a.filterSlots = this.filters.forAgent(agentId)
      if (added) {
        a.filterCount++
        a.filterMask |= this.maskOf(added.frameworkId)
      } else {
        a.filterCount--
        a.filterMaskStale = true
      }
    })
  }

  // ---------------------------------------------------------------- frameworks

  addFramework(id: string, spec: FrameworkSpec): void {
    if (this.frameworks.has(id)) throw new AllocatorError(`framework '${id}' is already added`)
    for (const role of spec.roles) checkRole(role)
    const fw: FrameworkState = {
      id,
      mask: 1 << this.frameworkSeq++ % 30,
      roles: new Set(spec.roles),
      suppressed: new Set((spec.suppressedRoles ?? []).filter(r => spec.roles.includes(r))),
      active: spec.active ?? true,
    }
    this.frameworks.set(id, fw)
    for (const role of fw.roles) this.subscribe(fw, role)
    this.frameworkEpoch++
  }

  /** Returns everything the framework holds to its agents and forgets it (and its filters). */
  removeFramework(id: string): void {
    const fw = this.requireFramework(id)
    // Like Mesos, removal walks all agents: it is rare, and keeping a per-framework index of
    // agents would cost two set operations on every offer and every decline.
    for (const agent of this.agents.values()) {
      const held = agent.allocated.get(id)
      if (held) this.untrack(agent, id, held)
    }
    this.filters.clearFramework(id)
    for (const role of [...fw.roles]) this.unsubscribe(fw, role)
    this.frameworks.delete(id)
    this.frameworkEpoch++
  }

  activateFramework(id: string): void {
    const fw = this.requireFramework(id)
    fw.active = true
    for (const role of fw.roles) this.refreshActivity(fw, role)
    this.frameworkEpoch++
  }

  /** Stops offers to the framework and clears its filters; what it holds stays allocated (Mesos). */
  deactivateFramework(id: string): void {
    const fw = this.requireFramework(id)
    fw.active = false
    for (const role of fw.roles) this.refreshActivity(fw, role)
    this.filters.clearFramework(id)
    this.frameworkEpoch++
  }

  /** New roles and suppressed roles (UPDATE_FRAMEWORK / re-subscription). */
  updateFramework(id: string, spec: FrameworkSpec): void {
    const fw = this.requireFramework(id)
    for (const role of spec.roles) checkRole(role)
    const next = new Set(spec.roles)
    for (const role of [...fw.roles]) {
      if (!next.has(role)) {
        this.filters.clearFramework(id, [role])
        fw.suppressed.delete(role)
        this.unsubscribe(fw, role)
      }
    }
    const suppressed = new Set((spec.suppressedRoles ?? []).filter(r => next.has(r)))
    const revived = [...fw.suppressed].filter(r => !suppressed.has(r))
    fw.suppressed = suppressed
    if (revived.length > 0) this.filters.clearFramework(id, revived)
    for (const role of next) {
      if (!fw.roles.has(role)) this.subscribe(fw, role)
      else this.refreshActivity(fw, role)
    }
    if (spec.active !== undefined) fw.active = spec.active
    for (const role of fw.roles) this.refreshActivity(fw, role)
    this.frameworkEpoch++
  }

  /** SUPPRESS: no offers for these roles (all of the framework's roles when none are given). */
  suppressOffers(id: string, roles?: readonly string[]): void {
    const fw = this.requireFramework(id)
    for (const role of roles && roles.length > 0 ? roles : [...fw.roles]) {
      if (!fw.roles.has(role)) continue
      fw.suppressed.add(role)
      this.refreshActivity(fw, role)
    }
    this.frameworkEpoch++
  }

  /** REVIVE: unsuppress these roles (all when none are given) and clear their filters. */
  reviveOffers(id: string, roles?: readonly string[]): void {
    const fw = this.requireFramework(id)
    const which = (roles && roles.length > 0 ? roles : [...fw.roles]).filter(r => fw.roles.has(r))
    this.filters.clearFramework(id, which)
    for (const role of which) {
      fw.suppressed.delete(role)
      this.refreshActivity(fw, role)
    }
    this.frameworkEpoch++
  }

  // ---------------------------------------------------------------- agents

  /**
   * An agent joins with its total resources and what frameworks already use on it (after a
   * master failover): `used` resources must carry their allocation role.
   */
  addAgent(id: string, total: Resources, used: ReadonlyMap<string, Resources> = new Map()): void {
    if (this.agents.has(id)) throw new AllocatorError(`agent '${id}' is already added`)
    const flatTotal = total.unallocate()
    const agent: AgentState = {
      id,
      active: true,
      version: 0,
      deadVersion: -1,
      deadEpoch: -1,
      available: flatTotal,
      availableEmpty: flatTotal.isEmpty(),
      hasReservations: !flatTotal.reserved().isEmpty(),
      checked: undefined,
      checkedAllocatable: false,
      filterSlots: undefined,
      filterCount: 0,
      filterMask: 0,
      filterMaskStale: false,
      offeredInCycle: 0,
      total: flatTotal,
      totalV: this.total.index.vectorOf(flatTotal),
      allocated: new Map(),
      blockCache: new Map(),
      lastOffered: undefined,
      lastRole: '',
      lastAllocated: Resources.EMPTY,
      vectorsOf: undefined,
      lastV: NO_VECTOR,
      lastUnreservedV: NO_VECTOR,
    }
    let usedAll = Resources.EMPTY
    for (const res of used.values()) usedAll = usedAll.add(res.unallocate())
    if (!flatTotal.contains(usedAll)) throw new AllocatorError(`agent '${id}': used resources are not within its total`)
    for (const res of used.values()) {
      if (res.isEmpty()) continue
      if (res.items.some(r => r.allocationRole === undefined)) throw new AllocatorError(`agent '${id}': used resources must carry an allocation role`)
    }
    this.agents.set(id, agent)
    this.total.add(agent.totalV)
    this.trackReservations(flatTotal, +1)
    addInto(this.unreservedAvailable, this.unreservedVector(flatTotal))
    for (const [fwId, res] of used) {
      for (const [role, part] of res.allocations()) this.track(agent, fwId, role, part.unallocate(), part)
    }
  }

  /** The agent is gone: everything on it is forgotten, with its filters. */
  removeAgent(id: string): void {
    const agent = this.requireAgent(id)
    for (const [fwId, res] of [...agent.allocated]) this.untrack(agent, fwId, res)
    this.filters.clearAgent(id)
    subtractInto(this.unreservedAvailable, this.unreservedVector(agent.available))
    this.trackReservations(agent.total, -1)
    this.total.subtract(agent.totalV)
    this.agents.delete(id)
  }

  /** New total (e.g. after a reservation or a resource provider change); allocations are kept. */
  updateAgent(id: string, total: Resources): void {
    const agent = this.requireAgent(id)
    const flatTotal = total.unallocate()
    let used = Resources.EMPTY
    for (const res of agent.allocated.values()) used = used.add(res.unallocate())
    if (!flatTotal.contains(used)) throw new AllocatorError(`agent '${id}': the new total does not hold what is allocated on it`)
    subtractInto(this.unreservedAvailable, this.unreservedVector(agent.available))
    this.trackReservations(agent.total, -1)
    this.total.subtract(agent.totalV)
    agent.total = flatTotal
    agent.hasReservations = !flatTotal.reserved().isEmpty()
    agent.totalV = this.total.index.vectorOf(flatTotal)
    this.setAvailable(agent, flatTotal.subtract(used))
    agent.version++
    this.total.add(agent.totalV)
    this.trackReservations(flatTotal, +1)
    addInto(this.unreservedAvailable, this.unreservedVector(agent.available))
    this.filters.clearAgent(id)
  }

  /** An agent that is disconnected or draining is not offered (its resources still count in totals). */
  deactivateAgent(id: string): void {
    this.requireAgent(id).active = false
  }

  activateAgent(id: string): void {
    const agent = this.requireAgent(id)
    agent.active = true
    agent.version++
  }

  // ---------------------------------------------------------------- resources

  /**
   * Resources come back (offer declined or rescinded, task finished). With `filters`, the
   * framework is not offered these resources on this agent again, in that role, until
   * `refuseSeconds` pass (default 5 s, at least one allocation interval as in Mesos). Unknown
   * agents or frameworks are ignored, as Mesos does for late messages.
   */
  recoverResources(frameworkId: string, agentId: string, resources: Resources, filters: Filters | undefined, now: number): void {
    if (resources.isEmpty()) return
    const agent = this.agents.get(agentId)
    if (!agent) return
    const held = agent.allocated.get(frameworkId)
    if (!held || !held.contains(resources)) {
      // A late recovery for a framework already removed (its resources went back then) is a no-op.
      if (!this.frameworks.has(frameworkId) && !held) return
      throw new AllocatorError(`framework '${frameworkId}' does not hold the recovered resources on agent '${agentId}'`)
    }
    const lastOffer = resources === agent.lastAllocated
    this.untrack(agent, frameworkId, resources)
    const fw = this.frameworks.get(frameworkId)
    if (!fw || !filters) return
    let seconds = filters.refuseSeconds ?? DEFAULT_REFUSE_SECONDS
    if (!Number.isFinite(seconds) || seconds < 0) seconds = DEFAULT_REFUSE_SECONDS
    if (seconds > MAX_REFUSE_SECONDS) seconds = MAX_REFUSE_SECONDS
    if (seconds === 0) return
    const lifetime = Math.max(seconds * 1000, this.allocationIntervalMs)
    if (lastOffer) {
      this.filters.add({ frameworkId, role: agent.lastRole, agentId, resources: agent.lastOffered!, expiresAt: now + lifetime })
      return
    }
    for (const [role, res] of resources.allocations()) {
      this.filters.add({ frameworkId, role, agentId, resources: res.unallocate(), expiresAt: now + lifetime })
    }
  }

  // ---------------------------------------------------------------- roles

  updateWeights(weights: Iterable<{ role: string; weight: number }>): void {
    for (const { role, weight } of weights) {
      checkRole(role)
      if (!(weight > 0) || !Number.isFinite(weight)) throw new AllocatorError(`weight of role '${role}' must be a positive number`)
      if (weight === 1) this.weights.delete(role)
      else this.weights.set(role, weight)
      this.roleSorter.updateWeight(role, weight)
    }
  }

  /** Sets (or, with empty guarantees and limits, clears) a role's quota. */
  updateQuota(role: string, spec: QuotaSpec): void {
    checkRole(role)
    if (role === '*') throw new AllocatorError("role '*' cannot have a quota")
    const guarantees = spec.guarantees ?? new Quantities()
    const limits = new Map<string, number>()
    if (spec.limits instanceof Quantities) {
      for (const [k, v] of spec.limits.entries()) limits.set(k, v)
    } else if (spec.limits) {
      for (const [k, v] of spec.limits) limits.set(k, Math.max(0, v))
    }
    for (const [k, v] of guarantees.entries()) {
      const lim = limits.get(k)
      if (lim !== undefined && lim < v) throw new AllocatorError(`role '${role}': the guarantee of '${k}' exceeds its limit`)
    }
    const quota: Quota = { guarantees: guarantees.clone(), limits }
    if (isDefaultQuota(quota)) this.quotas.delete(role)
    else this.quotas.set(role, quota)
    this.quotaChains.clear()
  }

  // ---------------------------------------------------------------- the cycle

  /**
   * One allocation cycle at time `now`: expires filters, then returns the offers to make, one
   * per (framework, role, agent). The offered resources are already counted as allocated; give
   * them back with `recoverResources` when declined.
   */
  allocate(now: number): Offer[] {
    const expired = this.filters.expire(now)
    const agents: AgentState[] = []
    for (const a of this.agents.values()) if (a.active && !a.availableEmpty) agents.push(a)
    const offers: Offer[] = []
    const cycle = ++this.cycleNumber
    let stage = 1
    // A (framework, role, agent) can be offered twice only across the two stages: stage 1's
    // offers are indexed by agent so that stage 2 can merge into them, as Mesos's `offerable` does.
    const stageOne = new Map<AgentState, number[]>()
    let skipped = 0

    const record = (agent: AgentState, fwId: string, role: string, unallocated: Resources): void => {
      let res: Resources
      if (agent.lastOffered === unallocated && agent.lastRole === role) res = agent.lastAllocated
      else {
        res = unallocated.allocate(role)
        agent.lastOffered = unallocated
        agent.lastRole = role
        agent.lastAllocated = res
      }
      this.track(agent, fwId, role, unallocated, res)
      agent.offeredInCycle = cycle
      if (stage === 1) {
        const list = stageOne.get(agent)
        if (list) list.push(offers.length)
        else stageOne.set(agent, [offers.length])
      } else if (stageOne.size > 0) {
        for (const at of stageOne.get(agent) ?? []) {
          const prev = offers[at]!
          if (prev.frameworkId === fwId && prev.role === role) {
            offers[at] = { ...prev, resources: prev.resources.add(res) }
            return
          }
        }
      }
      offers.push({ frameworkId: fwId, role, agentId: agent.id, resources: res })
    }

    const cq = this.cycleQuota()
    // Both shuffles happen even when nobody can be offered anything, so that the PRNG's sequence
    // does not depend on which frameworks are active (the reference allocator replays it).
    if (agents.length > 0) {
      this.prng.shuffle(agents)
      if (this.activeRoles.size > 0 && cq.pending.size > 0) {
        for (const agent of agents) {
          if (cq.pending.size === 0) break
          if (this.isDead(agent)) continue
          this.stageOne(agent, cq, record)
        }
      }
      this.prng.shuffle(agents)
      stage = 2
      for (const agent of this.activeRoles.size > 0 ? agents : []) {
        if (agent.availableEmpty || this.isDead(agent)) {
          skipped++
          continue
        }
        this.stageTwo(agent, cq, record)
        if (agent.offeredInCycle !== cycle) this.markIfDead(agent)
      }
    }
    this.lastStats = { agentsConsidered: agents.length, agentsSkipped: skipped, offers: offers.length, filtersExpired: expired }
    return offers
  }

  get stats(): CycleStats {
    return this.lastStats
  }

  private stageOne(agent: AgentState, cq: CycleQuota, record: (a: AgentState, fw: string, role: string, r: Resources) => void): void {
    const agentFilters = agent.filterSlots
    this.roleSorter.forEachActive(role => {
      if (!cq.pending.has(role)) return cq.pending.size > 0
      if (agent.available.isEmpty()) return false
      const rs = this.roles.get(role)!
      let unsatisfied = this.unsatisfiedOf(role, cq)
      if (unsatisfied.isEmpty()) return true
      let avail = agent.available.allocatableTo(role)
      const slots = agentFilters?.get(role)
      if (avail.isEmpty() || !this.allocatable(avail) || this.roleBlocked(agent, role, rs, avail, slots)) return true
      let plan = this.stageOneOffer(role, avail, unsatisfied, cq)
      rs.sorter.forEachActive(fwId => {
        if (unsatisfied.isEmpty() || avail.isEmpty() || !plan) return false
        if (slots && isFilteredBy(slots.get(fwId), plan.toOffer)) return true
        const inc = plan.increase
        record(agent, fwId, role, plan.toOffer)
        unsatisfied = unsatisfied.minus(inc)
        this.addConsumed(cq, role, inc)
        cq.requiredHeadroom.subtractInPlace(plan.guaranteed)
        cq.availableHeadroom.subtractInPlace(inc)
        cq.surplusStale = true
        avail = agent.available.allocatableTo(role)
        plan = avail.isEmpty() || !this.allocatable(avail) || unsatisfied.isEmpty() ? undefined : this.stageOneOffer(role, avail, unsatisfied, cq)
        return true
      })
      return true
    })
  }

  /** Stage 1's offer for a role on an agent, or undefined when it would not help the guarantees. */
  private stageOneOffer(role: string, avail: Resources, unsatisfied: Quantities, cq: CycleQuota): { toOffer: Resources; increase: Quantities; guaranteed: Quantities } | undefined {
    const quotaRes = quotaScalars(avail)
    const limits = this.effectiveLimits(role, cq)
    let guaranteesOffering = shrinkToQuantities(quotaRes, unsatisfied)
    // A role's own guarantee is within its own limit; an ancestor's limit (nested quota, which
    // Mesos does not have) may still be tighter than a sub-role's guarantee.
    if (limits) guaranteesOffering = shrinkToLimits(guaranteesOffering, limits)
    if (guaranteesOffering.isEmpty()) return undefined
    const guaranteed = Quantities.ofScalars(guaranteesOffering)
    let additional = quotaRes.subtract(guaranteesOffering)
    if (limits) additional = shrinkToLimits(additional, limitsMinus(limits, guaranteed))
    if (!cq.requiredHeadroom.isEmpty() && !additional.isEmpty()) additional = shrinkToQuantities(additional, this.surplus(cq))
    const toOffer = guaranteesOffering.add(avail.filter(r => isReserved(r, role) || r.type !== 'SCALAR')).add(additional)
    if (!this.allocatable(toOffer)) return undefined
    return { toOffer, increase: Quantities.ofScalars(guaranteesOffering.add(additional)), guaranteed }
  }

  private stageTwo(agent: AgentState, cq: CycleQuota, record: (a: AgentState, fw: string, role: string, r: Resources) => void): void {
    // Without any unsatisfied guarantee anywhere the headroom is never read in this cycle, so
    // only roles under a quota need their consumption counted.
    const headroomMatters = !cq.requiredHeadroom.isEmpty()
    // Headroom caps every role alike: when what is left for it here cannot make an allocatable
    // offer, no role can be offered anything on this agent (reservations aside).
    if (headroomMatters && !agent.hasReservations && !this.mayBeAllocatable(agent.available, undefined, this.surplus(cq))) return
    // Likewise when every active role is held to its limits (and nothing here is reserved).
    if (!agent.hasReservations && cq.capped.size > 0 && cq.capped.size >= this.activeRoles.size) return
    const agentFilters = agent.filterSlots
    const mask = this.filterMask(agent)
    this.roleSorter.forEachActive(role => {
      if (agent.availableEmpty) return false
      const rs = this.roles.get(role)!
      let rc: RoleCycle | undefined
      if (this.quotas.size > 0) {
        if (rs.cycleQuota !== cq) {
          rs.cycleQuota = cq
          rs.roleCycle = this.roleCycle(role, cq)
        }
        rc = this.refreshRoleCycle(rs.roleCycle!, cq)
        if (!agent.hasReservations && rc.capped) return true
      }
      let avail = this.offerable(agent, role)
      if (!avail) return true
      // The role's filters here are looked up only when needed: most visits need none.
      let slots: ReadonlyMap<string, readonly OfferFilter[]> | undefined
      let slotsRead = false
      if (agent.filterCount >= rs.activeFrameworks) {
        slots = agentFilters?.get(role)
        slotsRead = true
        if (this.roleBlocked(agent, role, rs, avail, slots)) return true
      }
      const underQuota = this.quotaChain(role).length > 0
      let toOffer = this.stageTwoOffer(agent, role, avail, cq, rc)
      rs.sorter.forEachActive(fwId => {
        if (!toOffer) return false
        if ((mask & this.maskOf(fwId)) !== 0) {
          if (!slotsRead) {
            slots = agentFilters?.get(role)
            slotsRead = true
          }
          if (slots && isFilteredBy(slots.get(fwId), toOffer)) return true
        }
        record(agent, fwId, role, toOffer)
        if (underQuota || headroomMatters) {
          const inc = Quantities.ofScalars(quotaScalars(toOffer))
          if (underQuota) this.addConsumed(cq, role, inc)
          cq.availableHeadroom.subtractInPlace(inc)
          cq.surplusStale = true
        }
        avail = this.offerable(agent, role)
        toOffer = avail ? this.stageTwoOffer(agent, role, avail, cq, rc) : undefined
        return true
      })
      return true
    })
  }

  /**
   * Stage 2's offer for a role on an agent: its reservations and non-scalars, plus unreserved
   * scalars within limits and headroom. `avail` is already known to be allocatable.
   */
  private stageTwoOffer(agent: AgentState, role: string, avail: Resources, cq: CycleQuota, rc: RoleCycle | undefined): Resources | undefined {
    if (rc) rc = this.refreshRoleCycle(rc, cq)
    const limits = rc?.left
    const headroom = !cq.requiredHeadroom.isEmpty()
    if (!limits && !headroom) return avail
    const surplus = headroom ? this.surplus(cq) : undefined
    // Most offers fit within the limits and the surplus whole: then nothing is cut, and the
    // offer is `avail` itself (the same bag the cutting below would rebuild), at no allocation.
    this.cacheVectors(agent, avail)
    if (fitsWithin(agent.lastUnreservedV, rc?.leftV, headroom ? cq.surplusV : undefined)) return avail
    if (!this.mayBeAllocatable(avail, limits, surplus)) return undefined
    let additional = quotaScalars(avail)
    const fixed = additional.size === avail.size ? Resources.EMPTY : avail.filter(r => isReserved(r) || r.type !== 'SCALAR')
    if (limits) additional = shrinkToLimits(additional, limits)
    if (surplus && !additional.isEmpty()) additional = shrinkToQuantities(additional, surplus)
    const toOffer = fixed.isEmpty() ? additional : fixed.add(additional)
    return this.allocatable(toOffer) ? toOffer : undefined
  }

  // ---------------------------------------------------------------- quota bookkeeping

  private cycleQuota(): CycleQuota {
    const consumed = new Map<string, Quantities>()
    for (const role of this.quotas.keys()) consumed.set(role, this.consumedQuota(role))
    const requiredHeadroom = new Quantities()
    for (const [role, quota] of this.quotas) {
      if (quota.guarantees.isEmpty()) continue
      // A guarantee nested under another guarantee is part of it (Mesos sums top-level roles).
      if (roleAncestors(role).some(a => !(this.quotas.get(a)?.guarantees.isEmpty() ?? true))) continue
      requiredHeadroom.addInPlace(quota.guarantees.minus(consumed.get(role)!))
    }
    const pending = new Set<string>()
    for (const [role, quota] of this.quotas) {
      if (!quota.guarantees.isEmpty() && this.activeRoles.has(role) && !consumed.get(role)!.contains(quota.guarantees)) pending.add(role)
    }
    return {
      consumed,
      requiredHeadroom,
      availableHeadroom: this.total.index.toQuantities(this.unreservedAvailable),
      roles: new Map(),
      unsatisfied: new Map(),
      capped: new Set(),
      pending,
      surplus: new Quantities(),
      surplusV: [],
      surplusStale: true,
    }
  }

  /** Headroom beyond what unmet guarantees need (Mesos: availableHeadroom - requiredHeadroom). */
  private surplus(cq: CycleQuota): Quantities {
    if (cq.surplusStale) {
      cq.surplus = cq.availableHeadroom.minus(cq.requiredHeadroom)
      cq.surplusV = this.total.index.fromQuantities(cq.surplus)
      cq.surplusStale = false
    }
    return cq.surplus
  }

  private unsatisfiedOf(role: string, cq: CycleQuota): Quantities {
    const v = this.roleCycle(role, cq).version
    const cached = cq.unsatisfied.get(role)
    if (cached && cached.v === v) return cached.q
    const q = this.quotas.get(role)!.guarantees.minus(cq.consumed.get(role)!)
    cq.unsatisfied.set(role, { v, q })
    return q
  }

  /** The role itself and its ancestors, those that have a quota. */
  private quotaChain(role: string): string[] {
    if (this.quotas.size === 0) return NO_ROLES
    let chain = this.quotaChains.get(role)
    if (!chain) {
      chain = [role, ...roleAncestors(role)].filter(r => this.quotas.has(r))
      this.quotaChains.set(role, chain)
    }
    return chain
  }

  /**
   * A cheap upper bound: could an offer cut to `limits` and `surplus` from `avail` hold one of
   * the min-allocatable alternatives? Reservations count whole; unreserved scalars are capped.
   * False means the exact computation would find nothing allocatable too.
   */
  private mayBeAllocatable(avail: Resources, limits: ReadonlyMap<string, number> | undefined, surplus: Quantities | undefined): boolean {
    if (this.minAllocatable.length === 0) return !avail.isEmpty()
    for (const q of this.minAllocatable) {
      let ok = true
      q.forEach((need, name) => {
        if (!ok) return
        let reserved = 0
        let unreserved = 0
        for (const r of avail.items) {
          if (r.name !== name || r.type !== 'SCALAR') continue
          if (r.reservations.length > 0) reserved += r.milli
          else unreserved += r.milli
        }
        let cap = unreserved
        const lim = limits?.get(name)
        if (lim !== undefined && lim < cap) cap = lim
        if (surplus) {
          const sur = surplus.get(name)
          if (sur < cap) cap = sur
        }
        if (reserved + cap < need) ok = false
      })
      if (ok) return true
    }
    return false
  }

  /** Reservations plus unreserved allocations of the role and all its sub-roles. */
  private consumedQuota(role: string): Quantities {
    const out: ScalarVector = []
    const prefix = `${role}/`
    for (const rs of this.roles.values()) {
      if (rs.role === role || rs.role.startsWith(prefix)) {
        addInto(out, rs.reservedV)
        addInto(out, rs.unreservedAllocV)
      }
    }
    return this.total.index.toQuantities(out)
  }

  private addConsumed(cq: CycleQuota, role: string, inc: Quantities): void {
    if (inc.isEmpty()) return
    for (const r of this.quotaChain(role)) {
      const consumed = cq.consumed.get(r)!
      consumed.addInPlace(inc)
      this.roleCycle(r, cq).version++
      if (cq.pending.has(r) && consumed.contains(this.quotas.get(r)!.guarantees)) cq.pending.delete(r)
    }
  }

  /** What the role may still take under its own limits and its ancestors'; undefined when unlimited. */
  private effectiveLimits(role: string, cq: CycleQuota): ReadonlyMap<string, number> | undefined {
    if (this.quotas.size === 0) return undefined
    return this.roleCycle(role, cq).left
  }


  private roleCycle(role: string, cq: CycleQuota): RoleCycle {
    let rc = cq.roles.get(role)
    if (!rc) {
      rc = { role, chain: this.quotaChain(role), chainCycles: [], version: 0, key: -1, left: undefined, leftV: undefined, capped: false }
      cq.roles.set(role, rc)
      for (const r of rc.chain) rc.chainCycles.push(r === role ? rc : this.roleCycle(r, cq))
    }
    return this.refreshRoleCycle(rc, cq)
  }

  /** Recomputes what the role's limits leave when consumption in its chain changed. */
  private refreshRoleCycle(rc: RoleCycle, cq: CycleQuota): RoleCycle {
    const cycles = rc.chainCycles
    if (cycles.length === 0) return rc
    let key = 0
    for (let i = 0; i < cycles.length; i++) key += cycles[i]!.version
    if (key === rc.key) return rc
    rc.key = key
    let left: Map<string, number> | undefined
    for (const r of rc.chain) {
      const q = this.quotas.get(r)!
      if (q.limits.size === 0) continue
      const l = limitsMinus(q.limits, cq.consumed.get(r)!)
      left = left ? tighterLimits(left, l) : l
    }
    rc.left = left
    if (left) {
      const leftV: number[] = []
      for (const [name, milli] of left) {
        const i = this.total.index.id(name)
        while (leftV.length <= i) leftV.push(Infinity)
        leftV[i] = milli
      }
      rc.leftV = leftV
    } else rc.leftV = undefined
    rc.capped =
      left !== undefined &&
      this.minAllocatable.length > 0 &&
      this.minAllocatable.every(q => {
        let short = false
        q.forEach((need, name) => {
          const lim = left!.get(name)
          if (lim !== undefined && lim < need) short = true
        })
        return short
      })
    if (rc.capped) cq.capped.add(rc.role)
    return rc
  }

  // ---------------------------------------------------------------- fast paths

  private allocatable(res: Resources): boolean {
    if (res.isEmpty()) return false
    if (this.minAllocatable.length === 0) return true
    for (const q of this.minAllocatable) if (q.containedIn(res)) return true
    return false
  }

  /**
   * Every active framework of `role` has a filter on this agent holding all of `avail`: none of
   * them can be offered anything here. Cached until the agent or framework activity changes.
   */
  private roleBlocked(agent: AgentState, role: string, rs: RoleState, avail: Resources, slots: ReadonlyMap<string, readonly OfferFilter[]> | undefined): boolean {
    if (!slots || slots.size < rs.activeFrameworks) return false
    const cached = agent.blockCache.get(role)
    if (cached && cached.v === agent.version && cached.e === this.frameworkEpoch) return cached.blocked
    let count = 0
    for (const [fwId, list] of slots) {
      if (rs.sorter.isActive(fwId) && isFilteredBy(list, avail)) count++
    }
    const blocked = count >= rs.activeFrameworks
    agent.blockCache.set(role, { v: agent.version, e: this.frameworkEpoch, blocked })
    return blocked
  }

  /** A framework's bit for `AgentState.filterMask` (all bits for one the allocator does not know). */
  private maskOf(fwId: string): number {
    return this.frameworks.get(fwId)?.mask ?? ALL_FRAMEWORKS
  }

  private filterMask(agent: AgentState): number {
    if (agent.filterMaskStale) {
      let mask = 0
      for (const byFw of agent.filterSlots?.values() ?? []) for (const fwId of byFw.keys()) mask |= this.maskOf(fwId)
      agent.filterMask = mask
      agent.filterMaskStale = false
    }
    return agent.filterMask
  }

  /** What `role` may be offered on the agent, when that is allocatable. */
  private offerable(agent: AgentState, role: string): Resources | undefined {
    if (agent.availableEmpty) return undefined
    const avail = agent.hasReservations ? agent.available.allocatableTo(role) : agent.available
    if (avail !== agent.checked) {
      agent.checked = avail
      agent.checkedAllocatable = this.allocatable(avail)
    }
    return agent.checkedAllocatable ? avail : undefined
  }

  private setAvailable(agent: AgentState, available: Resources): void {
    agent.available = available
    agent.availableEmpty = available.isEmpty()
  }

  private isDead(agent: AgentState): boolean {
    return agent.deadVersion === agent.version && agent.deadEpoch === this.frameworkEpoch
  }

  /** Remembers that no active role can be offered anything on this agent (until it changes). */
  private markIfDead(agent: AgentState): void {
    const agentFilters = agent.filterSlots
    for (const role of this.activeRoles) {
      const avail = agent.available.allocatableTo(role)
      if (avail.isEmpty() || !this.allocatable(avail)) continue
      if (!this.roleBlocked(agent, role, this.roles.get(role)!, avail, agentFilters?.get(role))) return
    }
    agent.deadVersion = agent.version
    agent.deadEpoch = this.frameworkEpoch
  }

  // ---------------------------------------------------------------- tracking

  /** Counts `res` (`unallocated` allocated to `role`) as offered to `fwId` on `agent`. */
  private track(agent: AgentState, fwId: string, role: string, unallocated: Resources, res: Resources): void {
    this.setAvailable(agent, agent.available.subtract(unallocated))
    const prev = agent.allocated.get(fwId)
    agent.allocated.set(fwId, prev ? prev.add(res) : res)
    agent.version++
    const rs = this.ensureRole(role)
    this.cacheVectors(agent, unallocated)
    const v = agent.lastV
    const unreservedV = agent.lastUnreservedV
    if (!rs.sorter.contains(fwId)) {
      rs.sorter.add(fwId)
      const fw = this.frameworks.get(fwId)
      if (fw) this.refreshActivity(fw, role)
    }
    rs.sorter.allocated(fwId, v)
    this.roleSorter.allocated(role, v)
    addInto(rs.allocV, v)
    addInto(rs.unreservedAllocV, unreservedV)
    subtractInto(this.unreservedAvailable, unreservedV)
  }

  /** Gives `res` (allocated to roles) back from `fwId` to `agent`'s available resources. */
  private untrack(agent: AgentState, fwId: string, res: Resources): void {
    const left = agent.allocated.get(fwId)!.subtract(res)
    if (left.isEmpty()) agent.allocated.delete(fwId)
    else agent.allocated.set(fwId, left)
    agent.version++
    if (res === agent.lastAllocated) {
      this.untrackPart(agent, fwId, agent.lastRole, agent.lastOffered!)
      return
    }
    for (const [role, part] of res.allocations()) this.untrackPart(agent, fwId, role, part.unallocate())
  }

  private untrackPart(agent: AgentState, fwId: string, role: string, unallocated: Resources): void {
    this.setAvailable(agent, agent.available.add(unallocated))
    const rs = this.roles.get(role)!
    this.cacheVectors(agent, unallocated)
    const v = agent.lastV
    const unreservedV = agent.lastUnreservedV
    rs.sorter.unallocated(fwId, v)
    this.roleSorter.unallocated(role, v)
    subtractInto(rs.allocV, v)
    subtractInto(rs.unreservedAllocV, unreservedV)
    addInto(this.unreservedAvailable, unreservedV)
    if (!rs.subscribed.has(fwId) && !rs.sorter.hasAllocation(fwId)) rs.sorter.remove(fwId)
    this.maybeDropRole(rs)
  }

  private trackReservations(total: Resources, sign: 1 | -1): void {
    for (const [role, res] of reservedScalars(total).reservations()) {
      const rs = sign > 0 ? this.ensureRole(role) : this.roles.get(role)
      if (!rs) continue
      const v = this.total.index.vectorOf(res)
      if (sign > 0) addInto(rs.reservedV, v)
      else {
        subtractInto(rs.reservedV, v)
        this.maybeDropRole(rs)
      }
    }
  }

  private ensureRole(role: string): RoleState {
    let rs = this.roles.get(role)
    if (!rs) {
      rs = {
        role,
        sorter: new DrfSorter(this.total, false),
        subscribed: new Set(),
        activeFrameworks: 0,
        reservedV: [],
        unreservedAllocV: [],
        allocV: [],
        cycleQuota: undefined,
        roleCycle: undefined,
      }
      this.roles.set(role, rs)
      this.roleSorter.add(role)
    }
    return rs
  }

  private maybeDropRole(rs: RoleState): void {
    if (rs.subscribed.size > 0 || rs.sorter.size > 0 || !isZero(rs.allocV) || !isZero(rs.reservedV)) return
    this.roles.delete(rs.role)
    this.roleSorter.remove(rs.role)
    this.activeRoles.delete(rs.role)
  }

  private subscribe(fw: FrameworkState, role: string): void {
    fw.roles.add(role)
    const rs = this.ensureRole(role)
    rs.subscribed.add(fw.id)
    if (!rs.sorter.contains(fw.id)) rs.sorter.add(fw.id)
    this.refreshActivity(fw, role)
  }

  private unsubscribe(fw: FrameworkState, role: string): void {
    fw.roles.delete(role)
    const rs = this.roles.get(role)
    if (!rs) return
    this.setActivity(rs, fw.id, false)
    rs.subscribed.delete(fw.id)
    if (rs.sorter.contains(fw.id) && !rs.sorter.hasAllocation(fw.id)) rs.sorter.remove(fw.id)
    this.maybeDropRole(rs)
  }

  /** Puts the framework's sorter entry in `role` in line with its state (active, subscribed, not suppressed). */
  private refreshActivity(fw: FrameworkState, role: string): void {
    const rs = this.roles.get(role)
    if (!rs || !rs.sorter.contains(fw.id)) return
    this.setActivity(rs, fw.id, fw.active && fw.roles.has(role) && !fw.suppressed.has(role))
  }

  private setActivity(rs: RoleState, fwId: string, active: boolean): void {
    if (!rs.sorter.contains(fwId) || rs.sorter.isActive(fwId) === active) return
    if (active) {
      rs.sorter.activate(fwId)
      rs.activeFrameworks++
    } else {
      rs.sorter.deactivate(fwId)
      rs.activeFrameworks--
    }
    if (rs.activeFrameworks > 0) {
      this.activeRoles.add(rs.role)
      this.roleSorter.activate(rs.role)
    } else {
      this.activeRoles.delete(rs.role)
      this.roleSorter.deactivate(rs.role)
    }
  }

  /** Sets `agent.lastV` and `agent.lastUnreservedV` to the scalar vectors of `res` (cached: see lastOffered). */
  private cacheVectors(agent: AgentState, res: Resources): void {
    if (agent.vectorsOf === res) return
    const v = this.total.index.vectorOf(res)
    agent.vectorsOf = res
    agent.lastV = v
    agent.lastUnreservedV = hasReservedScalar(res) ? this.unreservedVector(res) : v
  }

  private unreservedVector(res: Resources): ScalarVector {
    return this.total.index.vectorOf(res, isUnreservedScalar)
  }

  private requireFramework(id: string): FrameworkState {
    const fw = this.frameworks.get(id)
    if (!fw) throw new AllocatorError(`unknown framework '${id}'`)
    return fw
  }

  private requireAgent(id: string): AgentState {
    const a = this.agents.get(id)
    if (!a) throw new AllocatorError(`unknown agent '${id}'`)
    return a
  }

  // ---------------------------------------------------------------- inspection

  agentIds(): string[] {
    return [...this.agents.keys()]
  }

  frameworkIds(): string[] {
    return [...this.frameworks.keys()]
  }

  agent(id: string): AgentView | undefined {
    const a = this.agents.get(id)
    if (!a) return undefined
    return { id, total: a.total, available: a.available, allocated: new Map(a.allocated), active: a.active }
  }

  framework(id: string): FrameworkView | undefined {
    const fw = this.frameworks.get(id)
    if (!fw) return undefined
    return {
      id,
      roles: [...fw.roles],
      suppressedRoles: [...fw.suppressed],
      active: fw.active,
      allocated: this.allocationsOf(id),
    }
  }

  /** What a framework holds, by agent (a walk over all agents: for inspection, not hot paths). */
  allocationsOf(frameworkId: string): Map<string, Resources> {
    const out = new Map<string, Resources>()
    for (const a of this.agents.values()) {
      const held = a.allocated.get(frameworkId)
      if (held) out.set(a.id, held)
    }
    return out
  }

  /** Known roles: those with frameworks, allocations or reservations. */
  roleNames(): string[] {
    return [...this.roles.keys()]
  }

  role(role: string): RoleView {
    const sum: ScalarVector = []
    const prefix = `${role}/`
    for (const rs of this.roles.values()) if (rs.role === role || rs.role.startsWith(prefix)) addInto(sum, rs.allocV)
    const allocated = this.total.index.toQuantities(sum)
    return {
      role,
      weight: this.weights.get(role) ?? 1,
      quota: this.quotas.get(role) ?? NO_QUOTA,
      allocated,
      consumedQuota: this.consumedQuota(role),
      frameworks: [...(this.roles.get(role)?.subscribed ?? [])],
    }
  }

  /** Roles with active frameworks, in the order the next cycle would visit them. */
  sortedRoles(): string[] {
    return this.roleSorter.sort()
  }

  /** Active frameworks of a role, in DRF order. */
  sortedFrameworks(role: string): string[] {
    return this.roles.get(role)?.sorter.sort() ?? []
  }

  /** The weighted dominant share of a role (its whole subtree). */
  roleShare(role: string): number {
    return this.roleSorter.shareOf(role)
  }

  frameworkShare(frameworkId: string, role: string): number {
    return this.roles.get(role)?.sorter.shareOf(frameworkId) ?? 0
  }

  /** Live filters of a framework (optionally in one role). */
  filtersOf(frameworkId: string, role?: string): readonly OfferFilter[] {
    return this.filters.ofFramework(frameworkId, role)
  }

  get filterCount(): number {
    return this.filters.size
  }
}

const NO_ROLES: string[] = []
const NO_VECTOR: ScalarVector = []
const ALL_FRAMEWORKS = (1 << 30) - 1

function isUnreservedScalar(r: { type: string; reservations: readonly unknown[] }): boolean {
  return r.type === 'SCALAR' && r.reservations.length === 0
}

function hasReservedScalar(res: Resources): boolean {
  for (const r of res.items) if (r.type === 'SCALAR' && r.reservations.length > 0) return true
  return false
}

/** Every amount of `v` is within `limits` (absent: unlimited) and within `surplus` (absent: zero), when given. */
function fitsWithin(v: readonly number[], limits: readonly number[] | undefined, surplus: readonly number[] | undefined): boolean {
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!
    if (x === 0) continue
    if (limits && i < limits.length && x > limits[i]!) return false
    if (surplus && (i >= surplus.length || x > surplus[i]!)) return false
  }
  return true
}

function isFilteredBy(list: readonly OfferFilter[] | undefined, res: Resources): boolean {
  if (!list) return false
  for (const f of list) if (f.resources.contains(res)) return true
  return false
}

function checkRole(role: string): void {
  if (!isValidRole(role)) throw new AllocatorError(roleError(role) ?? `invalid role '${role}'`)
}
