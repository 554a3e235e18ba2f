import t from 'tap'
import { AllocatorError, HierarchicalAllocator } from '../../../actors/allocator/index.js'
import { Quantities, formatResources, isAllocatableTo } from '../../../actors/resources/index.js'
import { R, declineAll, held, offersBy } from './helpers.js'

t.test("the DRF paper's example settles at A: 3 tasks, B: 2 tasks", async t => {
  // Ghodsi et al., "Dominant Resource Fairness", section 4: 9 CPUs, 18 GB; A's tasks need
  // <1 CPU, 4 GB>, B's <3 CPUs, 1 GB>. Each framework launches one task per offer and declines the rest.
  const a = new HierarchicalAllocator({ seed: 3 })
  a.addAgent('host', R('cpus:9;mem:18432'))
  a.addFramework('A', { roles: ['*'] })
  a.addFramework('B', { roles: ['*'] })
  const task: Record<string, string> = { A: 'cpus:1;mem:4096', B: 'cpus:3;mem:1024' }
  const tasks: Record<string, number> = { A: 0, B: 0 }
  const order: string[] = []
  for (let cycle = 0; cycle < 12; cycle++) {
    const now = cycle * 1000
    for (const o of a.allocate(now)) {
      const need = R(task[o.frameworkId]!).allocate(o.role)
      let decline = o.resources
      if (o.resources.contains(need)) {
        tasks[o.frameworkId]!++
        order.push(o.frameworkId)
        decline = o.resources.subtract(need)
      }
      a.recoverResources(o.frameworkId, o.agentId, decline, { refuseSeconds: 0 }, now)
    }
  }
  t.same(tasks, { A: 3, B: 2 })
  t.same(order, ['A', 'B', 'A', 'B', 'A'], 'each offer goes to the framework with the lower dominant share')
  t.equal(a.frameworkShare('A', '*'), 2 / 3)
  t.equal(a.frameworkShare('B', '*'), 2 / 3)
  t.equal(formatResources(a.agent('host')!.available), 'mem:4096')
})

t.test('a role of weight 2 gets twice the dominant share', async t => {
  const a = new HierarchicalAllocator({ seed: 1 })
  for (let i = 0; i < 30; i++) a.addAgent(`agent-${i}`, R('cpus:1;mem:1024'))
  a.updateWeights([{ role: 'heavy', weight: 2 }])
  a.addFramework('h', { roles: ['heavy'] })
  a.addFramework('l', { roles: ['light'] })
  const offers = a.allocate(0)
  t.same(offersBy(offers), { h: 20, l: 10 })
  t.equal(a.role('heavy').weight, 2)
  t.equal(a.roleShare('heavy'), a.roleShare('light'), 'weighted shares end equal')
})

t.test('hierarchical roles: siblings share their parent', async t => {
  const a = new HierarchicalAllocator({ seed: 1 })
  for (let i = 0; i < 40; i++) a.addAgent(`agent-${i}`, R('cpus:1;mem:1024'))
  a.addFramework('fe', { roles: ['eng/frontend'] })
  a.addFramework('be', { roles: ['eng/backend'] })
  a.addFramework('ops', { roles: ['ops'] })
  const offers = a.allocate(0)
  t.same(offersBy(offers), { fe: 10, be: 10, ops: 20 }, 'eng as a whole gets what ops gets')
  t.equal(a.role('eng').allocated.get('cpus'), 20_000)
  t.equal(a.role('eng/frontend').allocated.get('cpus'), 10_000)

  // A framework in `eng` itself competes with eng's sub-roles (Mesos's virtual leaf `eng/.`).
  const b = new HierarchicalAllocator({ seed: 1 })
  for (let i = 0; i < 30; i++) b.addAgent(`agent-${i}`, R('cpus:1;mem:1024'))
  b.addFramework('fe', { roles: ['eng/frontend'] })
  b.addFramework('eng', { roles: ['eng'] })
  b.addFramework('be', { roles: ['eng/backend'] })
  t.same(offersBy(b.allocate(0)), { fe: 10, eng: 10, be: 10 })
  t.same(b.sortedRoles().sort(), ['eng', 'eng/backend', 'eng/frontend'])
})

t.test('a weight on a parent role applies to its whole subtree', async t => {
  const a = new HierarchicalAllocator({ seed: 1 })
  for (let i = 0; i < 30; i++) a.addAgent(`agent-${i}`, R('cpus:1;mem:1024'))
  a.updateWeights([{ role: 'eng', weight: 2 }])
  a.addFramework('fe', { roles: ['eng/frontend'] })
  a.addFramework('be', { roles: ['eng/backend'] })
  a.addFramework('ops', { roles: ['ops'] })
  t.same(offersBy(a.allocate(0)), { fe: 10, be: 10, ops: 10 })
})

