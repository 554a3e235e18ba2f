// Which agent process (RegisterAgent.boot_id) the master has seen at each address, and what became
// of the agent it admitted each one as. Mesos tells a registration retry from a new agent process
// by the TCP connection it arrives on; on the bus, where messages are delayed and reordered, the
// master needs the agent's boot id to tell three cases apart:
// - a retry from the process it admitted (same boot id): answer with the same id;
// - a new process at the address of a registered agent (new boot id): the old one restarted without
//   its state, so the old agent is removed (Mesos: "a new agent registered at the same address");
// - a retry the network held back from an earlier process (a boot id older than the address's
//   newest), or from a process whose agent the master has since removed: it must not admit the
//   same process twice under two ids (a phantom agent that offers resources nobody runs).
import type { Pid } from '../../runtime/index.js'

interface Boot {
  readonly pid: Pid
  agentId: string
  /** The master removed the agent it admitted this process as. */
  removed: boolean
}

export class AgentBoots {
  private readonly boots = new Map<string, Boot>()
  /** The newest boot id seen at each agent pid. */
  private readonly newest = new Map<Pid, string>()
  /** Agent ids removed because a new process took their address: they never come back. */
  private readonly replaced = new Set<string>()

  /** `capacity`: boot ids (and replaced agent ids) remembered, the oldest forgotten first. */
  constructor(private readonly capacity = 10_000) {}

  /** An earlier process at `pid` than the newest one the master has admitted there. */
  isStale(bootId: string, pid: Pid): boolean {
    const newest = this.newest.get(pid)
    return newest !== undefined && newest !== bootId && this.boots.get(bootId)?.pid === pid
  }

  /** The agent id this process was admitted as, if the master has since removed that agent. */
  removedAgentOf(bootId: string): string | undefined {
    const boot = this.boots.get(bootId)
    return boot?.removed ? boot.agentId : undefined
  }

  /** The process `bootId` at `pid` is (again) agent `agentId`; it is the newest at that address. */
  admitted(bootId: string | undefined, pid: Pid, agentId: string): void {
    if (bootId === undefined) return
    this.boots.delete(bootId)
    this.boots.set(bootId, { pid, agentId, removed: false })
    this.newest.set(pid, bootId)
    this.trim(this.boots)
  }

  /** The agent was removed; `replaced`: by a new process at its address (it is gone for good). */
  agentRemoved(bootId: string | undefined, agentId: string, replaced: boolean): void {
    const boot = bootId === undefined ? undefined : this.boots.get(bootId)
    if (boot?.agentId === agentId) boot.removed = true
    if (replaced) {
      this.replaced.add(agentId)
      this.trim(this.replaced)
    }
  }

  /** The agent was removed because a new process registered at its address. */
  wasReplaced(agentId: string): boolean {
    return this.replaced.has(agentId)
  }

  private trim(items: Map<string, unknown> | Set<string>): void {
    if (items.size <= this.capacity) return
    const oldest = items.keys().next().value as string
    items.delete(oldest)
  }
}
