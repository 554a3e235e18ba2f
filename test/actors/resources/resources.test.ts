import t from 'tap'
import fc from 'fast-check'
import {
  ResourceError,
  Resources,
  formatResources,
  isAllocatableTo,
  makeResource,
  normalizeRanges,
  parseResources,
  rangesContain,
  rangesDifference,
  rangesSize,
  rangesUnion,
  splitRanges,
  type Range,
  type Resource,
} from '../../../actors/resources/index.js'

const R = (text: string): Resources => parseResources(text)

t.test('add, subtract, contains, isEmpty', async t => {
  const a = R('cpus:4;mem:2048;ports:[31000-31009]')
  const b = R('cpus:1.5;mem:48;ports:[31005-31009]')
  t.equal(formatResources(a.subtract(b)), 'cpus:2.5;mem:2000;ports:[31000-31004]')
  t.ok(a.contains(b))
  t.notOk(b.contains(a))
  t.ok(a.subtract(b).add(b).equals(a))
  t.ok(a.subtract(a).isEmpty())
  t.ok(Resources.EMPTY.isEmpty())
  t.notOk(R('cpus:1').contains(R('cpus(prod):1')), 'reserved is not unreserved')
  t.notOk(R('cpus:1').contains(R('mem:1')))
  t.ok(R('cpus:1').contains(Resources.EMPTY))
  t.equal(formatResources(R('cpus:1').subtract(R('cpus:5'))), '', 'subtracting more leaves nothing, never a negative')
})

t.test('0.1 + 0.2 never drifts', async t => {
  let sum = Resources.EMPTY
  for (let i = 0; i < 1000; i++) sum = sum.add(R('cpus:0.001'))
  t.equal(sum.scalarMilli('cpus'), 1000)
  t.ok(sum.equals(R('cpus:1')))
  t.ok(R('cpus:0.1').add(R('cpus:0.2')).equals(R('cpus:0.3')))
  let left = R('cpus:1')
  for (let i = 0; i < 10; i++) left = left.subtract(R('cpus:0.1'))
  t.ok(left.isEmpty(), 'ten tenths take exactly one')
})

t.test('sets', async t => {
  const z = R('zones:{a,b,c}')
  t.equal(formatResources(z.subtract(R('zones:{b}'))), 'zones:{a, c}')
  t.ok(z.contains(R('zones:{a,c}')))
  t.notOk(z.contains(R('zones:{d}')))
  t.equal(formatResources(R('zones:{a}').add(R('zones:{b}'))), 'zones:{a, b}')
})

t.test('names used with two types are refused', async t => {
  t.throws(() => R('cpus:1').add(Resources.of([makeResource('cpus', 'SET', { set: ['x'] })])), ResourceError)
})

t.test('filters by role, reservation and allocation; flatten', async t => {
  const r = R('cpus:2;cpus(prod):3;cpus(eng):1;mem(eng/web):10;mem:5')
  t.equal(formatResources(r.unreserved()), 'cpus:2;mem:5')
  t.equal(formatResources(r.reserved()), 'cpus(prod):3;cpus(eng):1;mem(eng/web):10')
  t.equal(formatResources(r.reserved('eng')), 'cpus(eng):1')
  t.equal(formatResources(r.allocatableTo('eng/web')), 'cpus:2;cpus(eng):1;mem(eng/web):10;mem:5', 'own and ancestors reservations')
  t.equal(formatResources(r.allocatableTo('eng')), 'cpus:2;cpus(eng):1;mem:5', 'not a sub-role reservation')
  t.equal(formatResources(r.allocatableTo('engineering')), 'cpus:2;mem:5', 'prefix is not ancestry')
  t.equal(formatResources(r.flatten()), 'cpus:6;mem:15')
  const alloc = r.allocate('prod')
  t.ok(alloc.items.every(x => x.allocationRole === 'prod'))
  t.ok(alloc.unallocate().equals(r))
  t.notOk(alloc.contains(r), 'allocated differs from unallocated')
  const mixed = R('cpus:1').allocate('a').add(R('cpus:2').allocate('b'))
  t.equal(mixed.size, 2)
  t.equal(mixed.allocations().get('b')!.scalarMilli('cpus'), 2000)
  t.equal(mixed.unallocate().scalarMilli('cpus'), 3000, 'unallocating merges')
  t.equal(mixed.unallocate().size, 1)
  t.same([...r.reservations().keys()], ['prod', 'eng', 'eng/web'])
  t.equal(formatResources(r.allocatedTo()), '')
  t.equal(formatResources(mixed.allocatedTo('a').unallocate()), 'cpus:1')
})

