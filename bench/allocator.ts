// `npm run bench -- allocator [--quick]` (or `node --import tsx bench/allocator.ts --quick`):
// the hierarchical DRF allocator on scenarios modelled on Mesos's
// HierarchicalAllocator_BENCHMARK_Test.DeclineOffers (src/tests/hierarchical_allocator_tests.cpp):
// agents of mixed sizes, each with part of it already used by one framework (round robin), and
// frameworks that decline every offer with a long refuse filter. Each cycle is timed alone
// (allocate(now)); the declines between cycles are not. The same scenario runs through
// bench/reference-allocator.ts (a straightforward, non-incremental allocator) in the same
// process, and the offers of both are compared cycle by cycle.
import { fileURLToPath } from 'node:url'
import { Prng, fingerprint } from '../runtime/prng.js'
import { HierarchicalAllocator, type Offer } from '../actors/allocator/index.js'
import { Quantities, Resources, formatResource, parseResources, splitRanges } from '../actors/resources/index.js'
import { ReferenceAllocator } from './reference-allocator.js'
import { emitJson, median, percentile, progress, round, table } from './support/report.js'

/** Mesos's DeclineOffers test refuses with INT_MAX seconds (capped at 365 days by the allocator). */
const REFUSE_SECONDS = 2_147_483_647
const INTERVAL_MS = 1000

interface Scenario {
  name: string
  agents: number
  frameworks: number
  /** 0: every framework in role `*` (DeclineOffers); otherwise frameworks spread over this many quota roles. */
  quotaRoles: number
  steadyCycles: number
  seed: number
}

interface AllocatorLike {
  addFramework(id: string, spec: { roles: string[] }): void
  addAgent(id: string, total: Resources, used: ReadonlyMap<string, Resources>): void
  updateQuota(role: string, spec: { guarantees: Quantities; limits: Quantities }): void
  allocate(now: number): Offer[]
  recoverResources(fw: string, agent: string, res: Resources, filters: { refuseSeconds: number }, now: number): void
}

interface Profile {
  weight: number
  total: Resources
  used: Resources
}

/** Agent sizes seen in production clusters: many small and medium hosts, a few big ones with GPUs. */
function profiles(): Profile[] {
  const ports = parseResources('ports:[31000-32000]').items[0]!.ranges
  // As in Mesos's benchmark: 16 running tasks, each holding one port fragment.
  const usedPorts = splitRanges(ports, 64)
    .filter((_, i) => i % 4 === 0)
    .flat()
    .map(r => `${r.begin}-${r.end}`)
    .join(',')
  const mk = (weight: number, total: string, used: string): Profile => ({
    weight,
    total: parseResources(total),
    used: parseResources(`${used};ports:[${usedPorts}]`),
  })
  return [
    mk(40, 'cpus:8;mem:32768;disk:200000;ports:[31000-32000]', 'cpus:4;mem:8192;disk:50000'),
    mk(30, 'cpus:16;mem:65536;disk:400000;ports:[31000-32000]', 'cpus:8;mem:16384;disk:100000'),
    mk(20, 'cpus:32;mem:131072;disk:800000;ports:[31000-32000]', 'cpus:16;mem:32768;disk:200000'),
    mk(10, 'cpus:64;mem:262144;disk:1600000;gpus:4;ports:[31000-32000]', 'cpus:32;mem:65536;disk:400000;gpus:2'),
  ]
}

function roleOf(s: Scenario, i: number): string {
  return s.quotaRoles === 0 ? '*' : `team-${String(i % s.quotaRoles).padStart(3, '0')}`
}

/** Builds the cluster; returns the setup time. */
function build(alloc: AllocatorLike, s: Scenario): number {
  const start = performance.now()
  const prng = new Prng(s.seed)
  const ps = profiles()
  const totalWeight = ps.reduce((n, p) => n + p.weight, 0)
  const fwIds: string[] = []
  for (let i = 0; i < s.frameworks; i++) {
    const id = `fw-${String(i).padStart(5, '0')}`
    fwIds.push(id)
    alloc.addFramework(id, { roles: [roleOf(s, i)] })
  }
  if (s.quotaRoles > 0) {
    // Guarantees add up to ~40% of the cluster's cpus and memory; limits are twice the guarantees.
    const avgCpus = (8 * 40 + 16 * 30 + 32 * 20 + 64 * 10) / 100
    const cpus = Math.floor((0.4 * avgCpus * s.agents) / s.quotaRoles)
    const mem = cpus * 4096
    for (let r = 0; r < s.quotaRoles; r++) {
      alloc.updateQuota(roleOf(s, r), {
        guarantees: Quantities.parse(`cpus:${cpus};mem:${mem}`),
        limits: Quantities.parse(`cpus:${2 * cpus};mem:${2 * mem}`),
      })
    }
  }
  for (let i = 0; i < s.agents; i++) {
    let pick = prng.next() * totalWeight
    let p = ps[0]!
    for (const q of ps) {
      if (pick < q.weight) {
        p = q
        break
      }
      pick -= q.weight
    }
    const fw = i % s.frameworks
    alloc.addAgent(`agent-${String(i).padStart(6, '0')}`, p.total, new Map([[fwIds[fw]!, p.used.allocate(roleOf(s, fw))]]))
  }
  return performance.now() - start
}

