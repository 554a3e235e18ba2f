import t from 'tap'
import { createActor } from 'xstate'
import { AllocatorOpQueue, allocatorMachine, type AllocatorOp, type Offer } from '../../../actors/allocator/index.js'
import { SimClock } from '../../../runtime/clock.js'
import { silentLogger } from '../../../runtime/logger.js'
import { MetricsRegistry } from '../../../runtime/metrics.js'
import type { ActorPort } from '../../../runtime/port.js'
import { Quantities } from '../../../actors/resources/index.js'
import { R } from './helpers.js'

function harness(intervalMs = 1000, queued?: AllocatorOpQueue) {
  const clock = new SimClock(0)
  const metrics = new MetricsRegistry()
  const sent: unknown[] = []
  const port: ActorPort = {
    self: 'allocator@test',
    clock,
    log: silentLogger(),
    metrics,
    send: (to, type, body) => void sent.push({ to, type, body }),
    request: () => Promise.reject(new Error('the allocator makes no requests')),
    reply: () => undefined,
    now: () => clock.now(),
    link: () => undefined,
    unlink: () => undefined,
  }
  const cycles: Array<{ at: number; offers: Offer[] }> = []
  const actor = createActor(allocatorMachine, {
    input: { port, onOffers: offers => cycles.push({ at: clock.now(), offers }), options: { seed: 7, allocationIntervalMs: intervalMs }, queued },
    clock,
  })
  actor.start()
  return { clock, metrics, actor, cycles, sent }
}

t.test('events that add resources trigger one batched cycle at once', async t => {
  const { clock, metrics, actor, cycles } = harness()
  actor.send({ type: 'AddFramework', frameworkId: 'A', roles: ['*'] })
  actor.send({ type: 'AddAgent', agentId: 'a1', total: R('cpus:2;mem:1024') })
  actor.send({ type: 'AddAgent', agentId: 'a2', total: R('cpus:2;mem:1024') })
  t.equal(cycles.length, 0, 'nothing before the batch runs')
  clock.advance(0)
  t.equal(cycles.length, 1, 'three events, one cycle')
  t.equal(cycles[0]!.at, 0)
  t.equal(cycles[0]!.offers.length, 2)
  const snap = metrics.snapshot()
  t.equal(snap['allocator/allocation_runs'], 1)
  t.equal(snap['allocator/event_queue_dispatches'], 3)
  t.equal(snap['allocator/allocation_run_ms/count'], 1)
  t.ok('allocator/allocation_run_ms/p50' in snap && 'allocator/allocation_run_ms/p99' in snap && 'allocator/allocation_run_ms/latest' in snap)
  actor.stop()
})

t.test('a cycle runs every allocation interval on the injected clock', async t => {
  const { clock, metrics, actor, cycles } = harness(1000)
  actor.send({ type: 'AddFramework', frameworkId: 'A', roles: ['*'] })
  clock.advance(0)
  const runs = (): number => metrics.snapshot()['allocator/allocation_runs'] ?? 0
  const base = runs()
  clock.advance(999)
  t.equal(runs(), base, 'not before the interval')
  clock.advance(1)
  t.equal(runs(), base + 1)
  clock.advance(3000)
  t.equal(runs(), base + 4)
  t.equal(cycles.length, 0, 'no agents, no offers, onOffers is not called')
  actor.stop()
})

t.test('declines with a filter: others get the resources; at expiry the framework is offered again', async t => {
  const { clock, actor, cycles } = harness(1000)
  actor.send({ type: 'AddFramework', frameworkId: 'A', roles: ['*'] })
  actor.send({ type: 'AddFramework', frameworkId: 'B', roles: ['*'] })
  actor.send({ type: 'AddAgent', agentId: 'a1', total: R('cpus:2;mem:1024') })
  clock.advance(0)
  const first = cycles.at(-1)!.offers
  t.same(first.map(o => o.frameworkId), ['A'])
  actor.send({ type: 'RecoverResources', frameworkId: 'A', agentId: 'a1', resources: first[0]!.resources, filters: { refuseSeconds: 3 } })
  clock.advance(0)
  const second = cycles.at(-1)!
  t.equal(second.at, 0, 'recovered resources are offered at once, not at the next interval')
  t.same(second.offers.map(o => o.frameworkId), ['B'])
  actor.send({ type: 'RemoveFramework', frameworkId: 'B' })
  clock.advance(2999)
  t.equal(cycles.length, 2, 'A is still filtered')
  clock.advance(1)
  t.equal(cycles.length, 3)
  t.same(cycles.at(-1)!.offers.map(o => o.frameworkId), ['A'])
  t.equal(cycles.at(-1)!.at, 3000)
  actor.stop()
})

