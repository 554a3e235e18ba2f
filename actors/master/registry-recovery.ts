// A new leader's recovery (Mesos Master::recover / _recover): it loads the registry before
// serving. Admitted agents become "recovered": known, but not offered until they reregister;
// those still missing after --agent_reregister_timeout are marked unreachable (persisted first),
// and reconciliation then answers for their tasks TASK_UNREACHABLE (PARTITION_AWARE frameworks)
// or TASK_LOST. Until then reconciliation says nothing about tasks on recovered agents, as Mesos.
import type { Logger } from '../../runtime/index.js'
import {
  RegistryCorruptError,
  decodeEntry,
  type AgentEntry,
  type FrameworkEntry,
  type QuotaEntry,
  type RegistryEntry,
  type RegistryStore,
  type WeightEntry,
} from './registry-store.js'

export interface RecoveredRegistry {
  readonly agents: AgentEntry[]
  readonly frameworks: FrameworkEntry[]
  readonly quota: QuotaEntry[]
  readonly weights: WeightEntry[]
  /** Entries that could not be decoded: left in the store untouched for an operator to look at. */
  readonly errors: RegistryCorruptError[]
}

/** Decodes every entry; a corrupt one is reported by key and skipped, the rest recovered. */
export function decodeRegistry(entries: readonly RegistryEntry[]): RecoveredRegistry {
  const out: RecoveredRegistry = { agents: [], frameworks: [], quota: [], weights: [], errors: [] }
  for (const { key, value } of entries) {
    try {
      const d = decodeEntry(key, value)
      if (d.kind === 'agents') out.agents.push(d.entry)
      else if (d.kind === 'frameworks') out.frameworks.push(d.entry)
      else if (d.kind === 'quota') out.quota.push(d.entry)
      else out.weights.push(d.entry)
    } catch (err) {
      if (!(err instanceof RegistryCorruptError)) throw err
      out.errors.push(err)
    }
  }
  return out
}

export async function loadRegistry(store: RegistryStore, log: Logger): Promise<RecoveredRegistry> {
  const recovered = decodeRegistry(await store.load())
  for (const err of recovered.errors) log.error({ key: err.key, reason: err.reason }, `${err.message}; it is skipped (and left in the store) and the rest of the registry recovered`)
  return recovered
}

/** The agents a recovering leader still waits for. */
export class AgentRecovery {
  readonly waiting = new Map<string, AgentEntry>()
  /** Timed out, their unreachable mark being written: still no answer for their tasks. */
  private readonly beingMarked = new Map<string, AgentEntry>()

  /** Whether reconciliation must hold its answer for a task on `agentId` (or on an unnamed agent). */
  awaits(agentId: string | undefined): boolean {
    if (agentId === undefined) return this.waiting.size + this.beingMarked.size > 0
    return this.waiting.has(agentId) || this.beingMarked.has(agentId)
  }

  /** A recovered agent reregistered: no longer awaited. */
  returned(agentId: string): void {
    this.waiting.delete(agentId)
    this.beingMarked.delete(agentId)
  }

  marking(agentId: string): void {
    const entry = this.waiting.get(agentId)
    this.waiting.delete(agentId)
    if (entry) this.beingMarked.set(agentId, entry)
  }

  /** The mark is written: true if the agent was still missing (it did not return meanwhile). */
  marked(agentId: string): boolean {
    return this.beingMarked.delete(agentId)
  }

  /** The mark could not be written: wait for it again (the timeout is retried). */
  unmark(agentId: string): void {
    const entry = this.beingMarked.get(agentId)
    this.beingMarked.delete(agentId)
    if (entry) this.waiting.set(agentId, entry)
  }
}