function digest(offers: Offer[]): string {
  const lines = offers.map(o => `${o.frameworkId} ${o.role} ${o.agentId} ${o.resources.items.map(formatResource).sort().join(';')}`).sort()
  return fingerprint(new TextEncoder().encode(lines.join('\n')))
}

interface RunResult {
  setupMs: number
  firstMs: number
  steadyMs: number[]
  /** Process CPU time of each steady cycle: close to wall time on an idle machine, lower when other work competes for the cores. */
  steadyCpuMs: number[]
  offers: number[]
  digests: string[]
}

function runCycles(label: string, alloc: AllocatorLike, s: Scenario, cycles: number, compare: boolean): RunResult {
  const setupMs = build(alloc, s)
  progress(`${label}: ${s.agents} agents x ${s.frameworks} frameworks${s.quotaRoles ? ` in ${s.quotaRoles} quota roles` : ''} set up in ${setupMs.toFixed(0)} ms`)
  let now = 0
  const times: number[] = []
  const cpuTimes: number[] = []
  const offers: number[] = []
  const digests: string[] = []
  for (let c = 0; c <= cycles; c++) {
    const c0 = process.cpuUsage()
    const t0 = performance.now()
    const made = alloc.allocate(now)
    const ms = performance.now() - t0
    const cpu = process.cpuUsage(c0)
    times.push(ms)
    cpuTimes.push((cpu.user + cpu.system) / 1000)
    offers.push(made.length)
    if (compare) digests.push(digest(made))
    for (const o of made) alloc.recoverResources(o.frameworkId, o.agentId, o.resources, { refuseSeconds: REFUSE_SECONDS }, now)
    now += INTERVAL_MS
    progress(`${label}: cycle ${c} took ${ms.toFixed(1)} ms (cpu ${cpuTimes[c]!.toFixed(1)} ms) to make ${made.length} offers`)
  }
  return { setupMs, firstMs: times[0]!, steadyMs: times.slice(1), steadyCpuMs: cpuTimes.slice(1), offers, digests }
}

function rssMb(): number {
  return Math.round(process.memoryUsage().rss / (1024 * 1024))
}

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc
  if (g) g()
}

