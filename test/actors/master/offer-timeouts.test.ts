import t from 'tap'
import { SimClock } from '../../../runtime/index.js'
import { OfferTimeouts } from '../../../actors/master/offer-timeouts.js'
import { MasterWorld } from './support/harness.js'

t.test('an offer nobody answers is rescinded after --offer_timeout and offered again', async t => {
  const w = new MasterWorld({ offerTimeoutMs: 10_000 })
  const agent = w.registerAgent('agent', 'h1', 'cpus:4;mem:4096')
  const f = w.subscribe('sched', 'f1')
  w.settle(1100)
  // The scheduler never hears of it (a lost Offers message looks the same to the master).
  const offerId = f.last('Offers')!.body.offers[0].id.value
  t.ok(w.core.offers.has(offerId))
  w.settle(8_000)
  t.equal(f.got('Rescind').length, 0, 'not before its time')
  w.settle(2_000)
  t.same(f.got('Rescind').map(m => m.body.offer_id.value), [offerId], 'rescinded once its time is up')
  t.notOk(w.core.offers.has(offerId))
  t.equal(w.core.agents.get(agent.id)!.offers.has(offerId), false)
  t.equal(w.masterRt.metrics.snapshot()['master/offers_timed_out'], 1)
  w.settle(1_100)
  const again = f.last('Offers')!.body.offers[0]
  t.not(again.id.value, offerId, 'the resources are offered again')
})

t.test('an answered offer does not time out; without the option nothing does', async t => {
  const w = new MasterWorld({ offerTimeoutMs: 10_000 })
  w.registerAgent('agent', 'h1', 'cpus:4;mem:4096')
  const f = w.subscribe('sched', 'f1')
  w.settle(1100)
  const offer = f.last('Offers')!.body.offers[0]
  f.send('Decline', { framework_id: { value: f.id() }, offer_ids: [offer.id], filters: { refuse_seconds: 3600 } })
  w.settle(30_000)
  t.equal(f.got('Rescind').length, 0, 'a declined offer has no timer left')
  t.equal(w.masterRt.metrics.snapshot()['master/offers_timed_out'] ?? 0, 0)

  const m = new MasterWorld()
  m.registerAgent('agent', 'h1')
  const g = m.subscribe('sched', 'f1')
  m.settle(1100)
  const held = g.last('Offers')!.body.offers[0].id.value
  m.settle(3_600_000)
  t.equal(g.got('Rescind').length, 0, "Mesos's default: offers never time out")
  t.ok(m.core.offers.has(held))
})

t.test('a bad offer timeout is refused with a message naming it', async t => {
  const clock = new SimClock()
  t.throws(() => new OfferTimeouts(clock, 0, () => undefined), { name: 'RangeError', message: /offer timeout must be a positive number of milliseconds, got 0/ })
  t.throws(() => new OfferTimeouts(clock, Number.NaN, () => undefined), { message: /got NaN/ })
})
