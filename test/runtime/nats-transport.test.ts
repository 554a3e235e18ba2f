import t from 'tap'
import { connect } from '@nats-io/transport-node'
import { NatsTransport, Runtime, EnvelopeCodec, subjectOf } from '../../runtime/index.js'
import { transportConformance } from './support/transport-conformance.js'
import { natsServerFor, natsSkipReason, eventually } from './support/nats-fixture.js'
import { recorderMachine, TestMessages, type RecorderContext } from './support/machines.js'

t.test('NATS transport conformance', { skip: natsSkipReason }, async t => {
  const server = await natsServerFor(t)
  transportConformance(t, async () => {
    const a = await NatsTransport.connect({ servers: server.url, name: 'conf-a' })
    const b = await NatsTransport.connect({ servers: server.url, name: 'conf-b' })
    return {
      a,
      b,
      // A flush is a PING/PONG round trip: once each side has flushed after the other, the
      // server has every publish and each side has dispatched everything sent to it.
      settle: async () => {
        await a.flush().catch(() => {})
        await b.flush()
        await a.flush().catch(() => {})
        await b.flush()
      },
      cleanup: async () => {
        await a.close()
        await b.close()
      },
    }
  })
})

t.test('coalesced frames arrive as separate envelopes; a corrupt frame is dropped, not fatal', { skip: natsSkipReason }, async t => {
  const server = await natsServerFor(t)
  const transport = await NatsTransport.connect({ servers: server.url })
  const rt = new Runtime({ transport, node: 'n1' })
  rt.registerMessages(TestMessages)
  t.teardown(() => rt.close())
  const target = rt.spawn(recorderMachine, { name: 'target' })
  const counts = (target.getSnapshot().context as RecorderContext).counts
  for (let i = 0; i < 5000; i++) rt.send('sender@n1', target.pid, 'Tick', { seq: i })
  await rt.flush()
  await eventually(() => counts.ticks === 5000, '5000 ticks')

  const rogue = await connect({ servers: server.url })
  t.teardown(() => rogue.close())
  const subject = subjectOf('mesos', target.pid)
  const codec = new EnvelopeCodec()
  rogue.publish(subject, new Uint8Array([0xc1, 0, 0, 0, 99, 1, 2]))
  rogue.publish(subject, new Uint8Array([1, 2, 3]))
  rogue.publish(subject, codec.encode({ type: 'Bogus', from: 'rogue@x', to: target.pid, body: {} }))
  rogue.publish(subject, codec.encode({ type: 'Tick', from: 'rogue@x', to: target.pid, body: { seq: 'x' } }))
  await rogue.flush()
  await eventually(() => (rt.metrics.snapshot()['runtime/messages_dropped'] ?? 0) === 4, 'four drops')
  const reply = await rt.request(target.pid, 'Echo', { text: 'alive' })
  t.same(reply.body, { text: 'ALIVE' })
  t.equal(counts.ticks, 5000)
})

t.test('a message over the server max_payload is refused by name and counted; the sender goes on', { skip: natsSkipReason }, async t => {
  const server = await natsServerFor(t)
  const transport = await NatsTransport.connect({ servers: server.url })
  const rt = new Runtime({ transport, node: 'n1' })
  rt.registerMessages(TestMessages)
  t.teardown(() => rt.close())
  // The target lives in another runtime: messages to an actor of the same runtime skip the bus.
  const other = new Runtime({ transport: await NatsTransport.connect({ servers: server.url }), node: 'n2' })
  other.registerMessages(TestMessages)
  t.teardown(() => other.close())
  const target = other.spawn(recorderMachine, { name: 'target' })
  await other.flush()
  t.throws(() => transport.publish('x', new Uint8Array(2 * 1024 * 1024)), { code: 'TRANSPORT', message: /exceeds the NATS server's max_payload of 1048576 bytes/ })
  rt.send('a@n1', target.pid, 'Echo', { text: 'x'.repeat(2 * 1024 * 1024) })
  t.equal(rt.metrics.snapshot()['runtime/messages_unsendable'], 1)
  // Many medium messages to one subject are split into frames under the limit.
  for (let i = 0; i < 12; i++) rt.send('a@n1', target.pid, 'Tick', { seq: i, pad: 'y'.repeat(200_000) } as never)
  const reply = await rt.request(target.pid, 'Echo', { text: 'ok' })
  t.same(reply.body, { text: 'OK' })
  t.equal((target.getSnapshot().context as RecorderContext).counts.ticks, 12)
})