export async function run(args: string[]): Promise<void> {
  const quick = args.includes('--quick')
  const seed = 42
  const steady = 10
  // The reference takes ~10 s of CPU per 10k cycle: --quick compares one steady cycle, to stay under a minute on a busy machine.
  const refSteady = quick ? 1 : 5
  const decline10k: Scenario = { name: 'decline', agents: 10_000, frameworks: 1_000, quotaRoles: 0, steadyCycles: steady, seed }
  const quota10k: Scenario = { name: 'quota200', agents: 10_000, frameworks: 1_000, quotaRoles: 200, steadyCycles: steady, seed }
  const decline50k: Scenario = { name: 'decline', agents: 50_000, frameworks: 1_000, quotaRoles: 0, steadyCycles: steady, seed }
  const newOurs = (): HierarchicalAllocator => new HierarchicalAllocator({ seed, allocationIntervalMs: INTERVAL_MS })
  const newRef = (): ReferenceAllocator => new ReferenceAllocator({ seed, allocationIntervalMs: INTERVAL_MS })

  // JIT warm-up on a small cluster, for both allocators alike, so that "steady state" measures
  // the algorithm rather than V8 compiling it.
  const warm: Scenario = { name: 'warm-up', agents: 2_000, frameworks: 200, quotaRoles: 0, steadyCycles: 4, seed: seed + 1 }
  runCycles('warm-up (ours)', newOurs(), warm, 4, false)
  runCycles('warm-up (ours, quota)', newOurs(), { ...warm, quotaRoles: 40 }, 4, false)
  runCycles('warm-up (reference)', newRef(), warm, 2, false)
  gc()
  const ours10k = runCycles('ours', newOurs(), decline10k, steady, true)
  let rss = rssMb()
  let ours50k: RunResult | undefined
  let oursQuota: RunResult | undefined
  if (!quick) {
    gc()
    oursQuota = runCycles('ours', newOurs(), quota10k, steady, true)
    gc()
    ours50k = runCycles('ours', newOurs(), decline50k, steady, false)
    rss = Math.max(rss, rssMb())
  }
  gc()
  const ref10k = runCycles('reference', newRef(), decline10k, refSteady, true)
  const refQuota = quick ? undefined : runCycles('reference', newRef(), quota10k, refSteady, true)

  const same = (a: RunResult, b: RunResult): boolean => b.digests.every((d, i) => a.digests[i] === d)
  const identical10k = same(ours10k, ref10k)
  const identicalQuota = oursQuota && refQuota ? same(oursQuota, refQuota) : undefined
  const p50 = (r: RunResult): number => median(r.steadyMs)
  const p99 = (r: RunResult): number => percentile(r.steadyMs, 99)
  const speedup = p50(ref10k) / p50(ours10k)
  const speedupQuota = oursQuota && refQuota ? p50(refQuota) / p50(oursQuota) : undefined

  const rows: Array<[string, string | number]> = [
    ['scenario', 'first cycle ms / steady p50 ms / steady p99 ms / offers per cycle'],
    ['10k x 1k decline (ours)', `${round(ours10k.firstMs, 1)} / ${round(p50(ours10k), 1)} / ${round(p99(ours10k), 1)} / ${ours10k.offers.slice(1).join(',')}`],
    ['10k x 1k decline (reference)', `${round(ref10k.firstMs, 1)} / ${round(p50(ref10k), 1)} / ${round(p99(ref10k), 1)} / ${ref10k.offers.slice(1).join(',')}`],
  ]
  if (oursQuota && refQuota) {
    rows.push(['10k x 1k, 200 quota roles (ours)', `${round(oursQuota.firstMs, 1)} / ${round(p50(oursQuota), 1)} / ${round(p99(oursQuota), 1)} / ${oursQuota.offers.slice(1).join(',')}`])
    rows.push(['10k x 1k, 200 quota roles (reference)', `${round(refQuota.firstMs, 1)} / ${round(p50(refQuota), 1)} / ${round(p99(refQuota), 1)} / ${refQuota.offers.slice(1).join(',')}`])
  }
  if (ours50k) rows.push(['50k x 1k decline (ours)', `${round(ours50k.firstMs, 1)} / ${round(p50(ours50k), 1)} / ${round(p99(ours50k), 1)} / ${ours50k.offers.slice(1).join(',')}`])
  const cpuRow = (r: RunResult): string => `${round(median(r.steadyCpuMs), 1)}`
  rows.push(['steady p50 cpu ms (10k decline ours / reference)', `${cpuRow(ours10k)} / ${cpuRow(ref10k)}`])
  if (ours50k) rows.push(['steady p50 cpu ms (50k decline ours)', cpuRow(ours50k)])
  rows.push(['speedup vs reference, 10k x 1k (p50)', `${round(speedup, 1)}x`])
  if (speedupQuota !== undefined) rows.push(['speedup vs reference, 200 quota roles (p50)', `${round(speedupQuota, 1)}x`])
  rows.push(['offers identical to reference', `${identical10k ? 'yes' : 'NO'}${identicalQuota === undefined ? '' : identicalQuota ? ' / quota: yes' : ' / quota: NO'} (${ref10k.digests.length} cycles compared)`])
  rows.push(['process RSS (MB, after our runs)', rss])
  rows.push(['targets', 'cycle_ms_10k_1k_p50 <= 100, cycle_ms_50k_1k_p50 <= 500'])
  table(rows)

  const results: Record<string, number | boolean> = {
    cycle_ms_10k_1k_first: round(ours10k.firstMs, 2),
    cycle_ms_10k_1k_p50: round(p50(ours10k), 2),
    cycle_ms_10k_1k_p99: round(p99(ours10k), 2),
  }
  if (ours50k) {
    results.cycle_ms_50k_1k_first = round(ours50k.firstMs, 2)
    results.cycle_ms_50k_1k_p50 = round(p50(ours50k), 2)
    results.cycle_ms_50k_1k_p99 = round(p99(ours50k), 2)
  }
  if (oursQuota && refQuota) {
    results.cycle_ms_10k_1k_quota200_p50 = round(p50(oursQuota), 2)
    results.cycle_ms_10k_1k_quota200_p99 = round(p99(oursQuota), 2)
    results.reference_cycle_ms_10k_1k_quota200_p50 = round(p50(refQuota), 2)
    results.speedup_vs_reference_10k_1k_quota200 = round(speedupQuota!, 2)
  }
  results.cpu_ms_10k_1k_p50 = round(median(ours10k.steadyCpuMs), 2)
  if (ours50k) results.cpu_ms_50k_1k_p50 = round(median(ours50k.steadyCpuMs), 2)
  results.reference_cycle_ms_10k_1k_p50 = round(p50(ref10k), 2)
  results.speedup_vs_reference_10k_1k = round(speedup, 2)
  results.offers_identical_to_reference = identical10k && identicalQuota !== false
  results.rss_mb = rss
  emitJson({
    bench: 'allocator',
    params: {
      quick,
      seed,
      steady_cycles: steady,
      warm_up: '2k agents x 200 frameworks, a few cycles per allocator, not measured',
      reference_steady_cycles: refSteady,
      refuse_seconds: REFUSE_SECONDS,
      allocation_interval_ms: INTERVAL_MS,
      agent_profiles: 'cpus 8/16/32/64 (40/30/20/10%), half used by one framework each',
      quota_roles: 200,
    },
    results,
  })
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await run(process.argv.slice(2))
}
