import t from 'tap'
import { Bytes } from '../../../cluster/config/bytes.js'

t.test('parses whole numbers with a unit, case-insensitively, in powers of 1024', async (t) => {
  t.equal(Bytes.parse('64B').bytes, 64)
  t.equal(Bytes.parse('10KB').bytes, 10 * 1024)
  t.equal(Bytes.parse('512MB').mb, 512)
  t.equal(Bytes.parse('1GB').bytes, 1024 ** 3)
  t.equal(Bytes.parse('2TB').gb, 2048)
  t.equal(Bytes.parse('1gb').gb, 1, 'the unit is case-insensitive, as in stout')
  t.equal(Bytes.parse('0B').bytes, 0)
})

t.test('rejects what stout rejects', async (t) => {
  t.throws(() => Bytes.parse('1024'), { name: 'ValueError', reason: 'the unit is missing' })
  t.throws(() => Bytes.parse('1.5GB'), { name: 'ValueError', reason: /fraction/ })
  t.throws(() => Bytes.parse('5PB'), { name: 'ValueError', reason: "unknown unit 'PB'" })
  t.throws(() => Bytes.parse('GB'), { name: 'ValueError' })
  t.throws(() => Bytes.parse('-1MB'), { name: 'ValueError' })
  t.throws(() => Bytes.parse('512 MB'), { name: 'ValueError', suggestion: '512MB' })
  t.throws(() => Bytes.parse('99999999999TB'), { name: 'ValueError', reason: 'too large' })
  t.throws(() => Bytes.of(-1), { name: 'ValueError' })
})

t.test('prints raised to the largest unit that loses nothing', async (t) => {
  t.equal(String(Bytes.parse('1024MB')), '1GB')
  t.equal(String(Bytes.parse('1536KB')), '1536KB')
  t.equal(String(Bytes.of(0)), '0B')
  t.equal(String(Bytes.of(1000)), '1000B')
  t.equal(JSON.stringify(Bytes.parse('2048KB')), '"2MB"')
  t.ok(Bytes.parse('1GB').equals(Bytes.parse('1024MB')))
  t.ok(Bytes.parse('1KB').compare(Bytes.parse('1MB')) < 0)
  t.equal(Bytes.parse('3KB').kb, 3)
})
