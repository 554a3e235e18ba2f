import t from 'tap'
import { decodeBytes, encodeBytes, id, sameId, samePlainValue, stripNulls } from '../../../actors/protocol/index.js'

t.test('stripNulls', async (t) => {
  t.same(stripNulls({ a: null, b: 1, c: { d: null, e: [1, null, { f: null, g: 'x' }] } }), { b: 1, c: { e: [1, { g: 'x' }] } })
  t.equal(stripNulls(null), undefined)
  t.equal(stripNulls('s'), 's')
  t.equal(stripNulls(0), 0)
  t.equal(stripNulls(false), false)
  t.same(stripNulls([null, null]), [])
  t.same(stripNulls({ unknown_field: { x: 1 } }), { unknown_field: { x: 1 } }, 'unknown fields are kept')

  const input = { a: null, b: { c: null } }
  stripNulls(input)
  t.same(input, { a: null, b: { c: null } }, 'the input is not modified')

  const hostile = JSON.parse('{"__proto__": {"polluted": true}, "name": "x"}')
  const out = stripNulls(hostile) as Record<string, unknown>
  t.equal(Object.getPrototypeOf(out), Object.prototype, '__proto__ keys cannot swap the prototype')
  t.equal(out.polluted, undefined)
  t.same(Object.keys(out), ['name'])

  const bytes = new Uint8Array([1, 2, 3])
  t.equal(stripNulls({ b: bytes }).b, bytes, 'non-plain objects pass through as they are')
})

t.test('base64 bytes helpers', async (t) => {
  const raw = new Uint8Array([0xab, 0xcd, 0xef, 0x12, 0x34, 0x56, 0x78, 0x90, 0xab, 0xcd, 0xef, 0x12, 0x34, 0x56, 0x78, 0x90])
  const b64 = encodeBytes(raw)
  t.equal(b64, 'q83vEjRWeJCrze8SNFZ4kA==')
  t.same([...decodeBytes(b64)], [...raw])
  t.equal(encodeBytes(new Uint8Array(0)), '')
  const view = new Uint8Array(raw.buffer, 4, 4)
  t.same([...decodeBytes(encodeBytes(view))], [...view], 'encodes only the view, not its whole buffer')
  t.same(Buffer.from(decodeBytes(encodeBytes(Buffer.from('sample data')))).toString(), 'sample data')
})

t.test('id helpers', async (t) => {
  t.same(id('t1'), { value: 't1' })
  t.ok(sameId({ value: 'a' }, id('a')))
  t.notOk(sameId({ value: 'a' }, { value: 'b' }))
  t.notOk(sameId(undefined, undefined), 'two absent ids are not the same id')
  t.notOk(sameId({ value: 'a' }, undefined))
})

t.test('samePlainValue: deep equality of decoded values, absent and undefined keys alike', async t => {
  const info = { hostname: 'h1', port: 5051, resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 4 } }], attributes: [] }
  t.ok(samePlainValue(info, structuredClone(info)))
  t.ok(samePlainValue({ a: 1, b: undefined }, { a: 1 }), 'an undefined key is an absent key')
  t.ok(samePlainValue({ a: 1 }, { a: 1, b: undefined }))
  t.notOk(samePlainValue({ a: 1 }, { a: 1, b: 2 }), 'an extra key differs')
  t.notOk(samePlainValue({ a: 1, b: 2 }, { a: 1 }))
  t.notOk(samePlainValue(info, { ...info, resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 8 } }] }), 'a nested value differs')
  t.notOk(samePlainValue([1, 2], [1, 2, 3]))
  t.notOk(samePlainValue([1], { 0: 1 }), 'an array is not an object')
  t.notOk(samePlainValue({ 0: 1 }, [1]))
  t.notOk(samePlainValue(null, {}))
  t.notOk(samePlainValue('1', 1))
  t.ok(samePlainValue(null, null))
})
