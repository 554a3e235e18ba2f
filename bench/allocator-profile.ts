// Profiling helper for the allocator bench: only our allocator on the DeclineOffers scenario, so
// that `node --cpu-prof --import tsx bench/allocator-profile.ts [agents] [frameworks] [cycles]
// [quotaRoles]` shows where a cycle's time goes. Prints wall and CPU time per cycle (CPU time
// tells a slow cycle from a machine busy with other work).
import { HierarchicalAllocator } from '../actors/allocator/index.js'
import { Quantities, parseResources, splitRanges } from '../actors/resources/index.js'
import { Prng } from '../runtime/prng.js'

const agents = Number(process.argv[2] ?? 10_000)
const frameworks = Number(process.argv[3] ?? 1_000)
const cycles = Number(process.argv[4] ?? 10)
const quotaRoles = Number(process.argv[5] ?? 0)
const alloc = new HierarchicalAllocator({ seed: 42 })
const prng = new Prng(42)
const ports = parseResources('ports:[31000-32000]').items[0]!.ranges
const usedPorts = splitRanges(ports, 64).filter((_, i) => i % 4 === 0).flat().map(r => `${r.begin}-${r.end}`).join(',')
const sizes = [8, 16, 32, 64]
const roleOf = (i: number): string => (quotaRoles === 0 ? '*' : `team-${i % quotaRoles}`)
for (let i = 0; i < frameworks; i++) alloc.addFramework(`fw-${i}`, { roles: [roleOf(i)] })
for (let r = 0; r < quotaRoles; r++) {
  const cpus = Math.floor((0.4 * 20.8 * agents) / quotaRoles)
  alloc.updateQuota(roleOf(r), { guarantees: Quantities.parse(`cpus:${cpus};mem:${cpus * 4096}`), limits: Quantities.parse(`cpus:${2 * cpus};mem:${2 * cpus * 4096}`) })
}
for (let i = 0; i < agents; i++) {
  const c = prng.pick(sizes)
  const total = parseResources(`cpus:${c};mem:${c * 4096};disk:${c * 25000};ports:[31000-32000]`)
  const used = parseResources(`cpus:${c / 2};mem:${c * 1024};disk:${c * 6250};ports:[${usedPorts}]`).allocate(roleOf(i % frameworks))
  alloc.addAgent(`agent-${i}`, total, new Map([[`fw-${i % frameworks}`, used]]))
}
let now = 0
for (let c = 0; c <= cycles; c++) {
  const t0 = performance.now()
  const c0 = process.cpuUsage()
  const offers = alloc.allocate(now)
  const ms = performance.now() - t0
  const cpu = process.cpuUsage(c0)
  for (const o of offers) alloc.recoverResources(o.frameworkId, o.agentId, o.resources, { refuseSeconds: 1e9 }, now)
  now += 1000
  process.stdout.write(`cycle ${c}: ${ms.toFixed(1)} ms wall, ${((cpu.user + cpu.system) / 1000).toFixed(1)} ms cpu, ${offers.length} offers\n`)
}
