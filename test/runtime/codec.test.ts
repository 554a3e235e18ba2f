import t from 'tap'
import { EnvelopeCodec, DecodeError, type Envelope } from '../../runtime/index.js'
import { Packr } from 'msgpackr'

const samples: Envelope[] = [
  { type: 'Ping', from: 'a@n1', to: 'b@n2', body: { n: 1 } },
  { type: 'Echo', from: 'a@n1', to: 'b@n2', body: { text: 'héllo ✓' }, id: 'x.1', replyTo: 'a@n1' },
  { type: 'Echo', from: 'b@n2', to: 'a@n1', body: { text: 'HI' }, id: 'x.1' },
  { type: 'Big', from: 'a@n1', to: 'b@n2', body: { list: Array.from({ length: 1000 }, (_, i) => ({ i, s: `v${i}` })), nested: { deep: { deeper: [1, 2.5, -3, null, true] } } } },
  { type: 'Bytes', from: 'a@n1', to: 'b@n2', body: { data: new Uint8Array([0, 1, 2, 255]) } },
]

for (const layout of ['binary', 'array', 'map'] as const) {
  t.test(`round-trips envelopes (${layout})`, async t => {
    const codec = new EnvelopeCodec(layout)
    for (const env of samples) {
      const back = codec.decode(codec.encode(env))
      t.same(back, env, env.type)
      t.same(Object.keys(back).sort(), Object.keys(env).sort(), `${env.type}: no extra keys`)
    }
  })
}

t.test('the default layout is binary: a hand-written header, msgpack only for the body', async t => {
  const codec = new EnvelopeCodec()
  t.equal(codec.layout, 'binary')
  const bytes = codec.encode(samples[0]!)
  t.equal(bytes[0], 0xe0, 'mark, no id, no replyTo, a maps body')
  t.same(Array.from(bytes.subarray(1, 6)), [4, ...Buffer.from('Ping')], 'type, length-prefixed')
  t.equal(codec.encode(samples[1]!)[0], 0xe3, 'id and replyTo flags')
  t.equal(codec.encode(samples[2]!)[0], 0xe1, 'id flag only')
  t.equal(codec.encode(samples[3]!)[0], 0xe4, 'a list of objects: a records body')
})

t.test('binary: bodies with lists of objects are records, defined in each message; bodies written as maps still decode', async t => {
  const enc = new EnvelopeCodec()
  const task = (i: number) => ({ task_id: { value: `t${i}` }, state: 'TASK_RUNNING', resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 0.1 } }], n: 64 + i })
  const big = { tasks: Array.from({ length: 50 }, (_, i) => task(i)) }
  const small = { n: 100, s: 'x' }
  const messages = [big, small, { other: [100, 64, 127] }, big].map((body, i) => enc.encode({ type: 'T', from: 'a@n1', to: `b@n${i}`, body }))
  const asMaps = new EnvelopeCodec('map')
  // A fresh decoder per message (a peer that never saw the sender's earlier messages), and one
  // decoder for all, in another order: each message stands alone.
  for (const [i, bytes] of messages.entries()) t.same(new EnvelopeCodec().decode(bytes).body, [big, small, { other: [100, 64, 127] }, big][i], `message ${i} alone`)
  const shared = new EnvelopeCodec()
  for (const i of [3, 2, 1, 0]) t.same(shared.decode(messages[i]!).body, [big, small, { other: [100, 64, 127] }, big][i], `message ${i} after others`)
  t.ok(messages[0]!.length < new Uint8Array(asMaps.encode({ type: 'T', from: 'a@n1', to: 'b@n0', body: big })).length * 0.7, 'records are smaller than maps for repeated shapes')
  // A maps body behind a binary header (flag 4 clear), integers 64-127 included: read as maps.
  const header = [0xe0, 1, 0x54, 4, ...Buffer.from('a@n1'), 4, ...Buffer.from('b@n1')]
  const framed = new Uint8Array([...header, ...new Packr({ useRecords: false }).pack({ n: 100, list: [64, 65, 127] })])
  t.same(shared.decode(framed).body, { n: 100, list: [64, 65, 127] })
})

t.test('binary: the header caches never return a stale string', async t => {
  const enc = new EnvelopeCodec()
  const dec = new EnvelopeCodec()
  const pids = ['a@n1', 'b@n1', 'ab@n1', 'a@n2', 'é@n1', 'a@n1']
  const types = ['Ping', 'Pong', 'Pinh', 'P', 'Ping']
  for (let i = 0; i < 200; i++) {
    const env: Envelope = { type: types[i % types.length]!, from: pids[i % pids.length]!, to: pids[(i * 7) % pids.length]!, body: { i } }
    if (i % 3 === 0) {
      env.id = `inc.${i}`
      env.replyTo = pids[(i * 5) % pids.length]!
    }
    t.same(dec.decode(enc.encode(env)), env, `message ${i}`)
  }
})