t.test('quota guarantees are met first, from stage 1', async t => {
  const a = new HierarchicalAllocator({ seed: 5 })
  for (let i = 0; i < 10; i++) a.addAgent(`agent-${i}`, R('cpus:4;mem:4096'))
  // `aaa` sorts first and is greedy, but `q` is guaranteed 10 cpus.
  a.addFramework('aaa', { roles: ['aaa'] })
  a.addFramework('q', { roles: ['q'] })
  a.updateQuota('q', { guarantees: Quantities.parse('cpus:10') })
  a.allocate(0)
  t.ok(held(a, 'q', 'cpus') >= 10, `q holds ${held(a, 'q', 'cpus')} cpus`)
  t.equal(held(a, 'q', 'cpus') + held(a, 'aaa', 'cpus'), 40)
})

t.test('headroom for unmet guarantees is held back from non-quota roles', async t => {
  const a = new HierarchicalAllocator({ seed: 5 })
  for (let i = 0; i < 10; i++) a.addAgent(`agent-${i}`, R('cpus:4;mem:4096'))
  a.updateQuota('q', { guarantees: Quantities.parse('cpus:10') })
  a.addFramework('greedy', { roles: ['other'] })
  for (let c = 0; c < 3; c++) a.allocate(c * 1000)
  t.equal(held(a, 'greedy', 'cpus'), 30, '10 cpus stay unallocated for q')
  t.equal(a.allocate(3000).length, 0)
  a.addFramework('q1', { roles: ['q'] })
  const offers = a.allocate(4000)
  t.same(offersBy(offers), { q1: offers.length })
  t.equal(held(a, 'q1', 'cpus'), 10)
})

t.test('quota limits are never exceeded', async t => {
  const a = new HierarchicalAllocator({ seed: 2 })
  for (let i = 0; i < 4; i++) a.addAgent(`agent-${i}`, R('cpus:4;mem:4096;ports:[1-10]'))
  a.updateQuota('capped', { limits: Quantities.parse('cpus:6') })
  a.addFramework('c', { roles: ['capped'] })
  for (let c = 0; c < 5; c++) a.allocate(c * 1000)
  t.equal(held(a, 'c', 'cpus'), 6)
  t.equal(held(a, 'c', 'mem'), 16384, 'unlimited resources are not capped')
  t.equal(a.role('capped').consumedQuota.get('cpus'), 6000)
  // A limit also caps sub-roles.
  const b = new HierarchicalAllocator({ seed: 2 })
  for (let i = 0; i < 4; i++) b.addAgent(`agent-${i}`, R('cpus:4;mem:4096'))
  b.updateQuota('team', { limits: Quantities.parse('cpus:5') })
  b.addFramework('x', { roles: ['team/x'] })
  b.addFramework('y', { roles: ['team/y'] })
  for (let c = 0; c < 3; c++) b.allocate(c * 1000)
  t.equal(held(b, 'x', 'cpus') + held(b, 'y', 'cpus'), 5)
  t.throws(() => b.updateQuota('z', { guarantees: Quantities.parse('cpus:2'), limits: Quantities.parse('cpus:1') }), AllocatorError)
})

t.test('declined resources are filtered for refuse_seconds, then offered again', async t => {
  const a = new HierarchicalAllocator({ seed: 1 })
  a.addAgent('host', R('cpus:4;mem:4096'))
  a.addFramework('A', { roles: ['*'] })
  a.addFramework('B', { roles: ['*'] })
  let offers = a.allocate(0)
  t.same(offersBy(offers), { A: 1 })
  declineAll(a, offers, 0, 3)
  t.equal(a.filtersOf('A').length, 1)
  const seen: string[] = []
  for (let now = 1000; now <= 4000; now += 1000) {
    offers = a.allocate(now)
    seen.push(...offers.map(o => o.frameworkId))
    declineAll(a, offers, now) // B declines with no filter
  }
  t.same(seen, ['B', 'B', 'A', 'A'], 'A is back once 3 s have passed')
  t.equal(a.filtersOf('A').length, 0, 'the filter expired')
})

