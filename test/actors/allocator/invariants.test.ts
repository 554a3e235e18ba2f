import t from 'tap'
import fc from 'fast-check'
import { HierarchicalAllocator, type Offer } from '../../../actors/allocator/index.js'
import { Quantities, Resources, isAllocatableTo, isUnreserved, parseMinAllocatable } from '../../../actors/resources/index.js'
import { R } from './helpers.js'

// Random operation sequences against one allocator, with invariants checked after every step:
//  - per agent, available + everything allocated on it == total, and no two frameworks hold
//    the same resources (the sum of what they hold fits in the total);
//  - an offer is made only of what was available, to an active framework subscribed (and not
//    suppressed) in the offer's role, on an active agent, never of something its filters hold;
//  - reserved resources go only to their role (or its sub-roles);
//  - a role's consumed quota never rises above its limit because of an allocation;
//  - every offer is allocatable (min allocatable resources).

const ROLES = ['*', 'a', 'b', 'a/x', 'a/y', 'c']
const AGENT_SHAPES = [
  'cpus:4;mem:4096;disk:1000;ports:[1000-1099]',
  'cpus:8;mem:16384;gpus:1;ports:[2000-2049]',
  'cpus:2;mem:1024;cpus(a):2;mem(a):512',
  'cpus:1;mem:512;cpus(a/x):1;zones:{z1,z2}',
  'cpus:16;mem:2048;disk(b):500',
  'cpus:0.5;mem:64',
]