t.test('binary: long header strings, long bodies and ranges of a larger buffer', async t => {
  const codec = new EnvelopeCodec()
  const long = 'x'.repeat(300) + '@' + 'n'.repeat(100)
  const env: Envelope = { type: 'T'.repeat(200), from: long, to: 'b@n2', body: { text: 'y'.repeat(5000), bin: new Uint8Array([9, 8, 7]) }, id: 'i'.repeat(150), replyTo: long }
  t.same(codec.decode(codec.encode(env)), env, 'a header over 255 bytes (not reserved by msgpackr) and 2-byte lengths')
  t.throws(() => codec.encode({ type: 'T'.repeat(40_000), from: 'a@b', to: 'c@d', body: {} }), RangeError)
  t.throws(() => codec.encode({ type: '', from: 'a@b', to: 'c@d', body: {} }), TypeError)

  const parts = samples.map(e => Uint8Array.from(codec.encode(e)))
  const buffer = new Uint8Array(parts.reduce((n, p) => n + p.length + 3, 3))
  const ranges: Array<[number, number]> = []
  let at = 3
  for (const p of parts) {
    buffer.set(p, at)
    ranges.push([at, at + p.length])
    at += p.length + 3
  }
  ranges.forEach(([s, e], i) => t.same(codec.decodeRange(buffer, s, e), samples[i], `range ${i}`))
  const decoded = codec.decodeRange(buffer, ...ranges[4]!)
  const bin = (decoded.body as { data: Uint8Array }).data
  buffer.fill(0)
  t.same(Array.from(bin), [0, 1, 2, 255], 'a decoded Uint8Array does not point into the source')
  t.throws(() => codec.decodeRange(buffer, 0, buffer.length + 1), DecodeError)
  t.throws(() => codec.decodeRange(buffer, 5, 4), DecodeError)
})

t.test('binary: encodeMessage is encode without the envelope object', async t => {
  const codec = new EnvelopeCodec()
  const env = samples[1]!
  t.same(Array.from(codec.encodeMessage(env.type, env.from, env.to, env.body, env.id, env.replyTo)), Array.from(codec.encode(env)))
})

t.test('binary: truncated and corrupted envelopes throw DecodeError, naming why', async t => {
  const codec = new EnvelopeCodec()
  const good = Uint8Array.from(codec.encode(samples[1]!))
  for (let n = 0; n < good.length; n++) t.throws(() => codec.decode(good.subarray(0, n)), DecodeError, `truncated to ${n}`)
  t.throws(() => codec.decode(new Uint8Array([0xe0, 1, 0x50, 1, 0xff, 0, 0x80])), /from is not valid UTF-8/)
  t.throws(() => codec.decode(new Uint8Array([0xe0, 0, 1, 0x61, 1, 0x62, 0x80])), /type is empty/)
  t.throws(() => codec.decode(new Uint8Array([0xe0, 1, 0x50, 1, 0x61, 1, 0x62])), /no body/)
  t.throws(() => codec.decode(new Uint8Array([0xe0, 1, 0x50, 1, 0x61, 1, 0x62, 0x80, 0x80])), /undecodable msgpack body/)
  t.throws(() => codec.decode(new Uint8Array([0xe0, 1, 0x50, 1, 0x61, 9, 0x62, 0x80])), /to runs past the end/)
  t.throws(() => codec.decode(new Uint8Array([0xe0, 1, 0x50, 1, 0x61, 0x85])), /to is missing/)
  for (let i = 0; i < good.length; i++) {
    for (const v of [0x00, 0x7f, 0x80, 0xff]) {
      const bad = Uint8Array.from(good)
      bad[i] = v
      try {
        codec.decode(bad)
      } catch (err) {
        if (!(err instanceof DecodeError)) t.fail(`non-DecodeError with byte ${i} = ${v}: ${err}`)
      }
    }
  }
})

for (const layout of ['binary', 'array'] as const) {
  t.test(`bytes that are not an envelope throw DecodeError, naming why (${layout})`, async t => {
    const codec = new EnvelopeCodec(layout)
    const other = new EnvelopeCodec('map')
    t.throws(() => codec.decode(new Uint8Array([0xc1])), DecodeError)
    t.throws(() => codec.decode(new Uint8Array([0x93, 1, 2, 3])), /not an envelope/)
    t.throws(() => codec.decode(other.encode(samples[0]!)), /not an envelope/)
    if (layout === 'array') {
      t.throws(() => codec.decode(codec.encode({ type: 7 as unknown as string, from: 'a@b', to: 'c@d', body: {} })), /type is not a string/)
      t.throws(() => codec.decode(codec.encode({ type: 'X', from: 5 as unknown as string, to: 'c@d', body: {} })), /from is not a string/)
    } else {
      // The binary encoder refuses what the decoder would refuse.
      t.throws(() => codec.encode({ type: 7 as unknown as string, from: 'a@b', to: 'c@d', body: {} }), { name: 'TypeError', message: /type is not a string/ })
      t.throws(() => codec.encode({ type: 'X', from: 5 as unknown as string, to: 'c@d', body: {} }), { name: 'TypeError', message: /from is not a string/ })
      t.throws(() => codec.encode({ type: undefined as unknown as string, from: 'a@b', to: 'c@d', body: {} }), TypeError, 'not mistaken for the cached last type')
    }
    // Random garbage never escapes as anything but DecodeError; nor does garbage behind a valid mark.
    let seed = 7
    for (let i = 0; i < 2000; i++) {
      const bytes = new Uint8Array(1 + (i % 40))
      for (let j = 0; j < bytes.length; j++) bytes[j] = (seed = (seed * 1103515245 + 12345) >>> 0) & 0xff
      if (layout === 'binary' && i % 2 === 0) bytes[0] = 0xe0 | (i & 7)
      try {
        codec.decode(bytes)
        codec.decodeRange(bytes, 0, bytes.length >> 1)
      } catch (err) {
        if (!(err instanceof DecodeError)) t.fail(`non-DecodeError for ${Buffer.from(bytes).toString('hex')}: ${err}`)
      }
    }
  })
}
