import t from 'tap'
import fc from 'fast-check'
import { DrfSorter, SorterTotal } from '../../../actors/allocator/index.js'
import { Quantities } from '../../../actors/resources/index.js'

const q = (text: string): Quantities => Quantities.parse(text)

t.test('sorts by weighted dominant share, then allocation count, then name', async t => {
  const total = new SorterTotal()
  total.add(q('cpus:10;mem:100'))
  const s = new DrfSorter(total, false)
  for (const c of ['b', 'a', 'c']) {
    s.add(c)
    s.activate(c)
  }
  t.same(s.sort(), ['a', 'b', 'c'], 'all zero: by name')
  s.allocated('a', q('cpus:1'))
  s.allocated('b', q('mem:20'))
  t.same(s.sort(), ['c', 'a', 'b'], 'a: 0.1, b: 0.2 (memory dominates)')
  s.unallocated('b', q('mem:20'))
  t.same(s.sort(), ['c', 'b', 'a'], 'b back to zero but counted one allocation more than c')
  s.deactivate('c')
  t.same(s.sort(), ['b', 'a'])
  t.notOk(s.isActive('c'))
  t.equal(s.shareOf('a'), 0.1)
  total.add(q('cpus:10'))
  t.equal(s.shareOf('a'), 0.05, 'shares follow the cluster total')
  s.remove('a')
  t.same(s.sort(), ['b'])
  t.notOk(s.contains('a'))
})

t.test('hierarchical: subtrees compete as a whole; a role with sub-roles gets a virtual leaf', async t => {
  const total = new SorterTotal()
  total.add(q('cpus:100'))
  const s = new DrfSorter(total, true)
  for (const c of ['eng/web', 'eng/db', 'ops']) {
    s.add(c)
    s.activate(c)
  }
  s.allocated('eng/web', q('cpus:10'))
  s.allocated('eng/db', q('cpus:5'))
  s.allocated('ops', q('cpus:12'))
  t.same(s.sort(), ['ops', 'eng/db', 'eng/web'], 'ops (0.12) before eng (0.15)')
  t.equal(s.shareOf('eng/web'), 0.1)
  s.updateWeight('eng', 2)
  t.same(s.sort(), ['eng/db', 'eng/web', 'ops'], 'eng weighted: 0.075')
  s.add('eng')
  s.activate('eng')
  t.same(s.sort(), ['eng', 'eng/db', 'eng/web', 'ops'], 'eng itself (nothing allocated) first inside eng')
  s.allocated('eng', q('cpus:30'))
  t.same(s.sort(), ['ops', 'eng/db', 'eng/web', 'eng'])
  s.remove('eng/web')
  s.remove('eng/db')
  t.same(s.sort(), ['ops', 'eng'], 'eng collapses back to a leaf')
  t.equal(s.shareOf('eng'), 0.15, 'weight 2 applies to the leaf eng again')
  t.same(s.allocation('eng').get('cpus'), 30_000)
})

t.test('traversal sees the order as it was when it began', async t => {
  const total = new SorterTotal()
  total.add(q('cpus:10'))
  const s = new DrfSorter(total, false)
  for (const c of ['a', 'b', 'c']) {
    s.add(c)
    s.activate(c)
  }
  const seen: string[] = []
  s.forEachActive(c => {
    seen.push(c)
    s.allocated(c, q('cpus:1'))
  })
  t.same(seen, ['a', 'b', 'c'])
  s.allocated('a', q('cpus:1'))
  t.same(s.sort(), ['b', 'c', 'a'])
  const first: string[] = []
  s.forEachActive(c => {
    first.push(c)
    return false
  })
  t.same(first, ['b'], 'returning false stops')
})

// Random operations; after each, the sorter's order must equal a from-scratch computation.
const NAMES = ['a', 'b', 'c', 'a/x', 'a/y', 'a/x/1', 'b/z', 'd']
const opArb = fc.oneof(
  fc.record({ k: fc.constant('add' as const), c: fc.constantFrom(...NAMES) }),
  fc.record({ k: fc.constant('remove' as const), c: fc.constantFrom(...NAMES) }),
  fc.record({ k: fc.constant('toggle' as const), c: fc.constantFrom(...NAMES) }),
  fc.record({ k: fc.constant('alloc' as const), c: fc.constantFrom(...NAMES), cpus: fc.integer({ min: 1, max: 20 }), mem: fc.integer({ min: 0, max: 50 }) }),
  fc.record({ k: fc.constant('free' as const), c: fc.constantFrom(...NAMES), cpus: fc.integer({ min: 1, max: 20 }) }),
  fc.record({ k: fc.constant('weight' as const), c: fc.constantFrom(...NAMES), w: fc.constantFrom(1, 2, 0.5, 3) }),
  fc.record({ k: fc.constant('grow' as const), cpus: fc.integer({ min: 1, max: 50 }) }),
)

interface Model {
  alloc: Map<string, Map<string, number>>
  active: Set<string>
  weights: Map<string, number>
  total: Map<string, number>
  /** Allocations counted by each tree node (a path), as Mesos's `allocation.count`. */
  nodeCount: Map<string, number>
  /** Counts of virtual leaves `p/.` (clients that also have sub-roles). */
  virtualCount: Map<string, number>
}

const prefixes = (c: string): string[] => c.split('/').map((_, i, parts) => parts.slice(0, i + 1).join('/'))
const hasDescendant = (m: Model, p: string): boolean => [...m.alloc.keys()].some(c => c.startsWith(`${p}/`))
const nodeExists = (m: Model, p: string): boolean => m.alloc.has(p) || hasDescendant(m, p)