t.test('the default filter is 5 s and lives at least one allocation interval', async t => {
  const a = new HierarchicalAllocator({ seed: 1, allocationIntervalMs: 2000 })
  a.addAgent('host', R('cpus:4;mem:4096'))
  a.addFramework('A', { roles: ['*'] })
  let offers = a.allocate(0)
  a.recoverResources('A', 'host', offers[0]!.resources, {}, 0)
  t.equal(a.filtersOf('A')[0]!.expiresAt, 5000)
  t.equal(a.allocate(4999).length, 0)
  offers = a.allocate(5000)
  t.equal(offers.length, 1)
  a.recoverResources('A', 'host', offers[0]!.resources, { refuseSeconds: 0.5 }, 5000)
  t.equal(a.filtersOf('A')[0]!.expiresAt, 7000, 'max(refuse_seconds, allocation interval), as Mesos (MESOS-4302)')
  t.equal(a.allocate(6000).length, 0)
  offers = a.allocate(7000)
  a.recoverResources('A', 'host', offers[0]!.resources, { refuseSeconds: 0 }, 7000)
  t.equal(a.filtersOf('A').length, 0, 'refuse_seconds 0 installs no filter')
  offers = a.allocate(8000)
  a.recoverResources('A', 'host', offers[0]!.resources, { refuseSeconds: -3 }, 8000)
  t.equal(a.filtersOf('A')[0]!.expiresAt, 13000, 'negative means the default')
})

t.test('a filter holds only what was refused: more resources break through', async t => {
  const a = new HierarchicalAllocator({ seed: 1 })
  a.addAgent('host', R('cpus:4;mem:4096'))
  a.addFramework('A', { roles: ['*'] })
  const [offer] = a.allocate(0)
  const task = R('cpus:1;mem:1024').allocate('*')
  a.recoverResources('A', 'host', offer!.resources.subtract(task), { refuseSeconds: 60 }, 0)
  t.equal(a.allocate(1000).length, 0, 'the rest is filtered')
  a.recoverResources('A', 'host', task, undefined, 1500) // the task finished
  const again = a.allocate(2000)
  t.equal(again.length, 1, 'the whole agent is more than the filter holds')
  t.equal(formatResources(again[0]!.resources), 'cpus(allocated: *):4;mem(allocated: *):4096')
})

t.test('suppress and revive', async t => {
  const a = new HierarchicalAllocator({ seed: 1 })
  a.addAgent('host', R('cpus:4;mem:4096'))
  a.addFramework('A', { roles: ['*'] })
  a.suppressOffers('A')
  t.equal(a.allocate(0).length, 0)
  t.same(a.framework('A')!.suppressedRoles, ['*'])
  a.reviveOffers('A')
  const offers = a.allocate(1000)
  t.equal(offers.length, 1)
  declineAll(a, offers, 1000, 3600)
  t.equal(a.allocate(2000).length, 0, 'filtered')
  a.reviveOffers('A')
  t.equal(a.filtersOf('A').length, 0, 'revive clears filters')
  t.equal(a.allocate(3000).length, 1)
  // Suppressed at subscription.
  const b = new HierarchicalAllocator({ seed: 1 })
  b.addAgent('host', R('cpus:4;mem:4096'))
  b.addFramework('S', { roles: ['x', 'y'], suppressedRoles: ['x'] })
  t.same(b.allocate(0).map(o => o.role), ['y'])
})

t.test('reserved resources go only to their role and its sub-roles', async t => {
  const a = new HierarchicalAllocator({ seed: 1 })
  a.addAgent('host', R('cpus(prod):2;mem(prod):1024;cpus:2;mem:1024'))
  a.addFramework('dev', { roles: ['dev'] })
  let offers = a.allocate(0)
  t.equal(offers.length, 1)
  t.equal(formatResources(offers[0]!.resources), 'cpus(allocated: dev):2;mem(allocated: dev):1024')
  t.equal(a.allocate(1000).length, 0, 'the prod reservation is not offered to dev')
  a.addFramework('web', { roles: ['prod/web'] })
  offers = a.allocate(2000)
  t.equal(offers.length, 1)
  t.equal(offers[0]!.role, 'prod/web')
  t.ok(offers[0]!.resources.items.every(r => isAllocatableTo(r, 'prod/web') && r.reservations[0]?.role === 'prod'))
  t.same(a.role('prod').consumedQuota.toJSON(), { cpus: 2, mem: 1024 }, 'reservations count as consumed quota')
})

