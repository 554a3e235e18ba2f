import t from 'tap'
import fc from 'fast-check'
import { HierarchicalAllocator, type Offer } from '../../../actors/allocator/index.js'
import { Quantities, formatResource } from '../../../actors/resources/index.js'
import { ReferenceAllocator } from '../../../bench/reference-allocator.js'
import { R } from './helpers.js'

// The incremental allocator must decide exactly what the straightforward one in
// bench/reference-allocator.ts decides (Mesos's algorithm, re-sorting everything per agent):
// same offers, same order of agents, cycle after cycle, with flat roles, weights, quota,
// reservations, suppression and filters.

const SHAPES = ['cpus:4;mem:4096;ports:[1-100]', 'cpus:8;mem:2048;gpus:1', 'cpus:2;mem:1024;cpus(r1):2;mem(r1):512', 'cpus:1;mem:8192;disk(r2):100']
const ROLES = ['*', 'r1', 'r2', 'r3']

/** Offers in order; the entries of one offer in a canonical order (Resources are bags). */
const canon = (offers: Offer[]): string[] => offers.map(o => `${o.frameworkId} ${o.role} ${o.agentId} ${o.resources.items.map(formatResource).sort().join(';')}`)

const scenario = fc.record({
  seed: fc.integer({ min: 1, max: 1_000_000 }),
  agents: fc.array(fc.nat(SHAPES.length - 1), { minLength: 1, maxLength: 25 }),
  frameworks: fc.array(fc.uniqueArray(fc.constantFrom(...ROLES), { minLength: 1, maxLength: 2 }), { minLength: 1, maxLength: 8 }),
  weights: fc.array(fc.constantFrom(1, 2, 3), { minLength: 4, maxLength: 4 }),
  quota: fc.array(fc.record({ guarantee: fc.nat(8), extra: fc.nat(10), limited: fc.boolean() }), { minLength: 4, maxLength: 4 }),
  cycles: fc.array(
    fc.record({ advance: fc.constantFrom(0, 1000, 4000), declineEvery: fc.integer({ min: 1, max: 3 }), refuse: fc.constantFrom(0, 2, 10), suppress: fc.nat(20), revive: fc.nat(20) }),
    { minLength: 1, maxLength: 8 },
  ),
})

t.test('offers are identical to the reference allocator', async t => {
  let compared = 0
  fc.assert(
    fc.property(scenario, s => {
      const ours = new HierarchicalAllocator({ seed: s.seed })
      const ref = new ReferenceAllocator({ seed: s.seed })
      for (const x of [ours, ref]) {
        s.frameworks.forEach((roles, i) => x.addFramework(`fw-${i}`, { roles }))
        x.updateWeights(ROLES.slice(1).map((role, i) => ({ role, weight: s.weights[i]! })))
        ROLES.slice(1).forEach((role, i) => {
          const q = s.quota[i]!
          if (q.guarantee === 0 && !q.limited) return
          x.updateQuota(role, {
            guarantees: q.guarantee ? Quantities.parse(`cpus:${q.guarantee}`) : undefined,
            limits: q.limited ? Quantities.parse(`cpus:${q.guarantee + q.extra}`) : undefined,
          })
        })
        s.agents.forEach((shape, i) => x.addAgent(`agent-${i}`, R(SHAPES[shape]!)))
      }
      let now = 0
      for (const c of s.cycles) {
        now += c.advance
        const a = ours.allocate(now)
        const b = ref.allocate(now)
        if (JSON.stringify(canon(a)) !== JSON.stringify(canon(b))) {
          throw new Error(`cycle at ${now} differs:\nours ${canon(a).join('\n     ')}\nref  ${canon(b).join('\n     ')}`)
        }
        compared += a.length
        a.forEach((o, i) => {
          if (i % c.declineEvery !== 0) return
          const f = c.refuse === 0 ? undefined : { refuseSeconds: c.refuse }
          ours.recoverResources(o.frameworkId, o.agentId, o.resources, f, now)
          ref.recoverResources(o.frameworkId, o.agentId, o.resources, f, now)
        })
        const fw = `fw-${c.suppress % s.frameworks.length}`
        if (c.suppress < 5) {
          ours.suppressOffers(fw)
          ref.suppressOffers(fw)
        }
        const rv = `fw-${c.revive % s.frameworks.length}`
        if (c.revive < 5) {
          ours.reviveOffers(rv)
          ref.reviveOffers(rv)
        }
      }
    }),
    { numRuns: 200 },
  )
  t.ok(compared > 500, `${compared} offers compared`)
})