type Op =
  | { op: 'addAgent'; shape: number }
  | { op: 'removeAgent'; pick: number }
  | { op: 'toggleAgent'; pick: number }
  | { op: 'addFramework'; roles: string[]; suppressed: number }
  | { op: 'removeFramework'; pick: number }
  | { op: 'toggleFramework'; pick: number }
  | { op: 'suppress'; pick: number; role: number }
  | { op: 'revive'; pick: number }
  | { op: 'allocate'; advance: number }
  | { op: 'respond'; declineFraction: number; refuse: number; keepPart: boolean }
  | { op: 'finishTasks'; fraction: number }
  | { op: 'quota'; role: number; guarantee: number; limit: number }
  | { op: 'weight'; role: number; weight: number }

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('addAgent' as const), shape: fc.nat(AGENT_SHAPES.length - 1) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('removeAgent' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('toggleAgent' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('addFramework' as const), roles: fc.uniqueArray(fc.constantFrom(...ROLES), { minLength: 1, maxLength: 3 }), suppressed: fc.nat(3) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('removeFramework' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('toggleFramework' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('suppress' as const), pick: fc.nat(), role: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('revive' as const), pick: fc.nat() }) },
  { weight: 5, arbitrary: fc.record({ op: fc.constant('allocate' as const), advance: fc.constantFrom(0, 500, 1000, 3000, 7000) }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('respond' as const), declineFraction: fc.double({ min: 0, max: 1, noNaN: true }), refuse: fc.constantFrom(0, 1, 5, 60), keepPart: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('finishTasks' as const), fraction: fc.double({ min: 0, max: 1, noNaN: true }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('quota' as const), role: fc.nat(ROLES.length - 2), guarantee: fc.nat(6), limit: fc.integer({ min: 0, max: 20 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('weight' as const), role: fc.nat(ROLES.length - 1), weight: fc.constantFrom(0.5, 1, 2, 3) }) },
)

function check(cond: boolean, what: string): void {
  if (!cond) throw new Error(`invariant broken: ${what}`)
}

/** Returns how many offers were made, so the test can tell it did not pass vacuously. */
function run(seed: number, ops: Op[]): number {
  let offersMade = 0
  const min = parseMinAllocatable('cpus:0.01|mem:32')
  const a = new HierarchicalAllocator({ seed, minAllocatableResources: min })
  let now = 0
  let agentSeq = 0
  let fwSeq = 0
  const agents: string[] = []
  const frameworks: string[] = []
  const agentActive = new Map<string, boolean>()
  let outstanding: Offer[] = []
  /** Resources a framework kept as running tasks: (framework, agent, resources). */
  let tasks: Array<{ fw: string; agent: string; res: Resources }> = []
  const pick = <T>(xs: T[], i: number): T | undefined => (xs.length === 0 ? undefined : xs[i % xs.length])

  const checkAgents = (): void => {
    for (const id of agents) {
      const v = a.agent(id)!
      let used = Resources.EMPTY
      for (const res of v.allocated.values()) used = used.add(res.unallocate())
      check(v.total.contains(used), `${id}: what frameworks hold fits in the total`)
      check(v.available.add(used).equals(v.total), `${id}: available + allocated == total`)
    }
  }

  for (const op of ops) {
    switch (op.op) {
      case 'addAgent': {
        const id = `agent-${agentSeq++}`
        a.addAgent(id, R(AGENT_SHAPES[op.shape]!))
        agents.push(id)
        agentActive.set(id, true)
        break
      }
      case 'removeAgent': {
        const id = pick(agents, op.pick)
        if (!id) break
        a.removeAgent(id)
        agents.splice(agents.indexOf(id), 1)
        agentActive.delete(id)
        tasks = tasks.filter(x => x.agent !== id)
        break
      }
      case 'toggleAgent': {
        const id = pick(agents, op.pick)
        if (!id) break
        if (agentActive.get(id)) a.deactivateAgent(id)
        else a.activateAgent(id)
        agentActive.set(id, !agentActive.get(id))
        break
      }
      case 'addFramework': {
        const id = `fw-${fwSeq++}`
        a.addFramework(id, { roles: op.roles, suppressedRoles: op.roles.slice(0, op.suppressed % 2 === 0 ? 0 : 1) })
        frameworks.push(id)
        break
      }
      case 'removeFramework': {
        const id = pick(frameworks, op.pick)
        if (!id) break
        a.removeFramework(id)
        frameworks.splice(frameworks.indexOf(id), 1)
        tasks = tasks.filter(x => x.fw !== id)
        outstanding = outstanding.filter(o => o.frameworkId !== id)
        break
      }
      case 'toggleFramework': {
        const id = pick(frameworks, op.pick)
        if (!id) break
        if (a.framework(id)!.active) a.deactivateFramework(id)
        else a.activateFramework(id)
        break
      }
      case 'suppress': {
        const id = pick(frameworks, op.pick)
        if (!id) break
        const roles = a.framework(id)!.roles
        a.suppressOffers(id, [roles[op.role % roles.length]!])
        break
      }
      case 'revive': {
        const id = pick(frameworks, op.pick)
        if (id) a.reviveOffers(id)
        break
      }
      case 'quota': {
        const role = ROLES[op.role + 1]!
        const limit = Math.max(op.limit, op.guarantee)
        a.updateQuota(role, { guarantees: op.guarantee ? Quantities.parse(`cpus:${op.guarantee}`) : undefined, limits: Quantities.parse(`cpus:${limit}`) })
        break
      }
      case 'weight':
        a.updateWeights([{ role: ROLES[op.role]!, weight: op.weight }])
        break
      case 'allocate': {
        now += op.advance
        // Expected state before the cycle, to judge each offer.
        const before = new Map(agents.map(id => [id, a.agent(id)!.available]))
        const consumedBefore = new Map(ROLES.slice(1).map(r => [r, a.role(r).consumedQuota]))
        const liveFilters = new Map<string, Resources[]>()
        for (const fw of frameworks) {
          for (const f of a.filtersOf(fw)) {
            if (f.expiresAt <= now) continue
            const k = `${fw}|${f.role}|${f.agentId}`
            liveFilters.set(k, [...(liveFilters.get(k) ?? []), f.resources])
          }
        }
        const offers = a.allocate(now)
        const offeredOn = new Map<string, Resources>()
        for (const o of offers) {
          const fw = a.framework(o.frameworkId)
          check(fw !== undefined && fw.active, `${o.frameworkId} is an active framework`)
          check(fw!.roles.includes(o.role) && !fw!.suppressedRoles.includes(o.role), `${o.frameworkId} is subscribed and not suppressed in ${o.role}`)
          check(agentActive.get(o.agentId) === true, `${o.agentId} is active`)
          check(o.resources.items.every(r => r.allocationRole === o.role), 'offer is allocated to its role')
          check(o.resources.items.every(r => isAllocatableTo(r, o.role)), `reserved resources only go to their role (${o.role})`)
          check(min.some(q => q.containedIn(o.resources)), 'offer is allocatable')
          const plain = o.resources.unallocate()
          check(!(liveFilters.get(`${o.frameworkId}|${o.role}|${o.agentId}`) ?? []).some(f => f.contains(plain)), 'a filter holding the offer stops it')
          offeredOn.set(o.agentId, (offeredOn.get(o.agentId) ?? Resources.EMPTY).add(plain))
        }
        for (const [agent, res] of offeredOn) check(before.get(agent)!.contains(res), `${agent}: offers come out of what was available, each once`)
        for (const role of ROLES.slice(1)) {
          const view = a.role(role)
          const limit = view.quota.limits.get('cpus')
          if (limit === undefined) continue
          const nowConsumed = view.consumedQuota.get('cpus')
          check(nowConsumed <= Math.max(limit, consumedBefore.get(role)!.get('cpus')), `${role}: consumed cpus ${nowConsumed} within limit ${limit}`)
        }
        // Limits of ancestors bind sub-roles too.
        const parent = a.role('a')
        const pl = parent.quota.limits.get('cpus')
        if (pl !== undefined) check(parent.consumedQuota.get('cpus') <= Math.max(pl, consumedBefore.get('a')!.get('cpus')), 'a/* within the limit of a')
        outstanding.push(...offers)
        offersMade += offers.length
        break
      }
      case 'respond': {
        const keep: Offer[] = []
        outstanding.forEach((o, i) => {
          if (!a.agent(o.agentId)) return
          const decline = (i + 1) / outstanding.length <= op.declineFraction
          if (decline) {
            a.recoverResources(o.frameworkId, o.agentId, o.resources, op.refuse === 0 ? undefined : { refuseSeconds: op.refuse }, now)
          } else if (op.keepPart) {
            // Launch a task on the unreserved cpus (if any) and decline the rest.
            const cpu = o.resources.filter(r => r.name === 'cpus' && isUnreserved(r))
            const rest = o.resources.subtract(cpu)
            if (!cpu.isEmpty()) tasks.push({ fw: o.frameworkId, agent: o.agentId, res: cpu })
            a.recoverResources(o.frameworkId, o.agentId, rest, { refuseSeconds: op.refuse }, now)
          } else {
            tasks.push({ fw: o.frameworkId, agent: o.agentId, res: o.resources })
          }
        })
        outstanding = keep
        break
      }
      case 'finishTasks': {
        const n = Math.floor(tasks.length * op.fraction)
        for (const task of tasks.splice(0, n)) {
          if (a.agent(task.agent)) a.recoverResources(task.fw, task.agent, task.res, undefined, now)
        }
        break
      }
    }
    checkAgents()
  }
  return offersMade
}

t.test('invariants hold over random operation sequences', async t => {
  let offers = 0
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.array(opArb, { minLength: 20, maxLength: 120, size: 'max' }), (seed, ops) => {
      offers += run(seed, ops)
    }),
    { numRuns: 300 },
  )
  t.ok(offers > 1000, `the sequences made ${offers} offers`)
})

t.test('the checks can fail: a double offer is caught', async t => {
  const a = new HierarchicalAllocator({ seed: 1 })
  a.addAgent('h', R('cpus:2;mem:1024'))
  a.addFramework('A', { roles: ['*'] })
  const [o] = a.allocate(0)
  t.throws(() => a.recoverResources('A', 'h', o!.resources.add(o!.resources), undefined, 0), /does not hold/)
  const v = a.agent('h')!
  t.notOk(v.available.add(o!.resources.unallocate()).add(o!.resources.unallocate()).equals(v.total), 'the invariant is a real comparison')
})
