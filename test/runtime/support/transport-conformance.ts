// One conformance suite, run against every Transport (local, sim, nats): the runtime relies on
// exactly these properties and nothing more.
import type { Test } from 'tap'
import type { Transport } from '../../../runtime/index.js'

export interface TransportPair {
  /** Two transports as two processes would hold them (local: the same in-process bus). */
  a: Transport
  b: Transport
  /** Resolves once everything published so far has been delivered. */
  settle(): Promise<void>
  cleanup(): Promise<void>
}

const bytesOf = (...xs: number[]): Uint8Array => new Uint8Array(xs)

export function transportConformance(t: Test, makePair: () => Promise<TransportPair>): void {
  const withPair = (name: string, fn: (t: Test, p: TransportPair) => Promise<void>): void => {
    t.test(name, async t => {
      const pair = await makePair()
      t.teardown(() => pair.cleanup())
      await fn(t, pair)
    })
  }

  withPair('delivers the published bytes intact', async (t, { a, b, settle }) => {
    const got: Uint8Array[] = []
    b.subscribe('conf.one', bytes => got.push(Uint8Array.from(bytes)))
    await settle()
    const payload = bytesOf(0x94, 1, 2, 3, 0xc0, 0xff, 0)
    a.publish('conf.one', payload, 'conf.sender')
    await settle()
    t.equal(got.length, 1)
    t.same(Array.from(got[0]!), Array.from(payload))
  })

  withPair('delivery is asynchronous to the publisher', async (t, { a, b, settle }) => {
    let delivered = false
    b.subscribe('conf.async', () => (delivered = true))
    await settle()
    a.publish('conf.async', bytesOf(1))
    t.equal(delivered, false, 'not delivered inside publish()')
    await settle()
    t.equal(delivered, true)
  })

  withPair('keeps per-publisher order to one subject, and separates subjects', async (t, { a, b, settle }) => {
    const x: number[] = []
    const y: number[] = []
    b.subscribe('conf.x', bytes => x.push(new DataView(bytes.buffer, bytes.byteOffset).getUint32(0)))
    b.subscribe('conf.y', bytes => y.push(new DataView(bytes.buffer, bytes.byteOffset).getUint32(0)))
    await settle()
    for (let i = 0; i < 2000; i++) {
      const buf = new Uint8Array(4)
      new DataView(buf.buffer).setUint32(0, i)
      a.publish(i % 3 === 0 ? 'conf.y' : 'conf.x', buf, 'conf.sender')
    }
    await settle()
    const expectX = Array.from({ length: 2000 }, (_, i) => i).filter(i => i % 3 !== 0)
    const expectY = Array.from({ length: 2000 }, (_, i) => i).filter(i => i % 3 === 0)
    t.same(x, expectX)
    t.same(y, expectY)
  })

  withPair('fans out to every subscriber of a subject', async (t, { a, b, settle }) => {
    let first = 0
    let second = 0
    b.subscribe('conf.fan', () => first++)
    a.subscribe('conf.fan', () => second++)
    await settle()
    a.publish('conf.fan', bytesOf(1))
    b.publish('conf.fan', bytesOf(2))
    await settle()
    t.equal(first, 2)
    t.equal(second, 2)
  })

  withPair('nothing arrives after unsubscribe; no subscriber is not an error', async (t, { a, b, settle }) => {
    let n = 0
    const sub = b.subscribe('conf.unsub', () => n++)
    await settle()
    a.publish('conf.unsub', bytesOf(1))
    await settle()
    sub.unsubscribe()
    await settle()
    a.publish('conf.unsub', bytesOf(2))
    a.publish('conf.nobody', bytesOf(3))
    await settle()
    t.equal(n, 1)
    t.equal(sub.subject, 'conf.unsub')
    t.equal(typeof sub.pending(), 'number')
  })

  withPair('carries large messages', async (t, { a, b, settle }) => {
    const big = new Uint8Array(200_000)
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff
    let got: Uint8Array | undefined
    b.subscribe('conf.big', bytes => (got = Uint8Array.from(bytes)))
    await settle()
    a.publish('conf.big', big)
    await settle()
    t.equal(got?.length, big.length)
    t.ok(got && Buffer.compare(Buffer.from(got), Buffer.from(big)) === 0, 'identical bytes')
  })

  withPair('after close, publish is a no-op and nothing is delivered', async (t, { a, b, settle }) => {
    let n = 0
    b.subscribe('conf.closed', () => n++)
    await settle()
    await a.close()
    t.doesNotThrow(() => a.publish('conf.closed', bytesOf(1)))
    await settle()
    t.equal(n, 0)
  })
}
