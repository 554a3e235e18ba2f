import t from 'tap'
import { createActor } from 'xstate'
import { allocatorMachine, type Offer } from '../../../actors/allocator/index.js'
import { SimClock } from '../../../runtime/clock.js'
import { silentLogger } from '../../../runtime/logger.js'
import { MetricsRegistry } from '../../../runtime/metrics.js'
import type { ActorPort } from '../../../runtime/port.js'
import { Quantities } from '../../../actors/resources/index.js'
import { R } from './helpers.js'

function harness(intervalMs = 1000) {
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
    input: { port, onOffers: offers => cycles.push({ at: clock.now(), offers }), options: { seed: 7, allocationIntervalMs: intervalMs } },
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
