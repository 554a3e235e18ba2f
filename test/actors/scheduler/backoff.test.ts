import t from 'tap'
import { subscribeRetry } from '../../../actors/scheduler/index.js'

const settings = { factorMs: 2000, maxMs: 60_000 }

t.test('the bound doubles from the factor and stops at the max', async t => {
  let bound = settings.factorMs
  const bounds: number[] = []
  for (let i = 0; i < 8; i++) {
    const plan = subscribeRetry(bound, settings, () => 0.5)
    t.equal(plan.delayMs, Math.min(bound, 60_000) / 2, 'the delay is the random fraction of the bound')
    bounds.push(Math.min(bound, 60_000))
    bound = plan.nextBoundMs
  }
  t.same(bounds, [2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000])
})

t.test('a tenth of failover_timeout caps the bound', async t => {
  const plan = subscribeRetry(32_000, { ...settings, failoverTimeoutMs: 50_000 }, () => 0.999)
  t.ok(plan.delayMs <= 5000)
  t.equal(plan.nextBoundMs, 10_000)
  t.equal(subscribeRetry(32_000, { ...settings, failoverTimeoutMs: 0 }, () => 0.5).delayMs, 16_000, 'a zero failover timeout is no cap')
})

t.test('never less than a millisecond, whatever the random source says', async t => {
  t.equal(subscribeRetry(2000, settings, () => 0).delayMs, 1)
  t.equal(subscribeRetry(2000, settings, () => -3).delayMs, 1)
  t.equal(subscribeRetry(2000, settings, () => 7).delayMs, 2000)
})
