// The faults a simulation injects, each drawn from the seed: network weather (drops, delays,
// duplicates) for a while, partitions between sets of nodes until healed, and process crashes
// (agents, framework schedulers, the master) with a restart some steps later. A restarted master
// recovers the registry (the world's MemoryRegistryStore, standing for the KV bucket). Adding a fault
// kind (NATS-KV unavailability, a standby master taking over) is one more entry in FAULT_KINDS
// and one more case in `inject`.
import type { Prng } from '../../runtime/index.js'
import type { AgentNode, FrameworkNode, World } from './world.js'

export const FAULT_KINDS = ['drop', 'delay', 'duplicate', 'partition', 'agent-crash', 'framework-crash', 'master-crash', 'kv-unavailable'] as const
export type FaultKind = (typeof FAULT_KINDS)[number]

/** What runs unless --faults says otherwise. */
export const DEFAULT_FAULTS: readonly FaultKind[] = FAULT_KINDS

export function isFaultKind(s: string): s is FaultKind {
  return (FAULT_KINDS as readonly string[]).includes(s)
}

interface Pending {
  readonly atStep: number
  /** The fault, as injected. */
  readonly fault: string
  /** What ends it. */
  readonly what: string
  readonly undo: () => void
}

interface Cut {
  readonly id: number
  readonly a: string[]
  readonly b: string[]
}

/** Injects faults between steps and undoes them when their time is up (or all at once to settle). */
export class FaultInjector {
  /** One line per fault injected or undone, with its step: the run's story. */
  readonly log: string[] = []
  readonly counts = new Map<FaultKind, number>()
  private pending: Pending[] = []
  private cuts: Cut[] = []
  private cutSeq = 0
  /** The latest weather change of each kind: an older one's undo must not cancel it. */
  private readonly weather = { drop: 0, delay: 0, duplicate: 0, kv: 0 }

  constructor(
    private readonly world: World,
    private readonly kinds: readonly FaultKind[],
    private readonly random: Prng,
    private readonly rate: number,
  ) {}

