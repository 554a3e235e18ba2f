// What must hold in a simulated cluster. Safety invariants are checked after every step, from
// the actors' own state (MasterCore, the allocator, agent cores) and the frameworks' records;
// liveness invariants once, after the cluster was healed and left to settle and every framework
// reconciled. Each check returns violations; it never throws and never changes the world.
import { isTerminalState, type Task, type TaskState } from '../../actors/protocol/index.js'
import { fromJson, formatResources, Resources } from '../../actors/resources/index.js'
import type { AgentNode, World } from './world.js'

export const SAFETY_INVARIANTS = [
  /** Per agent, at the master: offered + used <= total. */
  'offers-within-capacity',
  /** The master's `used` of each agent is the sum of its non-terminal tasks there. */
  'master-accounting',
  /** The allocator's allocation on each agent is exactly what the master has offered and in use there. */
  'allocator-agrees',
  /** Per live agent: its really active tasks + what the master offers of it <= its total. */
  'agent-capacity',
  /**
   * At most one master acts per lease revision; none acts without holding the lease, or under a
   * revision older than the latest term's start (superseded).
   */
  'single-leader',
  /** From a framework's view a terminal state (other than TASK_LOST) is final. */
  'terminal-is-final',
  /** Every acknowledgement a master relays to an agent is of an update the framework received. */
  'acked-updates-seen',
  /**
   * An agent process that started without recovering state is never registered under an agent
   * id an earlier process held (it does not run that id's tasks); one that recovered its
   * checkpoint holds the recovered id or, refused under it, a new one. And the master knows each
   * live agent pid under the id that agent holds.
   */
  'agent-identity',
  /** An agent in the `registered` state has an agent id and forwards updates. */
  'agent-registered-state',
] as const

export const LIVENESS_INVARIANTS = [
  /** Every launched task ends, from its framework's view, terminal, or running on a live agent that runs it. */
  'tasks-accounted',
  /** Every update an agent forwarded reached its framework, and no live agent holds one unacknowledged. */
  'updates-delivered',
  /** Nothing is held at the master for a task its (live, connected) agent does not run. */
  'resources-released',
  /** No offer stays outstanding through the whole settling period (every one is answered or rescinded). */
  'offers-answered',
] as const

export type InvariantName = (typeof SAFETY_INVARIANTS)[number] | (typeof LIVENESS_INVARIANTS)[number]

export interface Violation {
  readonly invariant: InvariantName
  readonly message: string
}

const ACTIVE_AT_AGENT: ReadonlySet<TaskState> = new Set(['TASK_STAGING', 'TASK_STARTING', 'TASK_RUNNING', 'TASK_KILLING'])

function resourcesOf(json: unknown): Resources {
  try {
    return fromJson(json ?? [])
  } catch {
    return Resources.EMPTY
  }
}

const fmt = (r: Resources): string => formatResources(r.unallocate()) || '(none)'

/** Tasks an agent really has and has not finished: queued for an executor, or launched. */
export function activeAgentTasks(agent: AgentNode): Map<string, { frameworkId: string; task: Task | undefined; resources: Resources }> {
  const out = new Map<string, { frameworkId: string; task: Task | undefined; resources: Resources }>()
  const core = agent.core()
  if (!core) return out
  for (const fw of core.frameworks.values()) {
    for (const ex of fw.executors.values()) {
      for (const [id, info] of ex.queued) out.set(`${fw.id}/${id}`, { frameworkId: fw.id, task: undefined, resources: resourcesOf(info.resources) })
      for (const [id, task] of ex.launched) {
        if (ACTIVE_AT_AGENT.has(task.state)) out.set(`${fw.id}/${id}`, { frameworkId: fw.id, task, resources: resourcesOf(task.resources) })
      }
    }
  }
  return out
}

/**
 * The safety checks, with the little memory they need between steps (which framework
 * observations and relayed acknowledgements were already checked).
 */
export class InvariantChecker {
  private observationsChecked = new Map<string, number>()
  /** Outstanding offer id -> when a check first saw it. */
  private readonly offersSeen = new Map<string, number>()
  /** Agent id -> the agent incarnation (`a2#1`) first seen holding it. */
  private readonly idOwners = new Map<string, string>()
  private acksChecked = 0

  constructor(private readonly world: World) {}