t.test('multi-role frameworks are offered per role, and suppressed per role', async t => {
  const a = new HierarchicalAllocator({ seed: 4 })
  for (let i = 0; i < 4; i++) a.addAgent(`agent-${i}`, R('cpus:2;mem:2048'))
  a.addAgent('r', R('cpus(b):1;mem(b):512'))
  a.addFramework('M', { roles: ['a', 'b'] })
  const offers = a.allocate(0)
  const roles = offers.map(o => o.role)
  t.ok(roles.includes('a') && roles.includes('b'))
  t.ok(offers.filter(o => o.agentId === 'r').every(o => o.role === 'b'))
  t.ok(offers.every(o => o.resources.items.every(r => r.allocationRole === o.role)))
  declineAll(a, offers, 0)
  a.suppressOffers('M', ['b'])
  const next = a.allocate(1000)
  t.ok(next.length > 0 && next.every(o => o.role === 'a'))
  t.notOk(next.some(o => o.agentId === 'r'))
})

t.test('an agent or a framework removed mid-way', async t => {
  const a = new HierarchicalAllocator({ seed: 9 })
  for (let i = 0; i < 3; i++) a.addAgent(`agent-${i}`, R('cpus:2;mem:2048'))
  a.addFramework('A', { roles: ['*'] })
  a.addFramework('B', { roles: ['*'] })
  const offers = a.allocate(0)
  t.equal(offers.length, 3)
  a.removeAgent('agent-1')
  t.notOk(a.agentIds().includes('agent-1'))
  t.notOk([...a.allocationsOf('A').keys(), ...a.allocationsOf('B').keys()].includes('agent-1'))
  // A late decline of an offer on the removed agent is ignored.
  for (const o of offers) a.recoverResources(o.frameworkId, o.agentId, o.resources, undefined, 0)
  const holder = a.allocate(1000)
  t.equal(holder.length, 2)
  t.ok(holder.every(o => o.agentId !== 'agent-1'))
  const owner = holder[0]!.frameworkId
  a.removeFramework(owner)
  t.notOk(a.frameworkIds().includes(owner))
  const after = a.allocate(2000)
  t.ok(after.some(o => o.agentId === holder[0]!.agentId), 'what the removed framework held goes to the other')
  t.ok(after.every(o => o.frameworkId !== owner))
  t.throws(() => a.removeFramework(owner), AllocatorError)
  t.throws(() => a.addAgent('agent-0', R('cpus:1')), AllocatorError)
})

t.test('deactivated frameworks and agents get nothing; reactivation brings them back', async t => {
  const a = new HierarchicalAllocator({ seed: 1 })
  a.addAgent('host', R('cpus:2;mem:2048'))
  a.addFramework('A', { roles: ['*'], active: false })
  t.equal(a.allocate(0).length, 0)
  a.activateFramework('A')
  declineAll(a, a.allocate(1000), 1000, 100)
  a.deactivateFramework('A')
  t.equal(a.filtersOf('A').length, 0, 'deactivation clears filters (Mesos)')
  a.activateFramework('A')
  a.deactivateAgent('host')
  t.equal(a.allocate(2000).length, 0)
  a.activateAgent('host')
  t.equal(a.allocate(3000).length, 1)
})

t.test('agents with used resources, updateAgent and min allocatable', async t => {
  const a = new HierarchicalAllocator({ seed: 1 })
  a.addFramework('A', { roles: ['web'] })
  a.addAgent('host', R('cpus:4;mem:4096'), new Map([['A', R('cpus:3.995;mem:4096').allocate('web')]]))
  t.equal(a.allocate(0).length, 0, 'cpus:0.005 is below cpus:0.01|mem:32')
  t.equal(a.role('web').allocated.get('cpus'), 3995)
  a.updateAgent('host', R('cpus:8;mem:8192'))
  const offers = a.allocate(1000)
  t.equal(formatResources(offers[0]!.resources), 'cpus(allocated: web):4.005;mem(allocated: web):4096')
  t.throws(() => a.updateAgent('host', R('cpus:1')), AllocatorError, 'cannot shrink below what is allocated')
  const none = new HierarchicalAllocator({ minAllocatableResources: [] })
  none.addAgent('h', R('cpus:0.001'))
  none.addFramework('A', { roles: ['*'] })
  t.equal(none.allocate(0).length, 1)
})

t.test('updateFramework changes roles and suppression', async t => {
  const a = new HierarchicalAllocator({ seed: 1 })
  a.addAgent('host', R('cpus:2;mem:2048'))
  a.addFramework('A', { roles: ['x'] })
  const offers = a.allocate(0)
  t.equal(offers[0]!.role, 'x')
  a.updateFramework('A', { roles: ['y'] })
  t.same(a.framework('A')!.roles, ['y'])
  t.equal(a.role('x').allocated.get('cpus'), 2000, 'what it holds in x stays tracked')
  declineAll(a, offers, 0)
  t.same(a.roleNames(), ['y'], 'x is forgotten once nothing is left in it')
  t.equal(a.allocate(1000)[0]!.role, 'y')
})
