import t from 'tap'
import { EnvelopeCodec, DecodeError, type Envelope } from '../../runtime/index.js'

const samples: Envelope[] = [
  { type: 'Ping', from: 'a@n1', to: 'b@n2', body: { n: 1 } },
  { type: 'Echo', from: 'a@n1', to: 'b@n2', body: { text: 'héllo ✓' }, id: 'x.1', replyTo: 'a@n1' },
  { type: 'Echo', from: 'b@n2', to: 'a@n1', body: { text: 'HI' }, id: 'x.1' },
  { type: 'Big', from: 'a@n1', to: 'b@n2', body: { list: Array.from({ length: 1000 }, (_, i) => ({ i, s: `v${i}` })), nested: { deep: { deeper: [1, 2.5, -3, null, true] } } } },
  { type: 'Bytes', from: 'a@n1', to: 'b@n2', body: { data: new Uint8Array([0, 1, 2, 255]) } },
]

for (const layout of ['array', 'map'] as const) {
  t.test(`round-trips envelopes (${layout})`, async t => {
    const codec = new EnvelopeCodec(layout)
    for (const env of samples) {
      const back = codec.decode(codec.encode(env))
      t.same(back, env, env.type)
      t.same(Object.keys(back).sort(), Object.keys(env).sort(), `${env.type}: no extra keys`)
    }
  })
}

t.test('bytes that are not an envelope throw DecodeError, naming why', async t => {
  const codec = new EnvelopeCodec()
  const other = new EnvelopeCodec('map')
  t.throws(() => codec.decode(new Uint8Array([0xc1])), DecodeError)
  t.throws(() => codec.decode(new Uint8Array([0x93, 1, 2, 3])), /not an envelope/)
  t.throws(() => codec.decode(other.encode(samples[0]!)), /not an envelope/)
  t.throws(() => codec.decode(codec.encode({ type: 7 as unknown as string, from: 'a@b', to: 'c@d', body: {} })), /type is not a string/)
  t.throws(() => codec.decode(codec.encode({ type: 'X', from: 5 as unknown as string, to: 'c@d', body: {} })), /from is not a string/)
  // Random garbage never escapes as anything but DecodeError.
  let seed = 7
  for (let i = 0; i < 500; i++) {
    const bytes = new Uint8Array(1 + (i % 40))
    for (let j = 0; j < bytes.length; j++) bytes[j] = (seed = (seed * 1103515245 + 12345) >>> 0) & 0xff
    try {
      codec.decode(bytes)
    } catch (err) {
      if (!(err instanceof DecodeError)) t.fail(`non-DecodeError for ${Buffer.from(bytes).toString('hex')}: ${err}`)
    }
  }
})