t.test('revive triggers a cycle; pause stops cycles until resume', async t => {
  const { clock, actor, cycles, metrics } = harness(1000)
  actor.send({ type: 'AddFramework', frameworkId: 'A', roles: ['*'], active: true })
  actor.send({ type: 'SuppressOffers', frameworkId: 'A' })
  actor.send({ type: 'AddAgent', agentId: 'a1', total: R('cpus:2;mem:1024') })
  clock.advance(5000)
  t.equal(cycles.length, 0, 'suppressed')
  actor.send({ type: 'Pause' })
  actor.send({ type: 'ReviveOffers', frameworkId: 'A' })
  const runs = metrics.snapshot()['allocator/allocation_runs']
  clock.advance(5000)
  t.equal(metrics.snapshot()['allocator/allocation_runs'], runs, 'paused: no cycles')
  t.equal(cycles.length, 0)
  actor.send({ type: 'Resume' })
  clock.advance(1000)
  t.equal(cycles.length, 1)
  actor.send({ type: 'RecoverResources', frameworkId: 'A', agentId: 'a1', resources: cycles[0]!.offers[0]!.resources })
  actor.send({ type: 'SuppressOffers', frameworkId: 'A' })
  clock.advance(0)
  t.equal(cycles.length, 1)
  actor.send({ type: 'ReviveOffers', frameworkId: 'A' })
  clock.advance(0)
  t.equal(cycles.length, 2, 'revive allocates at once')
  actor.stop()
})

t.test('a stale event is counted and ignored; the actor keeps allocating', async t => {
  const { clock, actor, cycles, metrics } = harness(1000)
  actor.send({ type: 'RemoveFramework', frameworkId: 'ghost' })
  actor.send({ type: 'AddFramework', frameworkId: 'A', roles: ['*'] })
  actor.send({ type: 'AddFramework', frameworkId: 'A', roles: ['*'] })
  actor.send({ type: 'AddAgent', agentId: 'a1', total: R('cpus:2;mem:1024') })
  clock.advance(0)
  t.equal(metrics.snapshot()['allocator/invalid_events'], 2)
  t.equal(cycles.length, 1)
  t.equal(actor.getSnapshot().status, 'active')
  actor.stop()
})

t.test('quota and weights arrive as events', async t => {
  const { clock, actor, cycles } = harness(1000)
  actor.send({ type: 'UpdateWeights', weights: [{ role: 'h', weight: 2 }] })
  actor.send({ type: 'AddFramework', frameworkId: 'H', roles: ['h'] })
  actor.send({ type: 'AddFramework', frameworkId: 'L', roles: ['l'] })
  for (let i = 0; i < 9; i++) actor.send({ type: 'AddAgent', agentId: `a${i}`, total: R('cpus:1;mem:128') })
  clock.advance(0)
  const by = (fw: string): number => cycles[0]!.offers.filter(o => o.frameworkId === fw).length
  t.equal(by('H'), 6)
  t.equal(by('L'), 3)
  for (const o of cycles[0]!.offers) actor.send({ type: 'RecoverResources', frameworkId: o.frameworkId, agentId: o.agentId, resources: o.resources })
  actor.send({ type: 'UpdateQuota', role: 'l', limits: Quantities.parse('cpus:2') })
  clock.advance(0)
  const next = cycles[1]!.offers
  const cpus = (fw: string): number => next.filter(o => o.frameworkId === fw).reduce((n, o) => n + o.resources.scalarMilli('cpus'), 0)
  t.equal(cpus('L'), 2000, 'the limit holds L to 2 cpus (it still gets memory-only offers)')
  t.equal(cpus('H'), 7000)
  actor.stop()
})

/** Each step's ops (made from the offers so far) are sent, then the clock moves on by `thenMs`. */
interface Step {
  ops: (offered: Offer[]) => AllocatorOp[]
  thenMs: number
}

function scenario(): Step[] {
  const offerOf = (offered: Offer[], agentId: string): Offer => offered.find(o => o.agentId === agentId)!
  return [
    {
      ops: () => [
        { type: 'RemoveFramework', frameworkId: 'ghost' },
        { type: 'AddFramework', frameworkId: 'A', roles: ['*'] },
        { type: 'AddFramework', frameworkId: 'A', roles: ['*'] },
        { type: 'AddFramework', frameworkId: 'B', roles: ['*'] },
        { type: 'AddAgent', agentId: 'a1', total: R('cpus:2;mem:1024') },
        { type: 'AddAgent', agentId: 'a2', total: R('cpus:4;mem:2048') },
      ],
      thenMs: 0,
    },
    // No trigger in this batch: nothing is offered before the interval.
    { ops: () => [{ type: 'DeactivateAgent', agentId: 'a2' }, { type: 'SuppressOffers', frameworkId: 'B' }], thenMs: 500 },
    {
      ops: offered => [
        { type: 'RecoverResources', frameworkId: 'A', agentId: 'a1', resources: offerOf(offered, 'a1').resources, filters: { refuseSeconds: 2 } },
        { type: 'RemoveAgent', agentId: 'ghost' },
        { type: 'ReviveOffers', frameworkId: 'B' },
      ],
      thenMs: 0,
    },
    {
      ops: offered => [
        { type: 'RecoverResources', frameworkId: 'B', agentId: 'a2', resources: offerOf(offered, 'a2').resources },
        { type: 'ActivateAgent', agentId: 'a2' },
        { type: 'AddAgent', agentId: 'a3', total: R('cpus:1;mem:512') },
      ],
      thenMs: 3000,
    },
  ]
}

