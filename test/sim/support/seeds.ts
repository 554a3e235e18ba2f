// The seeds `npm test` runs: small worlds (3-5 agents, 2-3 frameworks, 100 steps) with every
// default fault kind. Each failing seed fails with its report and the command that replays it;
// violations of known failures (cluster/sim/known-failures.ts) are listed, not failed.
import type { Test } from 'tap'
import { DEFAULT_CONFIG, failureReport, runSimulation, type SimConfig } from '../../../cluster/sim/index.js'

export function seedConfig(seed: number): SimConfig {
  return { ...DEFAULT_CONFIG, seed, steps: 100, agents: 3 + (seed % 3), frameworks: 2 + (seed % 2) }
}

export async function runSeeds(t: Test, from: number, to: number): Promise<void> {
  const known = new Map<string, number[]>()
  let cpu = 0
  for (let seed = from; seed <= to; seed++) {
    const r = await runSimulation(seedConfig(seed))
    cpu += r.elapsedMs
    for (const h of r.known) known.set(h.known.id, [...(known.get(h.known.id) ?? []), seed])
    t.ok(r.ok, r.ok ? `seed ${seed}` : `seed ${seed}: ${r.failure!.invariant} violated; reproduce: ${r.reproduce}\n${failureReport(r)}`)
  }
  t.comment(`seeds ${from}..${to}: ${to - from + 1} runs in ${(cpu / 1000).toFixed(1)} s`)
  for (const [id, seeds] of [...known].sort()) t.comment(`KNOWN ${id} hit by ${seeds.length} seeds (first: ${seeds.slice(0, 5).join(', ')})`)
}