  checkSafety(): Violation[] {
    const out: Violation[] = []
    this.offersWithinCapacity(out)
    this.masterAccounting(out)
    this.allocatorAgrees(out)
    this.agentCapacity(out)
    this.singleLeader(out)
    this.terminalIsFinal(out)
    this.ackedUpdatesSeen(out)
    this.agentIdentity(out)
    this.agentRegisteredState(out)
    return out
  }

  /** `minOfferAgeMs`: an offer outstanding at least this long was never answered. */
  checkLiveness(minOfferAgeMs: number): Violation[] {
    const out: Violation[] = []
    this.tasksAccounted(out)
    this.updatesDelivered(out)
    this.resourcesReleased(out)
    this.offersAnswered(out, minOfferAgeMs)
    return out
  }

  private offersWithinCapacity(out: Violation[]): void {
    const core = this.world.master.core
    if (!core) return
    const now = this.world.clock.now()
    for (const id of core.offers.keys()) if (!this.offersSeen.has(id)) this.offersSeen.set(id, now)
    for (const agent of core.agents.values()) {
      let offered = Resources.EMPTY
      for (const id of agent.offers) {
        const offer = core.offers.get(id)
        if (!offer) {
          out.push({ invariant: 'offers-within-capacity', message: `agent ${agent.id} lists offer ${id}, which the master does not have` })
          continue
        }
        if (offer.agentId !== agent.id) out.push({ invariant: 'offers-within-capacity', message: `offer ${id} is listed on agent ${agent.id} but is for ${offer.agentId}` })
        offered = offered.add(offer.resources)
      }
      const demand = agent.used.add(offered).unallocate()
      if (!agent.total.unallocate().contains(demand)) {
        out.push({
          invariant: 'offers-within-capacity',
          message: `agent ${agent.id}: offered ${fmt(offered)} + used ${fmt(agent.used)} exceeds its total ${fmt(agent.total)} (offers ${[...agent.offers].join(', ') || '-'})`,
        })
      }
    }
    for (const offer of core.offers.values()) {
      if (!core.agents.get(offer.agentId)?.offers.has(offer.id)) {
        out.push({ invariant: 'offers-within-capacity', message: `offer ${offer.id} for agent ${offer.agentId} is not listed on that agent` })
      }
    }
  }

  private masterAccounting(out: Violation[]): void {
    const core = this.world.master.core
    if (!core) return
    for (const agent of core.agents.values()) {
      let held = Resources.EMPTY
      for (const key of agent.tasks) {
        const frameworkId = key.slice(0, key.indexOf('/'))
        const task = core.frameworks.get(frameworkId)?.tasks.get(key.slice(frameworkId.length + 1))
        if (task && !isTerminalState(task.state)) held = held.add(task.resources)
      }
      if (!held.unallocate().equals(agent.used.unallocate())) {
        out.push({ invariant: 'master-accounting', message: `agent ${agent.id}: the master counts ${fmt(agent.used)} used, but its non-terminal tasks there hold ${fmt(held)}` })
      }
    }
  }

  private allocatorAgrees(out: Violation[]): void {
    const core = this.world.master.core
    const allocator = this.world.master.allocator()
    if (!core || !allocator) return
    for (const agent of core.agents.values()) {
      const view = allocator.agent(agent.id)
      if (!view) {
        out.push({ invariant: 'allocator-agrees', message: `the master has agent ${agent.id}, the allocator does not` })
        continue
      }
      let allocated = Resources.EMPTY
      for (const r of view.allocated.values()) allocated = allocated.add(r)
      let offered = Resources.EMPTY
      for (const id of agent.offers) offered = offered.add(core.offers.get(id)?.resources ?? Resources.EMPTY)
      const master = agent.used.add(offered).unallocate()
      if (!allocated.unallocate().equals(master)) {
        out.push({
          invariant: 'allocator-agrees',
          message: `agent ${agent.id}: the allocator has ${fmt(allocated)} allocated, the master ${fmt(master)} (used ${fmt(agent.used)} + offered ${fmt(offered)})`,
        })
      }
    }
  }