/** The metrics both runs must agree on (durations differ from run to run). */
function countedMetrics(metrics: MetricsRegistry): Record<string, number> {
  return Object.fromEntries(Object.entries(metrics.snapshot()).filter(([k]) => !k.startsWith('allocator/allocation_run_ms')))
}

t.test('an Ops batch is handled like the same events sent one by one: offers, cycles, metrics', async t => {
  const oneByOne = harness(1000)
  const batched = harness(1000)
  for (const step of scenario()) {
    const ops = step.ops(oneByOne.cycles.flatMap(c => c.offers))
    for (const op of ops) oneByOne.actor.send(op)
    batched.actor.send({ type: 'Ops', ops })
    oneByOne.clock.advance(step.thenMs)
    batched.clock.advance(step.thenMs)
    t.same(batched.cycles, oneByOne.cycles, `the same cycles after ${ops.map(o => o.type).join(', ')}`)
  }
  const summary = batched.cycles.map(c => ({ at: c.at, offers: c.offers.map(o => `${o.frameworkId}:${o.agentId}`) }))
  t.same(
    summary,
    [
      { at: 0, offers: ['A:a1', 'B:a2'] },
      { at: 500, offers: ['B:a1'] },
      { at: 500, offers: ['A:a2', 'B:a3'] },
    ],
    'each batch with a trigger allocates at once; the one without waits',
  )
  t.same(countedMetrics(batched.metrics), countedMetrics(oneByOne.metrics))
  t.equal(batched.metrics.snapshot()['allocator/invalid_events'], 3, 'invalid ops are counted and skipped, the rest of their batch applies')
  t.equal(batched.actor.getSnapshot().status, 'active')
  oneByOne.actor.stop()
  batched.actor.stop()
})

t.test('while paused an Ops batch applies and no cycle runs; after resume the next cycle sees it', async t => {
  const { clock, actor, cycles, metrics } = harness(1000)
  actor.send({ type: 'Pause' })
  actor.send({
    type: 'Ops',
    ops: [
      { type: 'AddFramework', frameworkId: 'A', roles: ['*'] },
      { type: 'AddAgent', agentId: 'a1', total: R('cpus:2;mem:1024') },
      { type: 'RemoveAgent', agentId: 'ghost' },
    ],
  })
  clock.advance(5000)
  t.equal(metrics.snapshot()['allocator/allocation_runs'] ?? 0, 0, 'paused: no cycles')
  t.equal(metrics.snapshot()['allocator/invalid_events'], 1, 'applied while paused')
  actor.send({ type: 'Resume' })
  clock.advance(1000)
  t.equal(cycles.length, 1)
  t.same(cycles[0]!.offers.map(o => o.agentId), ['a1'])
  actor.send({ type: 'Ops', ops: [] })
  clock.advance(0)
  t.equal(cycles.length, 1, 'an empty batch triggers nothing')
  actor.stop()
})

t.test('ops still queued by the sender are applied before a cycle, in order, once', async t => {
  const queued = new AllocatorOpQueue()
  const { clock, actor, cycles, metrics } = harness(1000, queued)
  queued.push({ type: 'AddFramework', frameworkId: 'A', roles: ['*'] })
  queued.push({ type: 'AddAgent', agentId: 'a1', total: R('cpus:2;mem:1024') })
  queued.push({ type: 'DeactivateAgent', agentId: 'a1' })
  queued.push({ type: 'AddAgent', agentId: 'a2', total: R('cpus:1;mem:512') })
  clock.advance(1000)
  t.equal(queued.size, 0, 'the interval cycle took them')
  t.same(cycles.map(c => c.offers.map(o => o.agentId)), [['a2']], 'applied in order: a1 was deactivated after it was added')
  t.equal(metrics.snapshot()['allocator/event_queue_dispatches'], 4)
  clock.advance(1000)
  t.equal(metrics.snapshot()['allocator/invalid_events'] ?? 0, 0, 'not applied twice')
  actor.stop()
})