  /** Undoes what is due, then maybe injects one new fault. */
  step(step: number): void {
    const due = this.pending.filter(p => p.atStep <= step)
    this.pending = this.pending.filter(p => p.atStep > step)
    for (const p of due) {
      p.undo()
      this.log.push(`step ${step}: ${p.what}`)
    }
    if (this.kinds.length === 0 || !this.random.chance(this.rate)) return
    const kind = this.random.pick(this.kinds)
    const what = this.inject(kind, step)
    if (what === undefined) return
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1)
    this.log.push(`step ${step}: ${what}`)
  }

  /** Heals every partition, clears the weather, restarts what is due to restart. */
  healAll(step: number): void {
    for (const p of this.pending) {
      p.undo()
      this.log.push(`settle (after step ${step}): ${p.what}`)
    }
    this.pending = []
    this.cuts = []
    this.world.registry.mode = 'up'
    const net = this.world.net
    net.heal()
    net.setDropRate(0)
    net.setDuplicateRate(0)
    net.setDelay(this.world.timings.minDelayMs, this.world.timings.maxDelayMs)
  }

  /** Faults still in force, for the failure report. */
  active(): string[] {
    return this.pending.map(p => `${p.fault} (until step ${p.atStep})`)
  }

  private later(step: number, min: number, max: number, fault: string, what: string, undo: () => void): void {
    this.pending.push({ atStep: step + this.random.int(min, max), fault, what, undo })
  }

  private inject(kind: FaultKind, step: number): string | undefined {
    const r = this.random
    const net = this.world.net
    switch (kind) {
      case 'drop': {
        const p = r.pick([0.02, 0.05, 0.1, 0.3])
        const token = ++this.weather.drop
        net.setDropRate(p)
        this.later(step, 1, 15, `drop rate ${p}`, `restore drop rate 0 (was ${p})`, () => {
          if (this.weather.drop === token) net.setDropRate(0)
        })
        return `drop rate ${p}`
      }
      case 'duplicate': {
        const p = r.pick([0.05, 0.2, 0.5])
        const token = ++this.weather.duplicate
        net.setDuplicateRate(p)
        this.later(step, 1, 15, `duplicate rate ${p}`, `restore duplicate rate 0 (was ${p})`, () => {
          if (this.weather.duplicate === token) net.setDuplicateRate(0)
        })
        return `duplicate rate ${p}`
      }
      case 'delay': {
        const max = r.pick([50, 300, 2_000, 8_000])
        const token = ++this.weather.delay
        net.setDelay(this.world.timings.minDelayMs, max)
        this.later(step, 1, 15, `delays up to ${max} ms`, `restore delays (were up to ${max} ms)`, () => {
          if (this.weather.delay === token) net.setDelay(this.world.timings.minDelayMs, this.world.timings.maxDelayMs)
        })
        return `delays up to ${max} ms`
      }
      case 'partition': {
        const [a, b] = this.pickSides()
        const cut: Cut = { id: ++this.cutSeq, a, b }
        this.cuts.push(cut)
        net.partition(a, b)
        const what = `partition {${a.join(',')}} | {${b.join(',')}}`
        this.later(step, 1, 30, what, `heal ${what}`, () => this.heal(cut.id))
        return what
      }
      case 'agent-crash': {
        const live = this.world.agents.filter(a => a.up)
        // Keep one agent, or the run has nothing left to say.
        if (live.length <= 1) return undefined
        const agent = r.pick(live)
        agent.crash()
        if (r.chance(0.75)) {
          this.later(step, 2, 40, `agent ${agent.node} down`, `restart agent ${agent.node}`, () => this.restartAgent(agent))
          return `crash agent ${agent.node} (restart later)`
        }
        return `crash agent ${agent.node} (for good)`
      }
      case 'framework-crash': {
        const live = this.world.frameworks.filter(f => f.up)
        if (live.length === 0) return undefined
        const node = r.pick(live)
        node.crash()
        this.later(step, 1, 20, `scheduler ${node.node} down`, `restart scheduler ${node.node} (failover as ${node.framework.frameworkId ?? 'a new framework'})`, () => this.restartFramework(node))
        return `crash scheduler ${node.node}`
      }
      case 'kv-unavailable': {
        // The registry's KV store refuses requests, or lets them time out (some writes landing
        // unbeknown to the master); the master must act on nothing it could not persist.
        const mode = r.pick(['down', 'timeout'] as const)
        const token = ++this.weather.kv
        const kv = this.world.registry
        kv.mode = mode
        this.later(step, 1, 15, `registry KV ${mode}`, `registry KV back (was ${mode})`, () => {
          if (this.weather.kv === token) kv.mode = 'up'
        })
        return `registry KV ${mode}`
      }
      case 'master-crash': {
        // The leader, mostly: with standbys, one takes over once the lease expires.
        const up = this.world.masters.filter(m => m.up)
        if (up.length === 0) return undefined
        const leader = this.world.master
        const master = leader.up && r.chance(0.75) ? leader : r.pick(up)
        master.crash()
        this.later(step, 1, 10, `master ${master.node} down`, `restart master ${master.node}`, () => {
          if (!master.up) master.start()
        })
        return `crash master ${master.node}`
      }
    }
  }

  private restartAgent(agent: AgentNode): void {
    if (!agent.up) agent.start()
  }

  private restartFramework(node: FrameworkNode): void {
    if (!node.up) node.start()
  }

  private heal(id: number): void {
    this.cuts = this.cuts.filter(c => c.id !== id)
    // The network heals everything at once: put back the cuts still in force.
    this.world.net.heal()
    for (const c of this.cuts) this.world.net.partition(c.a, c.b)
  }

  /** Two disjoint, non-empty sets of nodes (`@a1`): one agent or scheduler off the master, or a random split. */
  private pickSides(): [string[], string[]] {
    const r = this.random
    const w = this.world
    const master = `@${w.master.node}`
    const masters = w.masters.map(m => `@${m.node}`)
    const shape = r.int(0, 2)
    if (shape === 0) return [[`@${r.pick(w.agents).node}`], [master]]
    if (shape === 1 && w.frameworks.length > 0) return [[`@${r.pick(w.frameworks).node}`], [master]]
    const all = [...masters, ...w.agents.map(a => `@${a.node}`), ...w.frameworks.map(f => `@${f.node}`)]
    r.shuffle(all)
    const cut = r.int(1, all.length - 1)
    return [all.slice(0, cut), all.slice(cut)]
  }
}
