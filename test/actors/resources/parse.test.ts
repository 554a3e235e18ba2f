import t from 'tap'
import {
  ResourceParseError,
  formatResources,
  parseResources,
  parseMinAllocatable,
  Quantities,
  type Resource,
} from '../../../actors/resources/index.js'

const one = (text: string): Resource => {
  const r = parseResources(text)
  if (r.size !== 1) throw new Error(`expected one entry in ${text}`)
  return r.items[0]!
}

t.test('parses the Mesos text form', async t => {
  const r = parseResources('cpus:4;mem:2300;disk:10000;ports:[31000-32000]')
  t.equal(r.size, 4)
  t.equal(r.scalarMilli('cpus'), 4000)
  t.equal(r.scalarMilli('mem'), 2_300_000)
  t.equal(r.scalarMilli('disk'), 10_000_000)
  t.same(r.named('ports').items[0]!.ranges, [{ begin: 31000, end: 32000 }])
  t.equal(formatResources(r), 'cpus:4;mem:2300;disk:10000;ports:[31000-32000]')
})

t.test('roles become static reservations; * is unreserved', async t => {
  const r = parseResources('cpus(prod):2;mem(*):1024')
  const cpus = r.named('cpus').items[0]!
  t.same(cpus.reservations, [{ type: 'STATIC', role: 'prod' }])
  t.same(r.named('mem').items[0]!.reservations, [])
  t.equal(formatResources(r), 'cpus(prod):2;mem:1024')
  t.same(one('cpus(eng/frontend):1').reservations, [{ type: 'STATIC', role: 'eng/frontend' }])
  t.same(parseResources('cpus:1', 'prod').items[0]!.reservations, [{ type: 'STATIC', role: 'prod' }], 'default role')
})

t.test('sets, custom names and whitespace', async t => {
  const zones = one('zones:{b,a, c}')
  t.equal(zones.type, 'SET')
  t.same(zones.set, ['a', 'b', 'c'])
  t.equal(one('gpus:2').milli, 2000)
  t.equal(one('foo:3').name, 'foo')
  t.equal(formatResources(parseResources(' cpus : 1 ; mem:2 ;')), 'cpus:1;mem:2')
  t.equal(parseResources('').size, 0)
  t.equal(parseResources('ports:[]').size, 0, 'empty ranges drop out')
})

t.test('ranges are merged and sorted; equal entries add up', async t => {
  t.same(one('ports:[5-6, 1-3, 4-4, 10-12]').ranges, [
    { begin: 1, end: 6 },
    { begin: 10, end: 12 },
  ])
  t.equal(parseResources('cpus:1;cpus:0.5').scalarMilli('cpus'), 1500)
  t.equal(parseResources('cpus:1;cpus(prod):1').size, 2, 'different reservations stay apart')
})

t.test('scalars are fixed point with three decimals', async t => {
  t.equal(one('cpus:0.1').milli, 100)
  t.equal(one('cpus:0.0005').milli, 1, 'rounded half away from zero, like llround')
  t.equal(parseResources('cpus:0.0004').size, 0, 'rounds to zero and drops out')
  t.equal(formatResources(parseResources('cpus:0.1;cpus:0.2')), 'cpus:0.3')
  t.equal(one('mem:1e3').milli, 1_000_000)
})

