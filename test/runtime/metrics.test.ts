import t from 'tap'
import { MetricsRegistry, Prng, fingerprint, RateLimitedLog } from '../../runtime/index.js'

t.test('counters, gauges and timers snapshot with flat Mesos-style keys', async t => {
  const m = new MetricsRegistry()
  m.counter('runtime/messages_received').inc()
  m.counter('runtime/messages_received').inc(2)
  let depth = 7
  m.gauge('runtime/mailbox_depth', () => depth)
  m.gauge('master/elected').set(1)
  const timer = m.timer('allocator/allocation_run_ms')
  for (let i = 1; i <= 100; i++) timer.record(i)
  depth = 9
  const snap = m.snapshot()
  t.equal(snap['runtime/messages_received'], 3)
  t.equal(snap['runtime/mailbox_depth'], 9)
  t.equal(snap['master/elected'], 1)
  t.equal(snap['allocator/allocation_run_ms/count'], 100)
  t.equal(snap['allocator/allocation_run_ms/latest'], 100)
  t.equal(snap['allocator/allocation_run_ms/p50'], 50)
  t.equal(snap['allocator/allocation_run_ms/p99'], 99)
  t.equal(snap['allocator/allocation_run_ms/max'], 100)
})

t.test('timer memory is bounded: percentiles cover the recent window', async t => {
  const m = new MetricsRegistry()
  const timer = m.timer('x')
  for (let i = 0; i < 5000; i++) timer.record(i < 4000 ? 1000 : 1)
  t.equal(timer.percentile(99), 1)
  t.equal(timer.count, 5000)
})

t.test('Prng is reproducible per seed', async t => {
  const a = new Prng(42)
  const b = new Prng(42)
  const c = new Prng(43)
  const seqA = Array.from({ length: 20 }, () => a.next())
  t.same(seqA, Array.from({ length: 20 }, () => b.next()))
  t.notSame(seqA, Array.from({ length: 20 }, () => c.next()))
  for (const x of seqA) t.ok(x >= 0 && x < 1)
  const p = new Prng(1)
  for (let i = 0; i < 100; i++) {
    const v = p.int(3, 5)
    t.ok(v >= 3 && v <= 5 && Number.isInteger(v))
  }
  t.equal(fingerprint(new Uint8Array([1, 2, 3])), fingerprint(new Uint8Array([1, 2, 3])))
  t.not(fingerprint(new Uint8Array([1, 2, 3])), fingerprint(new Uint8Array([1, 2, 4])))
})

t.test('RateLimitedLog admits a burst per window, then counts what it suppressed', async t => {
  let now = 0
  const limiter = new RateLimitedLog(() => now, 3, 1000)
  const admitted = Array.from({ length: 10 }, () => limiter.admit('bad'))
  t.same(admitted, [0, 0, 0, undefined, undefined, undefined, undefined, undefined, undefined, undefined])
  t.equal(limiter.admit('other'), 0, 'keys are limited separately')
  now = 1000
  t.equal(limiter.admit('bad'), 7, 'the first line of the next window reports the suppressed count')
})