  private agentCapacity(out: Violation[]): void {
    const core = this.world.master.core
    for (const node of this.world.agents) {
      const agentId = node.liveAgentId()
      if (agentId === undefined) continue
      let active = Resources.EMPTY
      for (const t of activeAgentTasks(node).values()) active = active.add(t.resources)
      let offered = Resources.EMPTY
      const record = core?.agents.get(agentId)
      if (record && record.pid === node.pid) for (const id of record.offers) offered = offered.add(core!.offers.get(id)?.resources ?? Resources.EMPTY)
      if (!node.total.contains(active.add(offered).unallocate())) {
        out.push({ invariant: 'agent-capacity', message: `agent ${agentId} (${node.node}) runs ${fmt(active)} and the master offers ${fmt(offered)} of it: more than its total ${fmt(node.total)}` })
      }
    }
  }

  private staleChecked = 0

  private singleLeader(out: Violation[]): void {
    for (const [revision, masters] of this.world.acting) {
      if (masters.size > 1) out.push({ invariant: 'single-leader', message: `lease revision ${revision}: ${[...masters].join(' and ')} all acted` })
    }
    const stale = this.world.staleActs
    for (; this.staleChecked < stale.length; this.staleChecked++) out.push({ invariant: 'single-leader', message: stale[this.staleChecked]! })
  }

  private terminalIsFinal(out: Violation[]): void {
    for (const { framework } of this.world.frameworks) {
      const from = this.observationsChecked.get(framework.name) ?? 0
      for (const o of framework.observations.slice(from)) out.push({ invariant: 'terminal-is-final', message: `${o.framework} task ${o.taskId} at ${o.at} ms: ${o.message}` })
      this.observationsChecked.set(framework.name, framework.observations.length)
    }
  }

  private ackedUpdatesSeen(out: Violation[]): void {
    const acks = this.world.relayedAcks
    for (; this.acksChecked < acks.length; this.acksChecked++) {
      const ack = acks[this.acksChecked]!
      const fw = this.world.frameworks.find(f => f.framework.frameworkId === ack.frameworkId)?.framework
      if (!fw?.seenUuids.has(ack.uuid)) {
        out.push({ invariant: 'acked-updates-seen', message: `at ${ack.at} ms the master relayed an acknowledgement of ${ack.uuid} (task ${ack.taskId}) to ${ack.to}, but framework ${fw?.name ?? ack.frameworkId} never received that update` })
      }
    }
  }

  private agentIdentity(out: Violation[]): void {
    const core = this.world.master.core
    for (const node of this.world.agents) {
      const id = node.liveAgentId()
      if (id === undefined) continue
      for (const record of core?.agents.values() ?? []) {
        if (record.pid === node.pid && record.id !== id) {
          out.push({ invariant: 'agent-identity', message: `the master has agent ${record.id} at ${node.pid}, but ${node.incarnation} there is agent ${id}` })
        }
      }
      const owner = this.idOwners.get(id)
      if (owner === undefined) this.idOwners.set(id, node.incarnation)
      else if (owner !== node.incarnation && id === node.recoveredId && node.lineage.includes(owner)) {
        // Recovered from the checkpoint of the incarnation that held the id: it is that agent.
        this.idOwners.set(id, node.incarnation)
      } else if (owner !== node.incarnation) {
        out.push({ invariant: 'agent-identity', message: `${node.incarnation} started afresh but registered as agent ${id}, the id of ${owner}` })
        this.idOwners.set(id, node.incarnation)
      }
    }
  }

  private agentRegisteredState(out: Violation[]): void {
    for (const node of this.world.agents) {
      const handle = node.handle
      if (!handle?.alive) continue
      const snapshot = handle.getSnapshot() as { value: unknown; context: { core: { agentId: string | undefined; registered: boolean } } }
      if (snapshot.value !== 'registered') continue
      const core = snapshot.context.core
      if (core.agentId === undefined || !core.registered) {
        out.push({ invariant: 'agent-registered-state', message: `${node.incarnation} is in state 'registered' but has ${core.agentId === undefined ? 'no agent id' : `agent id ${core.agentId}`} and ${core.registered ? 'forwards' : 'does not forward'} updates` })
      }
    }
  }

  // --- liveness ------------------------------------------------------------------------------