t.test('parse errors name the token and where it is', async t => {
  const cases: Array<[string, string, string, number]> = [
    ['cpus:abc', "'cpus' needs a number, [ranges] or {set}", 'abc', 5],
    ['mem:-5', "'mem' must not be negative", '-5', 4],
    ['ports:[5-1]', "'ports' has a range that begins after it ends", '5-1', 7],
    ['cpus(:2', "'(' opens a role with no closing ')'", '(:2', 4],
    ['cpus:1;cpus:[1-2]', "'cpus' is given as RANGES here but as SCALAR before", 'cpus:[1-2]', 7],
    ['cpus:1;zones:{a};zones:3', "'zones' is given as SCALAR here but as SET before", 'zones:3', 17],
    ['cpus', "missing ':' between the name and the value", 'cpus', 0],
    ['cpus:', "'cpus' has no value", 'cpus:', 0],
    [':1', 'a resource needs a name', ':1', 0],
    ['cpus(prod)x:1', "unexpected text between ')' and ':'", 'x', 10],
    ['cpus):1', "')' closes a role that was never opened", '):1', 4],
    ['cpus(-x):1', "role component '-x' cannot start with a dash", '-x', 5],
    ['cpus():1', 'a role name cannot be empty', '()', 4],
    ['cpus(a//b):1', "role 'a//b' cannot contain two adjacent slashes", 'a//b', 5],
    ['ports:[1-2', "'ports' has a '[' with no closing ']'", '[1-2', 6],
    ['ports:[1-x]', "'ports' ranges need non-negative integers as begin-end", '1-x', 7],
    ['ports:[1-2,,3-4]', "'ports' has an empty range", '', 11],
    ['zones:{a,,b}', "'zones' has an empty set item", 'a,,b', 7],
    ['zones:{a', "'zones' has a '{' with no closing '}'", '{a', 6],
    ['cpus:1e400', "'cpus' is too large", '1e400', 5],
    ['mem:NaN', "'mem' needs a number, [ranges] or {set}", 'NaN', 4],
    ['cpus:1; mem:-0.5', "'mem' must not be negative", '-0.5', 12],
  ]
  for (const [text, reason, token, offset] of cases) {
    let caught: unknown
    try {
      parseResources(text)
    } catch (err) {
      caught = err
    }
    t.ok(caught instanceof ResourceParseError, `${text}: throws ResourceParseError`)
    const e = caught as ResourceParseError
    t.equal(e.reason, reason, `${text}: reason`)
    t.equal(e.token, token, `${text}: token`)
    t.equal(e.offset, offset, `${text}: offset`)
    t.equal(e.message, `invalid resources: ${reason}: '${token}' at offset ${offset}`, `${text}: message`)
    t.equal(e.code, 'RESOURCE_PARSE')
  }
})

t.test('the token really is at the offset', async t => {
  for (const text of ['cpus:1;mem:abc', 'disk:5;ports:[9-3]', 'a:1;  b(:2', 'x:1;y:{q};y:[1-2]']) {
    try {
      parseResources(text)
      t.fail(`${text} should not parse`)
    } catch (err) {
      const e = err as ResourceParseError
      t.equal(text.slice(e.offset, e.offset + e.token.length), e.token, text)
    }
  }
})

t.test('text that starts with [ is the JSON form', async t => {
  const r = parseResources('[{"name":"cpus","type":"SCALAR","scalar":{"value":4}}]')
  t.equal(r.scalarMilli('cpus'), 4000)
  t.throws(() => parseResources('[{"name":'), ResourceParseError)
})

t.test('format shows dynamic reservations and allocation the way Mesos prints them', async t => {
  const r = parseResources(
    '[{"name":"cpus","type":"SCALAR","scalar":{"value":2},"reservations":[{"type":"DYNAMIC","role":"prod","principal":"alice"}],"allocation_info":{"role":"prod"}}]',
  )
  t.equal(formatResources(r), 'cpus(allocated: prod)(reservations: [(DYNAMIC,prod,alice)]):2')
  t.equal(formatResources(parseResources('cpus:1').allocate('web')), 'cpus(allocated: web):1')
})

t.test('quantities and --min_allocatable_resources', async t => {
  const q = Quantities.parse('cpus:0.01;mem:32')
  t.equal(q.get('cpus'), 10)
  t.equal(q.get('mem'), 32_000)
  t.equal(q.toString(), 'cpus:0.01;mem:32')
  const alts = parseMinAllocatable('cpus:0.01|mem:32')
  t.equal(alts.length, 2)
  t.ok(alts[0]!.containedIn(parseResources('cpus:0.01')))
  t.notOk(alts[1]!.containedIn(parseResources('mem:31;cpus(prod):5')))
  t.ok(alts[1]!.containedIn(parseResources('mem:16;mem(prod):16')), 'reservations count toward quantities')
  const bad = (() => {
    try {
      parseMinAllocatable('cpus:1|mem:x')
    } catch (err) {
      return err as ResourceParseError
    }
    return undefined
  })()
  t.ok(bad instanceof ResourceParseError)
  t.equal(bad!.offset, 7)
  t.throws(() => Quantities.parse('cpus:1;cpus:2'), ResourceParseError)
  t.throws(() => Quantities.parse('cpus:-1'), ResourceParseError)
})