t.test('ranges merge and split', async t => {
  t.same(rangesUnion([{ begin: 1, end: 3 }], [{ begin: 4, end: 6 }]), [{ begin: 1, end: 6 }])
  t.same(rangesDifference([{ begin: 1, end: 10 }], [{ begin: 3, end: 4 }, { begin: 10, end: 12 }]), [
    { begin: 1, end: 2 },
    { begin: 5, end: 9 },
  ])
  const parts = splitRanges([{ begin: 31000, end: 32000 }], 16)
  t.equal(parts.length, 16)
  t.equal(parts.reduce((n, p) => n + rangesSize(p), 0), 1001)
  t.ok(parts.every(p => rangesSize(p) === 62 || rangesSize(p) === 63))
  t.same(rangesUnion([], parts.flat()), [{ begin: 31000, end: 32000 }])
})

t.test('isAllocatableTo follows the role tree', async t => {
  const res = (role?: string): Resource => makeResource('cpus', 'SCALAR', { milli: 1 }, role ? { reservations: [{ type: 'STATIC', role }] } : {})
  t.ok(isAllocatableTo(res(), 'anyone'))
  t.ok(isAllocatableTo(res('a'), 'a'))
  t.ok(isAllocatableTo(res('a'), 'a/b/c'))
  t.notOk(isAllocatableTo(res('a/b'), 'a'))
  t.notOk(isAllocatableTo(res('a'), 'ab'))
})

// ---- properties

const rangesArb = fc.array(fc.tuple(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 20 })), { maxLength: 6 }).map(xs => xs.map(([b, n]): Range => ({ begin: b, end: b + n })))

const resourcesArb = fc
  .record({
    cpus: fc.integer({ min: 0, max: 5000 }),
    mem: fc.integer({ min: 0, max: 5000 }),
    prodCpus: fc.integer({ min: 0, max: 3000 }),
    ports: rangesArb,
    zones: fc.subarray(['a', 'b', 'c', 'd']),
  })
  .map(x =>
    Resources.of([
      makeResource('cpus', 'SCALAR', { milli: x.cpus }),
      makeResource('mem', 'SCALAR', { milli: x.mem }),
      makeResource('cpus', 'SCALAR', { milli: x.prodCpus }, { reservations: [{ type: 'STATIC', role: 'prod' }] }),
      makeResource('ports', 'RANGES', { ranges: x.ports }),
      makeResource('zones', 'SET', { set: x.zones }),
    ]),
  )

t.test('property: (a + b) - b == a and a + b contains both', async () => {
  fc.assert(
    fc.property(resourcesArb, resourcesArb, (a, b) => {
      const sum = a.add(b)
      if (!sum.contains(a) || !sum.contains(b)) return false
      // Ranges and sets are not multisets: (a + b) - b loses what a and b share; scalars are exact.
      const back = sum.subtract(b)
      return back.scalarMilli('cpus') === a.scalarMilli('cpus') && back.scalarMilli('mem') === a.scalarMilli('mem')
    }),
  )
})

t.test('property: a - b is contained in a and disjoint from b on ranges', async () => {
  fc.assert(
    fc.property(resourcesArb, resourcesArb, (a, b) => {
      const d = a.subtract(b)
      if (!a.contains(d)) return false
      const pa = d.named('ports').items[0]?.ranges ?? []
      const pb = b.named('ports').items[0]?.ranges ?? []
      return pa.every(r => !pb.some(q => q.begin <= r.end && r.begin <= q.end))
    }),
  )
})

t.test('property: contains(b) iff b - a is empty (same identities)', async () => {
  fc.assert(
    fc.property(resourcesArb, resourcesArb, (a, b) => a.contains(b) === b.subtract(a).isEmpty()),
  )
})

t.test('property: format then parse is the identity', async () => {
  fc.assert(fc.property(resourcesArb, a => parseResources(formatResources(a)).equals(a)))
})

t.test('property: ranges operations agree with sets of numbers', async () => {
  const toSet = (rs: readonly Range[]): Set<number> => {
    const s = new Set<number>()
    for (const r of rs) for (let i = r.begin; i <= r.end; i++) s.add(i)
    return s
  }
  const norm = (rs: Range[]): Range[] => normalizeRanges(rs)
  fc.assert(
    fc.property(rangesArb, rangesArb, (x, y) => {
      const a = rangesUnion(norm(x), [])
      const b = rangesUnion(norm(y), [])
      const sa = toSet(a)
      const sb = toSet(b)
      const u = toSet(rangesUnion(a, b))
      const d = toSet(rangesDifference(a, b))
      const okUnion = u.size === new Set([...sa, ...sb]).size && [...sa, ...sb].every(v => u.has(v))
      const okDiff = [...sa].every(v => d.has(v) === !sb.has(v)) && [...d].every(v => sa.has(v))
      const okContain = rangesContain(a, b) === [...sb].every(v => sa.has(v))
      return okUnion && okDiff && okContain
    }),
  )
})
