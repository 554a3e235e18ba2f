import t from 'tap'
import { SimClock, SimNetwork } from '../../runtime/index.js'
import { transportConformance } from './support/transport-conformance.js'

transportConformance(t, async () => {
  const clock = new SimClock()
  const net = new SimNetwork({ seed: 1, clock })
  return {
    a: net.endpoint('a'),
    b: net.endpoint('b'),
    settle: async () => {
      clock.runUntilIdle()
    },
    cleanup: async () => {},
  }
})

function scenario(seed: number): string {
  const clock = new SimClock()
  const net = new SimNetwork({ seed, clock, trace: true, minDelayMs: 1, maxDelayMs: 20 })
  const endpoints = ['n1', 'n2', 'n3'].map(n => net.endpoint(n))
  endpoints.forEach((e, i) => e.subscribe(`mesos.pid.p.n${i + 1}`, () => {}))
  net.setDuplicateRate(0.05)
  net.setDropRate(0.05)
  for (let i = 0; i < 300; i++) {
    const from = i % 3
    const to = (i * 7 + 1) % 3
    endpoints[from]!.publish(`mesos.pid.p.n${to + 1}`, new Uint8Array([i & 0xff, i >> 8]), `mesos.pid.p.n${from + 1}`)
    if (i % 10 === 0) clock.advance(3)
  }
  clock.runUntilIdle()
  return net.trace()
}

t.test('the same seed gives the same trace byte for byte; another seed differs', async t => {
  const first = scenario(1234)
  t.equal(scenario(1234), first)
  t.not(scenario(1235), first)
  t.ok(first.split('\n').length > 300, 'trace records every delivery and fault')
})

t.test('partitions cut both directions, by pid or by node, and heal', async t => {
  const clock = new SimClock()
  const net = new SimNetwork({ seed: 9, clock })
  const a = net.endpoint('a')
  const b = net.endpoint('b')
  const got: string[] = []
  a.subscribe('mesos.pid.x.h1', () => got.push('to-a'))
  b.subscribe('mesos.pid.y.h2', () => got.push('to-b'))
  net.partition(['x@h1'], ['@h2'])
  a.publish('mesos.pid.y.h2', new Uint8Array(1), 'mesos.pid.x.h1')
  b.publish('mesos.pid.x.h1', new Uint8Array(1), 'mesos.pid.y.h2')
  clock.runUntilIdle()
  t.same(got, [])
  t.equal(net.stats.partitioned, 2)
  // A message in flight when the partition starts is cut too.
  net.heal()
  a.publish('mesos.pid.y.h2', new Uint8Array(1), 'mesos.pid.x.h1')
  net.partition(['@h1'], ['@h2'])
  clock.runUntilIdle()
  t.same(got, [])
  net.heal()
  a.publish('mesos.pid.y.h2', new Uint8Array(1), 'mesos.pid.x.h1')
  b.publish('mesos.pid.x.h1', new Uint8Array(1), 'mesos.pid.y.h2')
  clock.runUntilIdle()
  t.same(got.sort(), ['to-a', 'to-b'])
})

t.test('drop, duplicate and delay controls', async t => {
  const clock = new SimClock()
  const net = new SimNetwork({ seed: 5, clock })
  const a = net.endpoint('a')
  let n = 0
  a.subscribe('s', () => n++)
  net.setDropRate(1)
  a.publish('s', new Uint8Array(1))
  clock.runUntilIdle()
  t.equal(n, 0)
  net.setDropRate(0)
  net.setDuplicateRate(1)
  a.publish('s', new Uint8Array(1))
  clock.runUntilIdle()
  t.equal(n, 2)
  net.setDuplicateRate(0)
  net.setDelay(100, 100)
  a.publish('s', new Uint8Array(1))
  clock.advance(99)
  t.equal(n, 2)
  clock.advance(1)
  t.equal(n, 3)
})

t.test('a crashed endpoint vanishes silently; disconnect reports status', async t => {
  const clock = new SimClock()
  const net = new SimNetwork({ seed: 5, clock })
  const a = net.endpoint('a')
  const b = net.endpoint('b')
  let n = 0
  b.subscribe('s', () => n++)
  const statuses: string[] = []
  b.onStatus(s => statuses.push(s))
  b.crash()
  a.publish('s', new Uint8Array(1))
  clock.runUntilIdle()
  t.equal(n, 0)
  t.equal(net.stats.noSubscriber, 1)
  a.disconnect()
  a.reconnect()
  t.same(statuses, [])
  const c = net.endpoint('c')
  const cs: string[] = []
  c.onStatus(s => cs.push(s))
  c.disconnect()
  c.reconnect()
  t.same(cs, ['disconnected', 'reconnected'])
})
