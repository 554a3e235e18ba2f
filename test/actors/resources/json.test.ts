import t from 'tap'
import { ResourceParseError, formatResources, fromJson, parseResources, toJson } from '../../../actors/resources/index.js'

t.test('Mesos v1 JSON in and out', async t => {
  const json = [
    { name: 'cpus', type: 'SCALAR', scalar: { value: 4 } },
    { name: 'mem', type: 'SCALAR', scalar: { value: 2300.5 }, reservations: [{ type: 'STATIC', role: 'prod' }] },
    { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 31000, end: 32000 }] } },
    { name: 'zones', type: 'SET', set: { item: ['b', 'a'] } },
    {
      name: 'disk',
      type: 'SCALAR',
      scalar: { value: 100 },
      reservations: [
        { type: 'STATIC', role: 'eng' },
        { type: 'DYNAMIC', role: 'eng/web', principal: 'ops' },
      ],
      allocation_info: { role: 'eng/web' },
    },
  ]
  const r = fromJson(json)
  t.equal(formatResources(r), 'cpus:4;mem(prod):2300.5;ports:[31000-32000];zones:{a, b};disk(allocated: eng/web)(reservations: [(STATIC,eng),(DYNAMIC,eng/web,ops)]):100')
  const out = toJson(r)
  t.same(out[3], { name: 'zones', type: 'SET', set: { item: ['a', 'b'] } })
  t.same(out[4], json[4])
  t.ok(fromJson(JSON.parse(JSON.stringify(out))).equals(r), 'round trip')
})

t.test('the pre-1.4 role field and the default role', async t => {
  t.same(fromJson([{ name: 'cpus', type: 'SCALAR', scalar: { value: 1 }, role: 'prod' }]).items[0]!.reservations, [{ type: 'STATIC', role: 'prod' }])
  t.same(fromJson([{ name: 'cpus', type: 'SCALAR', scalar: { value: 1 }, role: '*' }]).items[0]!.reservations, [])
  t.same(fromJson([{ name: 'cpus', type: 'SCALAR', scalar: { value: 1 } }], 'web').items[0]!.reservations, [{ type: 'STATIC', role: 'web' }])
})

t.test('JSON errors carry the path as token', async t => {
  const cases: Array<[unknown, string, string]> = [
    [{}, 'resources must be a JSON array', '$'],
    [[{ type: 'SCALAR', scalar: { value: 1 } }], 'a resource needs a non-empty string name', '[0].name'],
    [[{ name: 'cpus', type: 'TEXT' }], "'cpus' needs type SCALAR, RANGES or SET", '[0].type'],
    [[{ name: 'cpus', type: 'SCALAR', scalar: { value: 'x' } }], "'cpus' needs scalar.value as a number", '[0].scalar.value'],
    [[{ name: 'mem', type: 'SCALAR', scalar: { value: -5 } }], "'mem' must not be negative", '[0].scalar.value'],
    [[{ name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 5, end: 1 }] } }], "'ports' has a range that begins after it ends", '[0].ranges.range[0]'],
    [[{ name: 'z', type: 'SET', set: { item: [''] } }], "'z' set items must be non-empty strings", '[0].set.item[0]'],
    [[{ name: 'cpus', type: 'SCALAR', scalar: { value: 1 }, reservations: [{ type: 'DYNAMIC', role: '*' }] }], "a reservation cannot be for role '*'", '[0].reservations[0].role'],
    [[{ name: 'cpus', type: 'SCALAR', scalar: { value: 1 }, reservations: [{ role: 'a' }, { role: 'b' }] }], "reservation to 'b' must refine 'a' (a sub-role of it)", '[0].reservations[1].role'],
    [
      [
        { name: 'cpus', type: 'SCALAR', scalar: { value: 1 } },
        { name: 'cpus', type: 'SET', set: { item: ['a'] } },
      ],
      "'cpus' is given as SET here but as SCALAR before",
      '[1]',
    ],
  ]
  for (const [input, reason, token] of cases) {
    try {
      fromJson(input)
      t.fail(`${JSON.stringify(input)} should not parse`)
    } catch (err) {
      t.ok(err instanceof ResourceParseError)
      const e = err as ResourceParseError
      t.equal(e.reason, reason)
      t.equal(e.token, token)
      t.equal(e.offset, -1)
      t.equal(e.message, `invalid resources: ${reason}: '${token}'`)
    }
  }
})

t.test('text and JSON agree', async t => {
  const text = 'cpus(prod):2;mem:1024;ports:[1-5, 9-9];zones:{x}'
  t.ok(fromJson(toJson(parseResources(text))).equals(parseResources(text)))
})
