import t from 'tap'
import { LocalBus, LocalTransport } from '../../runtime/index.js'
import { transportConformance } from './support/transport-conformance.js'

// Two runtimes in one process: two LocalTransports on one LocalBus.
transportConformance(t, async () => {
  const bus = new LocalBus()
  const a = new LocalTransport(bus)
  const b = new LocalTransport(bus)
  return {
    a,
    b,
    settle: () => bus.flush(),
    cleanup: async () => {
      await a.close()
      await b.close()
    },
  }
})

t.test('a long burst is drained in batches without starving the event loop', async t => {
  const transport = new LocalTransport()
  t.teardown(() => transport.close())
  let n = 0
  transport.subscribe('burst', () => n++)
  for (let i = 0; i < 120_000; i++) transport.publish('burst', new Uint8Array(1))
  let immediateRan = false
  setImmediate(() => (immediateRan = true))
  await transport.flush()
  t.equal(n, 120_000)
  t.ok(immediateRan)
})

t.test('closing one connection leaves the others on the bus working', async t => {
  const bus = new LocalBus()
  const a = new LocalTransport(bus)
  const b = new LocalTransport(bus)
  t.teardown(() => b.close())
  let toA = 0
  let toB = 0
  a.subscribe('x', () => toA++)
  b.subscribe('y', () => toB++)
  await a.close()
  b.publish('x', new Uint8Array(1))
  b.publish('y', new Uint8Array(1))
  await bus.flush()
  t.equal(toA, 0)
  t.equal(toB, 1)
  t.throws(() => a.subscribe('z', () => {}), { code: 'CLOSED' })
})
