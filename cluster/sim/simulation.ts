// One simulation run: build the world from the seed, run the steps (each advances the clock by a
// random amount and maybe injects a fault, then checks the safety invariants), heal everything,
// let the cluster settle while the frameworks drain and reconcile, and check the liveness
// invariants. The same config always gives the same run, to the delivered message.
import { performance } from 'node:perf_hooks'
import { DEFAULT_FAULTS, FaultInjector, type FaultKind } from './faults.js'
import { InvariantChecker, type Violation } from './invariants.js'
import { KNOWN_FAILURES, knownFailureFor, type KnownFailure } from './known-failures.js'
import { traceFingerprint, traceTail } from './trace-report.js'
import { DEFAULT_TIMINGS, type SimTimings } from './timings.js'
import { World, derivedPrng } from './world.js'

export interface SimConfig {
  seed: number
  steps: number
  agents: number
  frameworks: number
  /** Master processes contending for the leader lease. */
  masters: number
  faults: readonly FaultKind[]
  /** Chance per step of a new fault. */
  faultRate: number
  timings?: SimTimings
  /** Trace lines in a failure report. */
  traceLines?: number
  knownFailures?: readonly KnownFailure[]
  /** Messages the tap keeps for the trace report (more: slower, but a longer annotated trace). */
  ringSize?: number
}

export const DEFAULT_CONFIG: Omit<SimConfig, 'seed'> = {
  steps: 200,
  agents: 4,
  frameworks: 3,
  masters: 2,
  faults: DEFAULT_FAULTS,
  faultRate: 0.1,
}

/** Test-only access to the world between steps (e.g. to plant a violation and see it caught). */
export interface SimHooks {
  afterStep?(world: World, step: number): void
  /** After the last check, before the world is torn down. */
  atEnd?(world: World): void
}

export interface SimFailure {
  readonly invariant: Violation['invariant']
  readonly message: string
  /** The step after which it was seen; `settle` for the liveness checks at the end. */
  readonly step: number | 'settle'
  readonly at: number
  /** Other violations seen at the same check. */
  readonly others: readonly Violation[]
  readonly trace: readonly string[]
  readonly activeFaults: readonly string[]
}

export interface KnownHit {
  readonly known: KnownFailure
  readonly step: number | 'settle'
  readonly message: string
}

export interface SimResult {
  readonly config: SimConfig
  readonly ok: boolean
  readonly failure?: SimFailure
  /** Violations that match a known failure: listed, not failing the run. */
  readonly known: readonly KnownHit[]
  readonly fingerprint: string
  readonly reproduce: string
  readonly faultLog: readonly string[]
  readonly stats: SimStats
  readonly elapsedMs: number
}

export interface SimStats {
  simulatedMs: number
  messages: { sent: number; delivered: number; dropped: number; duplicated: number; partitioned: number; noSubscriber: number }
  faults: Record<string, number>
  tasks: { launched: number; finished: number; failed: number; killed: number; lost: number; other: number; open: number }
  updates: number
  failovers: number
  abortedFrameworks: string[]
  /** Write batches and entries the masters stored in the registry. */
  registry: { batches: number; writes: number }
}

/** The command that replays a run (`npm run sim -- ...`). */
export function reproduceCommand(config: SimConfig): string {
  const parts = [`npm run sim -- --seed ${config.seed} --steps ${config.steps} --agents ${config.agents} --frameworks ${config.frameworks}`]
  if (config.masters !== DEFAULT_CONFIG.masters) parts.push(`--masters ${config.masters}`)
  if (config.faults.join(',') !== DEFAULT_FAULTS.join(',')) parts.push(`--faults ${config.faults.length ? config.faults.join(',') : 'none'}`)
  if (config.faultRate !== DEFAULT_CONFIG.faultRate) parts.push(`--fault-rate ${config.faultRate}`)
  return parts.join(' ')
}