function modelAdd(m: Model, c: string): void {
  const ps = prefixes(c)
  for (const p of ps.slice(0, -1)) {
    if (!nodeExists(m, p)) m.nodeCount.set(p, 0)
    else if (m.alloc.has(p) && !hasDescendant(m, p)) m.virtualCount.set(p, m.nodeCount.get(p)!)
  }
  if (hasDescendant(m, c)) m.virtualCount.set(c, 0)
  else m.nodeCount.set(c, 0)
  m.alloc.set(c, new Map())
}

function modelRemove(m: Model, c: string): void {
  m.alloc.delete(c)
  m.active.delete(c)
  m.virtualCount.delete(c)
  for (const p of prefixes(c)) {
    if (!nodeExists(m, p)) m.nodeCount.delete(p)
    else if (m.alloc.has(p) && !hasDescendant(m, p)) m.virtualCount.delete(p)
  }
}

function modelAlloc(m: Model, c: string): void {
  for (const p of prefixes(c)) m.nodeCount.set(p, m.nodeCount.get(p)! + 1)
  if (m.virtualCount.has(c)) m.virtualCount.set(c, m.virtualCount.get(c)! + 1)
}

/** Mesos's algorithm, naively: every node's share from its subtree's allocation, sorted level by level. */
function expected(m: Model): string[] {
  const clients = [...m.alloc.keys()]
  const sum = (pred: (c: string) => boolean): Map<string, number> => {
    const a = new Map<string, number>()
    for (const c of clients) if (pred(c)) for (const [k, v] of m.alloc.get(c)!) a.set(k, (a.get(k) ?? 0) + v)
    return a
  }
  const share = (a: Map<string, number>, w: number): number => {
    let s = 0
    for (const [k, tot] of m.total) if (tot > 0) s = Math.max(s, (a.get(k) ?? 0) / tot)
    return s / w
  }
  const out: string[] = []
  const visit = (prefix: string): void => {
    const kids = new Set<string>()
    for (const c of clients) {
      if (prefix !== '' && !c.startsWith(`${prefix}/`)) continue
      const rest = prefix === '' ? c : c.slice(prefix.length + 1)
      kids.add(prefix === '' ? rest.split('/')[0]! : `${prefix}/${rest.split('/')[0]}`)
    }
    const entries: Array<{ path: string; sortPath: string; virtual: boolean; share: number; count: number }> = []
    for (const k of kids) {
      const a = sum(c => c === k || c.startsWith(`${k}/`))
      entries.push({ path: k, sortPath: k, virtual: false, share: share(a, m.weights.get(k) ?? 1), count: m.nodeCount.get(k)! })
    }
    if (prefix !== '' && m.alloc.has(prefix)) {
      entries.push({ path: prefix, sortPath: `${prefix}/.`, virtual: true, share: share(sum(c => c === prefix), 1), count: m.virtualCount.get(prefix)! })
    }
    entries.sort((x, y) => x.share - y.share || x.count - y.count || (x.sortPath < y.sortPath ? -1 : 1))
    for (const e of entries) {
      if (e.virtual || !hasDescendant(m, e.path)) {
        if (m.active.has(e.path)) out.push(e.path)
      } else visit(e.path)
    }
  }
  visit('')
  return out
}

t.test('property: incremental order equals a full recomputation', async t => {
  fc.assert(
    fc.property(fc.array(opArb, { minLength: 1, maxLength: 60 }), ops => {
      const total = new SorterTotal()
      total.add(q('cpus:100;mem:100'))
      const s = new DrfSorter(total, true)
      const m: Model = { alloc: new Map(), active: new Set(), weights: new Map(), total: new Map([['cpus', 100_000], ['mem', 100_000]]), nodeCount: new Map(), virtualCount: new Map() }
      for (const op of ops) {
        switch (op.k) {
          case 'add':
            if (m.alloc.has(op.c)) break
            s.add(op.c)
            modelAdd(m, op.c)
            break
          case 'remove':
            if (!m.alloc.has(op.c)) break
            s.remove(op.c)
            modelRemove(m, op.c)
            break
          case 'toggle':
            if (!m.alloc.has(op.c)) break
            if (m.active.has(op.c)) {
              s.deactivate(op.c)
              m.active.delete(op.c)
            } else {
              s.activate(op.c)
              m.active.add(op.c)
            }
            break
          case 'alloc': {
            if (!m.alloc.has(op.c)) break
            const add = q(`cpus:${op.cpus};mem:${op.mem}`)
            s.allocated(op.c, add)
            const a = m.alloc.get(op.c)!
            for (const [k, v] of add.entries()) a.set(k, (a.get(k) ?? 0) + v)
            modelAlloc(m, op.c)
            break
          }
          case 'free': {
            if (!m.alloc.has(op.c)) break
            const a = m.alloc.get(op.c)!
            const take = Math.min(a.get('cpus') ?? 0, op.cpus * 1000)
            if (take === 0) break
            s.unallocated(op.c, new Quantities([['cpus', take]]))
            if (take === a.get('cpus')) a.delete('cpus')
            else a.set('cpus', a.get('cpus')! - take)
            break
          }
          case 'weight':
            s.updateWeight(op.c, op.w)
            m.weights.set(op.c, op.w)
            break
          case 'grow':
            total.add(q(`cpus:${op.cpus}`))
            m.total.set('cpus', m.total.get('cpus')! + op.cpus * 1000)
            break
        }
        const got = s.sort()
        const want = expected(m)
        if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(`after ${JSON.stringify(op)}: got ${got} want ${want}`)
      }
    }),
    { numRuns: 500 },
  )
  t.pass('500 random sequences matched')
})