  private tasksAccounted(out: Violation[]): void {
    for (const { framework } of this.world.frameworks) {
      if (framework.aborted !== undefined || framework.frameworkId === undefined) continue
      for (const task of framework.tasks.values()) {
        const state = task.state
        if (state !== undefined && isTerminalState(state)) continue
        const node = this.world.agentById(task.agentId)
        const running = node ? activeAgentTasks(node).get(`${framework.frameworkId}/${task.id}`) : undefined
        const where = node ? `agent ${task.agentId} (${node.node}) is live but ${running ? `runs it` : 'does not have it'}` : `agent ${task.agentId} is not live`
        if (state === 'TASK_UNREACHABLE' || state === 'TASK_UNKNOWN') {
          // Told that the agent is gone (Mesos's answer for a task on a removed agent): fine
          // while the agent really is gone; once it is back, reconciliation must say more.
          if (!node) continue
          out.push({ invariant: 'tasks-accounted', message: `${framework.name} task ${task.id}: the framework's last word is ${state}, but ${where} ${historyOf(task.history)}` })
          continue
        }
        if (node && running) continue
        out.push({
          invariant: 'tasks-accounted',
          message: `${framework.name} task ${task.id}: the framework believes it ${state ?? 'launched (no update ever)'}, but ${where} ${historyOf(task.history)}`,
        })
      }
    }
  }

  private updatesDelivered(out: Violation[]): void {
    const liveNodes = this.world.agents.filter(a => a.core())
    const live = new Map(liveNodes.map(a => [a.incarnation, a]))
    // Incarnations whose checkpoint a live agent recovered (itself included).
    const recovered = new Set(liveNodes.flatMap(a => a.lineage))
    for (const [uuid, u] of this.world.forwardedUpdates) {
      const fwNode = this.world.frameworks.find(f => f.framework.frameworkId === u.frameworkId)
      const fw = fwNode?.framework
      // An update dies with the agent process that held it unless its framework checkpoints and
      // a later process recovered that checkpoint; a framework the master removed gets nothing more.
      const held = live.has(u.agent) || (fw?.checkpoint === true && recovered.has(u.agent))
      if (!held || !fw || fw.aborted !== undefined) continue
      if (!fw.seenUuids.has(uuid)) {
        out.push({ invariant: 'updates-delivered', message: `${u.agent} forwarded ${u.state} of ${fw.name} task ${u.taskId} (uuid ${uuid}) at ${u.at} ms; the framework never received it` })
      }
    }
    for (const node of live.values()) {
      const core = node.core()!
      for (const update of core.sum.unacknowledged()) {
        const fw = this.world.frameworks.find(f => f.framework.frameworkId === update.framework_id.value)?.framework
        if (fw?.aborted !== undefined) continue
        out.push({
          invariant: 'updates-delivered',
          message: `${node.node} (agent ${core.agentId}) still holds ${update.status.state} of task ${update.status.task_id.value} (uuid ${update.uuid}) unacknowledged after the cluster settled`,
        })
      }
    }
  }

  private offersAnswered(out: Violation[], minAgeMs: number): void {
    const core = this.world.master.core
    if (!core) return
    const now = this.world.clock.now()
    for (const offer of core.offers.values()) {
      const since = this.offersSeen.get(offer.id) ?? now
      if (now - since < minAgeMs) continue
      const fw = this.world.frameworks.find(f => f.framework.frameworkId === offer.frameworkId)?.framework
      out.push({ invariant: 'offers-answered', message: `offer ${offer.id} of ${fmt(offer.resources)} on agent ${offer.agentId} to ${fw?.name ?? offer.frameworkId} has been outstanding since ${since} ms` })
    }
  }

  private resourcesReleased(out: Violation[]): void {
    const core = this.world.master.core
    if (!core) return
    for (const agent of core.agents.values()) {
      const node = this.world.agents.find(a => a.pid === agent.pid && a.liveAgentId() === agent.id)
      const really = node ? activeAgentTasks(node) : undefined
      for (const key of agent.tasks) {
        const frameworkId = key.slice(0, key.indexOf('/'))
        const task = core.frameworks.get(frameworkId)?.tasks.get(key.slice(frameworkId.length + 1))
        if (!task || isTerminalState(task.state)) continue
        if (really && agent.connected && !really.has(key)) {
          out.push({ invariant: 'resources-released', message: `the master holds ${fmt(task.resources)} on agent ${agent.id} (${node!.node}) for task ${key} (${task.state}), which that agent does not run` })
        }
      }
    }
  }
}

function historyOf(h: ReadonlyArray<{ at: number; state: TaskState; uuid: boolean }>): string {
  if (h.length === 0) return '(no updates)'
  return `(heard: ${h.map(e => `${e.state.slice(5)}@${e.at}${e.uuid ? '' : '*'}`).join(' ')})`
}