export async function runSimulation(config: SimConfig, hooks: SimHooks = {}): Promise<SimResult> {
  const started = performance.now()
  const world = new World({ seed: config.seed, agents: config.agents, frameworks: config.frameworks, masters: config.masters, timings: config.timings, ringSize: config.ringSize })
  const timings = world.timings
  const random = derivedPrng(config.seed, 'steps')
  const injector = new FaultInjector(world, config.faults, derivedPrng(config.seed, 'faults'), config.faultRate)
  const checker = new InvariantChecker(world)
  const knownList = config.knownFailures ?? KNOWN_FAILURES
  const known: KnownHit[] = []
  let failure: SimFailure | undefined
  let lastStep = 0

  /** Sorts violations into known ones (kept) and the first unknown one (the failure). */
  const judge = (violations: Violation[], step: number | 'settle'): boolean => {
    const unknown: Violation[] = []
    const rest: Violation[] = []
    for (const v of violations) {
      const k = knownFailureFor(v, knownList)
      if (!k) rest.push(v)
      else if (!known.some(h => h.known === k)) known.push({ known: k, step, message: v.message })
    }
    // Consequences of a known failure this run hit (now or earlier) count as that failure.
    for (const v of rest) if (!known.some(h => h.known.consequences?.includes(v.invariant))) unknown.push(v)
    if (unknown.length === 0) return true
    failure = {
      invariant: unknown[0]!.invariant,
      message: unknown[0]!.message,
      step,
      at: world.clock.now(),
      others: unknown.slice(1),
      trace: traceTail(world, config.traceLines ?? 40),
      activeFaults: injector.active(),
    }
    return false
  }

  try {
    world.start()
    for (let step = 1; step <= config.steps; step++) {
      lastStep = step
      injector.step(step)
      for (const f of world.frameworks) f.framework.maybeKill()
      await world.advance(random.int(timings.stepMinMs, timings.stepMaxMs))
      hooks.afterStep?.(world, step)
      if (!judge(checker.checkSafety(), step)) break
    }
    if (!failure) await settle()
    hooks.atEnd?.(world)
  } finally {
    world.dispose()
  }

  async function settle(): Promise<void> {
    injector.healAll(lastStep)
    for (const f of world.frameworks) f.framework.draining = true
    const phase = async (ms: number): Promise<boolean> => {
      for (let t = 0; t < ms; t += 1_000) {
        await world.advance(Math.min(1_000, ms - t))
        if (!judge(checker.checkSafety(), 'settle')) return false
      }
      return true
    }
    if (!(await phase(timings.settleMs))) return
    // Reconcile at least twice; keep going (up to a bound) while work is still in flight, so
    // that something started late in settling (a reregistration, a retried update) can finish.
    for (let round = 0; round < MAX_RECONCILE_ROUNDS; round++) {
      for (const f of world.frameworks) f.framework.reconcile()
      if (!(await phase(timings.reconcileMs / 2))) return
      if (round >= 1 && quiet(world)) break
    }
    judge(checker.checkLiveness(timings.settleMs + timings.reconcileMs), 'settle')
  }

  return {
    config,
    ok: failure === undefined,
    failure,
    known,
    fingerprint: traceFingerprint(world),
    reproduce: reproduceCommand(config),
    faultLog: injector.log,
    stats: collectStats(world, injector),
    elapsedMs: Math.round(performance.now() - started),
  }
}

/** Reconciliation rounds after settling, at most (each reconcileMs / 2). */
const MAX_RECONCILE_ROUNDS = 8

/** Nothing in flight: every scheduler subscribed, no live agent holds an unacknowledged update. */
function quiet(world: World): boolean {
  if (world.frameworks.some(f => f.framework.aborted === undefined && f.framework.driver?.state !== 'subscribed')) return false
  for (const a of world.agents) {
    const core = a.core()
    if (core && !core.sum.unacknowledged().next().done) return false
  }
  return true
}

function collectStats(world: World, injector: FaultInjector): SimStats {
  const tasks = { launched: 0, finished: 0, failed: 0, killed: 0, lost: 0, other: 0, open: 0 }
  let updates = 0
  let failovers = 0
  const aborted: string[] = []
  for (const { framework } of world.frameworks) {
    updates += framework.stats.updates
    failovers += framework.stats.failovers
    if (framework.aborted !== undefined) aborted.push(`${framework.name}: ${framework.aborted}`)
    for (const t of framework.tasks.values()) {
      tasks.launched++
      if (t.state === 'TASK_FINISHED') tasks.finished++
      else if (t.state === 'TASK_FAILED') tasks.failed++
      else if (t.state === 'TASK_KILLED') tasks.killed++
      else if (t.state === 'TASK_LOST' || t.state === 'TASK_UNREACHABLE' || t.state === 'TASK_GONE' || t.state === 'TASK_DROPPED') tasks.lost++
      else if (t.state === undefined || t.state === 'TASK_STAGING' || t.state === 'TASK_STARTING' || t.state === 'TASK_RUNNING' || t.state === 'TASK_KILLING') tasks.open++
      else tasks.other++
    }
  }
  return {
    simulatedMs: world.clock.now(),
    messages: { ...world.net.stats },
    faults: Object.fromEntries(injector.counts),
    tasks,
    updates,
    failovers,
    abortedFrameworks: aborted,
    registry: { ...world.kv.stats },
  }
}
