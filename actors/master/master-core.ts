// The master's decisions and bookkeeping: agents, frameworks, offers and tasks, held in plain
// indexed maps and mutated in place. The XState machine around it (master-machine.ts) only
// turns messages and timers into calls here; everything leaves through the port.
import { isIP } from 'node:net'
import type { ActorPort, Pid } from '../../runtime/index.js'
import { Resources, fromJson, toJson, isValidRole, type Quantities, type Resource } from '../resources/index.js'
import {
  isTerminalState,
  samePlainValue,
  type AcceptBody,
  type AcknowledgeBody,
  type AgentInfo,
  type DeclineBody,
  type ExecutorToFrameworkMessageBody,
  type ExitedExecutorBody,
  type FrameworkInfo,
  type KillBody,
  type MessageBody,
  type Offer,
  type OfferOperation,
  type ReconcileBody,
  type RegisterAgentBody,
  type ReregisterAgentBody,
  type ReviveBody,
  type ShutdownBody,
  type StatusUpdateBody,
  type SubscribeBody,
  type SuppressBody,
  type TaskInfo,
  type TaskState,
  type TaskStatus,
  type TaskStatusReason,
} from '../protocol/index.js'
import { BoundedHistory } from './bounded-history.js'
import { AgentBoots } from './agent-boots.js'
import { OfferTimeouts } from './offer-timeouts.js'
import { stagingTasksToReconcile } from './staging-reconciler.js'
import { MASTER_VERSION, type MasterOptions } from './master-options.js'
import { frameworkRoles, hasCapability, taskKey, type AgentRecord, type FrameworkRecord, type OfferRecord, type TaskRecord } from './records.js'
import { idError, isResourceError, resourcesForRole, validateTask } from './task-validation.js'
import {
  OperatorState,
  checkpointedResources,
  fail,
  ok,
  parseQuotaConfigs,
  quantitiesOf,
  reserveChange,
  unreserveChange,
  validateWeights,
  type OperatorResultBody,
  type ReservationChange,
  type ReserveBody,
  type UnreserveBody,
  type UpdateQuotaBody,
  type UpdateWeightsBody,
} from './operator.js'
import { RegistryWriter, agentEntryOf, type RegistryLink } from './registry.js'
import { AgentRecovery, type RecoveredRegistry } from './registry-recovery.js'
import { RegistryFencedError, deleteEntry, encodeEntry, type RegistryWrite } from './registry-store.js'

/** What the master needs from the allocator; the allocator machine's adapter implements it. */
export interface AllocatorLink {
  addAgent(agentId: string, total: Resources, used: ReadonlyMap<string, Resources>): void
  removeAgent(agentId: string): void
  activateAgent(agentId: string): void
  deactivateAgent(agentId: string): void
  addFramework(frameworkId: string, roles: readonly string[], suppressedRoles?: readonly string[]): void
  removeFramework(frameworkId: string): void
  updateFramework(frameworkId: string, roles: readonly string[], suppressedRoles?: readonly string[]): void
  activateFramework(frameworkId: string): void
  deactivateFramework(frameworkId: string): void
  recoverResources(frameworkId: string, agentId: string, resources: Resources, refuseSeconds?: number): void
  suppressOffers(frameworkId: string, roles?: readonly string[]): void
  reviveOffers(frameworkId: string, roles?: readonly string[]): void
  /** Operator calls (optional so recording links in tests need not implement them). */
  updateAgent?(agentId: string, total: Resources): void
  updateWeights?(weights: readonly { role: string; weight: number }[]): void
  updateQuota?(role: string, guarantees: Quantities, limits: Quantities | undefined): void
}

/**
 * What changed in the master, for in-process observers (the operator API's SUBSCRIBE stream):
 * Mesos's master::Event types. Delivered synchronously, after the change; observers must not
 * call back into the core.
 */
export type MasterStateEvent =
  | { type: 'TASK_ADDED'; task: TaskRecord }
  | { type: 'TASK_UPDATED'; task: TaskRecord }
  | { type: 'AGENT_ADDED'; agent: AgentRecord }
  | { type: 'AGENT_REMOVED'; agentId: string }
  | { type: 'FRAMEWORK_ADDED'; framework: FrameworkRecord }
  | { type: 'FRAMEWORK_UPDATED'; framework: FrameworkRecord }
  | { type: 'FRAMEWORK_REMOVED'; framework: FrameworkRecord }

/** One allocation decision: resources of one agent for one framework's role. */
export interface OfferGrant {
  readonly frameworkId: string
  readonly role: string
  readonly agentId: string
  readonly resources: Resources
}

/** Events the core schedules for itself (timers), delivered back through the machine. */
export type MasterTimerEvent =
  | { type: 'master.frameworkFailoverTimeout'; frameworkId: string }
  | { type: 'master.agentReregisterTimeout' }
  | { type: 'master.offerTimeout'; offerId: string }

const TERMINAL_COUNTERS: Partial<Record<TaskState, string>> = {
  TASK_FINISHED: 'master/tasks_finished',
  TASK_FAILED: 'master/tasks_failed',
  TASK_KILLED: 'master/tasks_killed',
  TASK_LOST: 'master/tasks_lost',
  TASK_ERROR: 'master/tasks_error',
  TASK_DROPPED: 'master/tasks_dropped',
  TASK_GONE: 'master/tasks_gone',
}

/** The counter of each state a task on a removed agent gets. */
const REMOVAL_COUNTERS: Partial<Record<TaskState, string>> = {
  TASK_LOST: 'master/tasks_lost',
  TASK_UNREACHABLE: 'master/tasks_unreachable',
  TASK_GONE: 'master/tasks_gone',
  TASK_GONE_BY_OPERATOR: 'master/tasks_gone_by_operator',
}

/** About 100 KB of JSON-shaped offers per message, far below NATS's 1 MiB max_payload. */
const OFFERS_PER_MESSAGE = 200
/** Refused tasks remembered per framework, for reconciliation (Mesos remembers none). */
const REFUSED_TASKS_KEPT = 1000

export class MasterCore {
  readonly agents = new Map<string, AgentRecord>()
  readonly agentsByPid = new Map<Pid, string>()
  readonly frameworks = new Map<string, FrameworkRecord>()
  readonly frameworksByPid = new Map<Pid, string>()
  readonly offers = new Map<string, OfferRecord>()
  readonly completedFrameworks: BoundedHistory<FrameworkRecord>
  /** Agents removed after missing pings: a returning one is readmitted, its LOST tasks killed. */
  readonly removedAgents = new Map<string, number>()
  private readonly removedFrameworkIds = new Set<string>()
  /** Tasks agents reported for frameworks that have not (re)subscribed yet, by framework id. */
  readonly orphanTasks = new Map<string, Array<{ info: TaskInfo; resources: Resources; agentId: string; state: TaskState; role: string | undefined }>>()
  readonly startedAt: number
  private agentSeq = 0
  private frameworkSeq = 0
  private offerSeq = 0
  private readonly counts = { tasksStaging: 0, tasksRunning: 0 }
  /** Weights, quota and gone agents: what operator calls own. */
  readonly operator = new OperatorState()
  private readonly observers = new Set<(event: MasterStateEvent) => void>()
  /** The persistent registry (absent: nothing persists, the master acts at once). */
  private readonly registry: RegistryWriter | undefined
  /** Agents known from the registry after a failover that have not reregistered yet. */
  readonly recovery = new AgentRecovery()
  /** When this term recovered the registry, and how many agents it then awaited (the summary line). */
  private recoveredAt: number | undefined
  private recoveredAgents = 0
  /** Pids whose registration or subscription waits for its registry write (retries are ignored meanwhile). */
  private readonly persisting = new Set<string>()
  private readonly offerTimeouts: OfferTimeouts
  private readonly boots = new AgentBoots()
  /** Per framework, the latest tasks the master refused (reconciliation answers them as refused). */
  private readonly refusedTasks = new Map<string, BoundedHistory<TaskStatus>>()

  constructor(
    private readonly port: ActorPort,
    private readonly options: MasterOptions,
    private readonly allocator: AllocatorLink,
    private readonly schedule: (event: MasterTimerEvent, delayMs: number) => unknown,
    registry?: RegistryLink,
    /** Runs a registry continuation as a master event. */
    deliver: (fn: () => void) => void = fn => fn(),
  ) {
    if (!(options.taskStagingTimeoutMs > 0)) throw new RangeError(`taskStagingTimeoutMs must be a positive number of milliseconds, got ${options.taskStagingTimeoutMs}`)
    this.startedAt = port.now()
    this.registry = registry ? new RegistryWriter(registry, port, deliver) : undefined
    this.completedFrameworks = new BoundedHistory(options.maxCompletedFrameworks)
    this.offerTimeouts = new OfferTimeouts(port.clock, options.offerTimeoutMs, (offerId, ms) => schedule({ type: 'master.offerTimeout', offerId }, ms))
    const m = port.metrics
    m.gauge('master/uptime_secs', () => (this.port.now() - this.startedAt) / 1000)
    m.gauge('master/elected', () => 1)
    m.gauge('master/slaves_active', () => this.countAgents(true))
    m.gauge('master/slaves_connected', () => this.countAgents(true))
    m.gauge('master/slaves_disconnected', () => this.countAgents(false))
    m.gauge('master/frameworks_active', () => this.countFrameworks(true))
    m.gauge('master/frameworks_connected', () => this.countFrameworks(true))
    m.gauge('master/frameworks_disconnected', () => this.countFrameworks(false))
    m.gauge('master/outstanding_offers', () => this.offers.size)
    m.gauge('master/tasks_staging', () => this.countTasks('TASK_STAGING'))
    m.gauge('master/tasks_starting', () => this.countTasks('TASK_STARTING'))
    m.gauge('master/tasks_running', () => this.countTasks('TASK_RUNNING'))
    m.gauge('master/tasks_killing', () => this.countTasks('TASK_KILLING'))
    for (const name of ['cpus', 'mem', 'disk', 'gpus']) {
      m.gauge(`master/${name}_total`, () => this.sumScalar(name, 'total'))
      m.gauge(`master/${name}_used`, () => this.sumScalar(name, 'used'))
    }
    void this.counts
    if (registry?.recovered) this.recover(registry.recovered)
  }

  // --- agents --------------------------------------------------------------------------------

  registerAgent(from: Pid, body: RegisterAgentBody): void {
    const bootId = body.boot_id
    if (bootId !== undefined && this.boots.isStale(bootId, from)) {
      this.port.log.warn({ pid: from, boot: bootId }, `ignoring RegisterAgent from ${from}: it comes from an earlier agent process (${bootId}) than the one registered there since`)
      return
    }
    const removedId = bootId === undefined ? undefined : this.boots.removedAgentOf(bootId)
    if (removedId !== undefined) {
      // A retry the network held back until after this process's agent was removed: admitting
      // it again would give one process two ids. Answer with its id (a process that never heard
      // it takes it, misses pings and reregisters, as a removed agent does) and admit nothing.
      this.port.log.warn({ pid: from, agent: removedId }, `RegisterAgent from ${from} is a late retry of removed agent ${removedId}: answering, not admitting`)
      this.sendAgentRegistered(from, removedId, bootId)
      return
    }
    const existingId = this.agentsByPid.get(from)
    if (existingId) {
      const existing = this.agents.get(existingId)!
      if (bootId === undefined || existing.bootId === undefined || existing.bootId === bootId) {
        // A retry whose AgentRegistered was lost: answer again, idempotently.
        this.sendAgentRegistered(from, existingId, bootId)
        return
      }
      // Mesos Master::registerSlave: the agent restarted without its state; its tasks are gone.
      this.port.log.warn({ agent: existingId, pid: from }, `removing agent ${existingId}: a new agent process registered at its address ${from}`)
      this.port.metrics.counter('master/slave_removals').inc()
      this.removeAgent(existing, 'REASON_AGENT_RESTARTED', `Agent ${existing.info.hostname} removed: a new agent registered at the same address`, 'replaced')
    }
    if (this.persisting.has(from)) return
    const parsed = this.parseAgent(from, body.agent)
    if (!parsed) return
    const id = `${this.options.idPrefix}-S${this.agentSeq++}`
    const entry = { id, info: { ...body.agent, id: { value: id } }, pid: from, version: body.version, registered_at: this.port.now() }
    this.persist(from, [encodeEntry('agents', id, entry)], `registering agent ${id} at ${from}`, () => {
      const record = this.admitAgent(id, from, body.agent, parsed, body.version, bootId)
      record.ip = body.ip
      this.allocator.addAgent(id, record.total, new Map())
      this.port.metrics.counter('master/slave_registrations').inc()
      this.port.log.info({ agent: id, pid: from, hostname: body.agent.hostname }, `registered agent ${id} at ${from} (${body.agent.hostname})`)
      this.sendAgentRegistered(from, id, bootId)
    })
  }

  reregisterAgent(from: Pid, body: ReregisterAgentBody): void {
    const id = body.agent.id?.value
    if (!id) {
      this.port.send(from, 'ShutdownAgent', { message: 'ReregisterAgent without an agent id' })
      return
    }
    if (this.operator.goneAgents.has(id)) {
      this.port.log.warn({ agent: id, pid: from }, `refusing reregistration of agent ${id} at ${from}: it was marked gone`)
      this.port.send(from, 'ShutdownAgent', { message: 'Agent has been marked gone' })
      return
    }
    if (body.master_epoch !== undefined && this.options.epoch !== undefined && body.master_epoch !== this.options.epoch) {
      // Sent to an earlier term of this pid and held back by the bus (a restarted Mesos master
      // never sees its predecessor's messages): its task list may predate updates another master
      // handled since. The agent sends a fresh one to this term.
      this.port.log.warn({ agent: id, pid: from, epoch: body.master_epoch }, `ignoring ReregisterAgent of agent ${id} from ${from}: addressed to the master of epoch ${body.master_epoch}, this is epoch ${this.options.epoch}`)
      return
    }
    const bootId = body.boot_id
    if ((bootId !== undefined && this.boots.isStale(bootId, from)) || this.boots.wasReplaced(id)) {
      // Held back by the network from a process that has since been replaced at this address.
      this.port.log.warn({ agent: id, pid: from }, `ignoring ReregisterAgent of agent ${id} from ${from}: a newer agent process registered there since`)
      return
    }
    const sharing = this.agentsByPid.get(from)
    if (sharing !== undefined && sharing !== id) {
      // One pid, one agent: whatever the master had there is an earlier process (or a duplicate).
      this.port.log.warn({ agent: sharing, pid: from }, `removing agent ${sharing}: agent ${id} reregistered at its address ${from}`)
      this.port.metrics.counter('master/slave_removals').inc()
      this.removeAgent(this.agents.get(sharing)!, 'REASON_AGENT_RESTARTED', `Agent removed: agent ${id} reregistered at the same address`, 'replaced')
    }
    const known = this.agents.get(id)
    if (known) {
      const retry = known.connected && known.pid === from
      if (bootId !== undefined) known.bootId = bootId
      this.boots.admitted(bootId, from, id)
      if (known.pid !== from) this.agentsByPid.delete(known.pid)
      known.pid = from
      known.connected = true
      known.missedPings = 0
      known.reregisteredAt = this.port.now()
      known.ip = body.ip ?? known.ip
      this.agentsByPid.set(from, id)
      this.port.link(from)
      this.allocator.activateAgent(id)
      this.port.metrics.counter('master/slave_reregistrations').inc()
      // A retry that crossed our answer (agents retry on a backoff) is answered again, quietly.
      this.port.log[retry ? 'debug' : 'info']({ agent: id, pid: from }, `agent ${id} reregistered from ${from}`)
      this.readdReportedTasks(known, body)
      this.sendAgentReregistered(from, known, body)
      return
    }
    // Unknown id: this master restarted, or removed the agent after it missed its pings.
    if (this.persisting.has(from)) return
    const parsed = this.parseAgent(from, body.agent)
    if (!parsed) return
    const entry = { id, info: { ...body.agent, id: { value: id } }, pid: from, version: body.version, registered_at: this.port.now() }
    const recovered = this.recovery.waiting.get(id)
    if (recovered && recovered.pid === from && recovered.version === body.version && samePlainValue(recovered.info, entry.info)) {
      // Mesos Master::_reregisterSlave: an agent the registry already holds, coming back as it was
      // admitted, needs no registrar operation. After a failover that is every agent: 10,000
      // registry writes would stand between the new leader and its agents.
      this.readmitAgent(from, body, id, parsed)
      return
    }
    this.persist(from, [encodeEntry('agents', id, entry)], `readmitting agent ${id} at ${from}`, () => {
      if (this.agents.has(id)) this.reregisterAgent(from, body)
      else this.readmitAgent(from, body, id, parsed)
    })
  }

  private readmitAgent(from: Pid, body: ReregisterAgentBody, id: string, parsed: Resources): void {
    const awaited = this.recovery.waiting.has(id)
    this.recovery.returned(id)
    const wasRemoved = this.removedAgents.delete(id)
    const record = this.admitAgent(id, from, body.agent, parsed, body.version, body.boot_id)
    record.ip = body.ip
    // What the live tasks use, summed once at the end: an agent reports up to a hundred tasks, and
    // adding each to an immutable Resources made as many intermediate bags (after a failover, a
    // million for 100,000 tasks, for the garbage collector).
    const usedItems: Resource[] = []
    const usedItemsByFramework = new Map<string, Resource[]>()
    const killOnReturn: Array<{ frameworkId: string; taskId: string }> = []
    // Mesos re-adds every task the agent reports, terminal ones too: their updates are not all
    // acknowledged yet, and until they are the master must answer reconciliation with them.
    for (const task of body.tasks ?? []) {
      const terminal = isTerminalState(task.state)
      const framework = this.frameworks.get(task.framework_id.value)
      let resources: Resources
      try {
        resources = fromJson(task.resources ?? [])
      } catch {
        continue
      }
      if (!terminal) {
        let forFramework = usedItemsByFramework.get(task.framework_id.value)
        if (!forFramework) usedItemsByFramework.set(task.framework_id.value, (forFramework = []))
        for (const r of resources) {
          usedItems.push(r)
          forFramework.push(r)
        }
      }
      const info: TaskInfo = { name: task.name, task_id: task.task_id, agent_id: { value: id }, resources: task.resources }
      if (task.executor_id) info.executor = { executor_id: task.executor_id }
      if (framework && !framework.tasks.has(task.task_id.value)) {
        if (wasRemoved && !framework.partitionAware && !terminal) {
          // Mesos: a non-partition-aware framework was told TASK_LOST; the task must not live on.
          killOnReturn.push({ frameworkId: framework.id, taskId: task.task_id.value })
        }
        this.addTask(framework, info, resources, id, task.state, allocationRoleOf(resources) ?? framework.roles[0] ?? '*', false)
        const added = framework.tasks.get(task.task_id.value)!
        if (task.status_update_state !== undefined) {
          // Mesos answers reconciliation with the state of the update the framework is being
          // sent (status_update_state), not the latest: a task whose RUNNING is still on its way
          // must not be reported FINISHED first.
          added.status.state = task.status_update_state
          // Retired once the framework acknowledges the terminal update the agent retries.
          if (terminal && isTerminalState(task.status_update_state)) added.pendingUuid = task.status_update_uuid
        }
      } else if (!framework && !this.removedFrameworkIds.has(task.framework_id.value)) {
        // After a master failover agents often come back before their frameworks: keep the
        // task (Mesos's orphan tasks) until the framework resubscribes with its id.
        let orphans = this.orphanTasks.get(task.framework_id.value)
        if (!orphans) this.orphanTasks.set(task.framework_id.value, (orphans = []))
        orphans.push({ info, resources, agentId: id, state: task.state, role: allocationRoleOf(resources) })
      }
    }
    record.used = record.used.add(Resources.of(usedItems))
    const used = new Map<string, Resources>()
    for (const [frameworkId, items] of usedItemsByFramework) used.set(frameworkId, Resources.of(items))
    this.allocator.addAgent(id, record.total, used)
    this.port.metrics.counter('master/slave_reregistrations').inc()
    // After a failover every agent comes back at once: one info line each cost the new leader a
    // tenth of its CPU with 10,000 agents; the last one's return is summarised instead.
    const level = wasRemoved || !awaited ? 'info' : 'debug'
    this.port.log[level]({ agent: id, pid: from, returning: wasRemoved }, `readmitted agent ${id} from ${from}`)
    if (awaited && this.recovery.waiting.size === 0 && this.recoveredAt !== undefined) {
      this.port.log.info({ agents: this.recoveredAgents, ms: this.port.now() - this.recoveredAt }, `all ${this.recoveredAgents} agents of the registry are back, ${this.port.now() - this.recoveredAt} ms after recovery`)
    }
    // Every task the new record holds came from this report: nothing to reconcile.
    this.sendAgentReregistered(from, record, undefined)
    for (const k of killOnReturn) this.port.send(from, 'KillTask', { framework_id: { value: k.frameworkId }, task_id: { value: k.taskId } })
  }

  /**
   * A pong only resets the health check. A disconnected agent comes back by reregistering (which
   * links to it again and reconciles its tasks): the next Ping tells it `connected: false`.
   */
  pong(from: Pid): void {
    const id = this.agentsByPid.get(from)
    if (!id) return
    this.agents.get(id)!.missedPings = 0
  }

  /** One round of health checks (every agent_ping_timeout): Mesos's slave observer. */
  pingRound(): void {
    for (const agent of [...this.agents.values()]) {
      if (agent.missedPings >= this.options.maxAgentPingTimeouts) {
        // Mesos marks it unreachable in the registry first, then acts.
        if (this.persisting.has(agent.pid)) continue
        const entry = { ...agentEntryOf(agent), unreachable_at: this.port.now() }
        this.persist(agent.pid, [encodeEntry('agents', agent.id, entry)], `marking agent ${agent.id} unreachable`, () => {
          if (this.agents.get(agent.id) !== agent) return
          this.port.log.warn({ agent: agent.id }, `agent ${agent.id} at ${agent.pid} missed ${agent.missedPings} pings: removing it`)
          this.port.metrics.counter('master/slave_removals').inc()
          this.port.metrics.counter('master/slave_unreachable_completed').inc()
          this.removeAgent(agent, 'REASON_AGENT_REMOVED', `Agent ${agent.info.hostname} removed: health check timed out`)
        })
        continue
      }
      agent.missedPings++
      this.port.send(agent.pid, 'Ping', { connected: agent.connected })
    }
  }

  /**
   * Asks connected agents about tasks TASK_STAGING longer than taskStagingTimeoutMs: a lost
   * RunTask must not leave a task staging (and its resources used) for ever.
   */
  reconcileStagingTasks(): void {
    const questions = stagingTasksToReconcile(this.frameworks.values(), this.agents, this.port.now(), this.options.taskStagingTimeoutMs)
    for (const [agentId, byFramework] of questions) {
      const agent = this.agents.get(agentId)!
      for (const [frameworkId, tasks] of byFramework) {
        const framework = this.frameworks.get(frameworkId)!
        this.port.log.warn({ agent: agentId, framework: frameworkId, tasks: tasks.length }, `asking agent ${agentId} about ${tasks.length} task(s) of framework ${frameworkId} staging for over ${this.options.taskStagingTimeoutMs} ms`)
        this.port.metrics.counter('master/staging_tasks_reconciled').inc(tasks.length)
        this.port.send(agent.pid, 'ReconcileTasks', {
          framework_id: { value: frameworkId },
          statuses: tasks.map(t => ({ task_id: t.info.task_id, state: t.state, agent_id: { value: agentId } })),
          framework: framework.info,
        })
      }
    }
  }

  /** A linked pid went away: an agent is disconnected (kept until pings run out), a framework fails over. */
  exited(pid: Pid): void {
    const agentId = this.agentsByPid.get(pid)
    if (agentId) {
      const agent = this.agents.get(agentId)!
      if (agent.connected) {
        agent.connected = false
        this.allocator.deactivateAgent(agentId)
        for (const offerId of [...agent.offers]) this.rescindOffer(offerId, true)
        this.port.log.warn({ agent: agentId }, `agent ${agentId} at ${pid} disconnected`)
      }
      return
    }
    const frameworkId = this.frameworksByPid.get(pid)
    if (frameworkId) this.disconnectFramework(this.frameworks.get(frameworkId)!)
  }

  statusUpdate(from: Pid, body: StatusUpdateBody): void {
    const update = body.update
    const agentId = this.agentsByPid.get(from)
    if (!agentId || (update.agent_id && update.agent_id.value !== agentId)) {
      this.port.metrics.counter('master/invalid_status_updates').inc()
      this.port.log.warn({ from, task: update.status.task_id.value }, `ignoring status update from ${from}: not a registered agent (or agent id mismatch)`)
      return
    }
    const framework = this.frameworks.get(update.framework_id.value)
    if (!framework) {
      this.port.metrics.counter('master/invalid_status_updates').inc()
      this.port.log.warn({ framework: update.framework_id.value }, `ignoring status update for unknown framework ${update.framework_id.value}`)
      return
    }
    this.port.metrics.counter('master/valid_status_updates').inc()
    const status: TaskStatus = { ...update.status, agent_id: { value: agentId } }
    if (update.uuid !== undefined) status.uuid = update.uuid
    if (update.executor_id && !status.executor_id) status.executor_id = update.executor_id
    const task = framework.tasks.get(status.task_id.value)
    if (task) this.updateTask(framework, task, status, update.uuid)
    else if (!isTerminalState(status.state)) this.readdReportedTask(framework, this.agents.get(agentId)!, status, update.uuid)
    if (framework.connected) this.port.send(framework.pid, 'Update', { status })
  }

  /**
   * An agent reports a live task the master does not know: its RunTask reached the agent only
   * after the master had removed the agent (and told the framework the task was lost or
   * unreachable), and after the agent sent the ReregisterAgent that readmitted it. The agent runs
   * it, so the master re-adds it, as it re-adds every task a reregistering agent reports; the
   * task's resources come from its record in the framework's history.
   */
  private readdReportedTask(framework: FrameworkRecord, agent: AgentRecord, status: TaskStatus, uuid: string | undefined): void {
    const taskId = status.task_id.value
    const past = framework.completedTasks.findLast(t => t.info.task_id.value === taskId && t.agentId === agent.id)
    if (!past) {
      this.port.log.warn({ agent: agent.id, framework: framework.id, task: taskId }, `agent ${agent.id} runs task ${taskId}, unknown to the master and to its history: forwarding its update only`)
      return
    }
    if (!agent.total.unallocate().contains(agent.used.add(past.resources).unallocate())) {
      // Its resources went to other tasks meanwhile: the agent cannot run them all.
      this.port.log.warn({ agent: agent.id, framework: framework.id, task: taskId }, `agent ${agent.id} runs task ${taskId}, which the master had removed and whose resources are in use again: killing it`)
      this.port.send(agent.pid, 'KillTask', { framework_id: { value: framework.id }, task_id: { value: taskId } })
      return
    }
    this.port.log.warn({ agent: agent.id, framework: framework.id, task: taskId }, `agent ${agent.id} runs task ${taskId}, which the master had removed: re-adding it`)
    this.addTask(framework, past.info, past.resources, agent.id, status.state, past.role)
    const task = framework.tasks.get(taskId)!
    task.status = status
    task.pendingUuid = uuid
    // The allocator must count the task's resources as used; they may be on offer right now.
    for (const offerId of [...agent.offers]) this.rescindOffer(offerId, true)
    const used = new Map<string, Resources>()
    for (const key of agent.tasks) {
      const frameworkId = key.slice(0, key.indexOf('/'))
      const t = this.frameworks.get(frameworkId)?.tasks.get(key.slice(frameworkId.length + 1))
      if (t && !isTerminalState(t.state)) used.set(frameworkId, (used.get(frameworkId) ?? Resources.EMPTY).add(t.resources))
    }
    this.allocator.removeAgent(agent.id)
    this.allocator.addAgent(agent.id, agent.total, used)
    if (!agent.connected) this.allocator.deactivateAgent(agent.id)
    if (past.state === 'TASK_LOST' && !framework.partitionAware) {
      // As for a returning agent's tasks: a non-partition-aware framework was told TASK_LOST.
      this.port.send(agent.pid, 'KillTask', { framework_id: { value: framework.id }, task_id: { value: taskId } })
    }
  }

  /**
   * Mesos's reconcileKnownSlave assumes a known agent cannot run tasks the master does not know.
   * On this bus it can (sim K12): the agent was removed (its tasks told LOST) and readmitted from a
   * ReregisterAgent sent before a RunTask, held back meanwhile, reached it; its next reregistration
   * lists the task. Until its first update arrives the master would offer the task's resources, so
   * each live task it reports is re-added here as readdReportedTask does for an update.
   */
  private readdReportedTasks(agent: AgentRecord, body: ReregisterAgentBody): void {
    for (const task of body.tasks ?? []) {
      if (isTerminalState(task.state)) continue
      const framework = this.frameworks.get(task.framework_id.value)
      if (!framework || framework.tasks.has(task.task_id.value)) continue
      this.readdReportedTask(framework, agent, { task_id: task.task_id, state: task.state, agent_id: { value: agent.id }, source: 'SOURCE_AGENT' }, undefined)
    }
  }

  exitedExecutor(from: Pid, body: ExitedExecutorBody): void {
    const framework = this.frameworks.get(body.framework_id.value)
    if (!this.agentsByPid.has(from) || !framework?.connected) return
    this.port.send(framework.pid, 'Failure', { agent_id: body.agent_id, executor_id: body.executor_id, status: body.status })
  }

  executorMessage(from: Pid, body: ExecutorToFrameworkMessageBody): void {
    const framework = this.frameworks.get(body.framework_id.value)
    if (!this.agentsByPid.has(from) || !framework?.connected) {
      this.port.metrics.counter('master/invalid_executor_to_framework_messages').inc()
      return
    }
    this.port.metrics.counter('master/valid_executor_to_framework_messages').inc()
    this.port.send(framework.pid, 'FrameworkMessage', { agent_id: body.agent_id, executor_id: body.executor_id, data: body.data })
  }

  // --- frameworks ----------------------------------------------------------------------------

  subscribe(from: Pid, body: SubscribeBody): void {
    const info = body.framework_info
    const error = this.frameworkInfoError(info)
    if (error) {
      this.port.metrics.counter('master/invalid_framework_subscriptions').inc()
      this.port.send(from, 'Error', { message: error })
      return
    }
    const requestedId = info.id?.value
    if (requestedId && this.removedFrameworkIds.has(requestedId)) {
      this.port.send(from, 'Error', { message: `Framework ${requestedId} has been removed` })
      return
    }
    if (this.persisting.has(from)) return
    const existing = requestedId ? this.frameworks.get(requestedId) : this.frameworks.get(this.frameworksByPid.get(from) ?? '')
    const id = existing?.id ?? requestedId ?? `${this.options.idPrefix}-${String(this.frameworkSeq++).padStart(4, '0')}`
    // New or failing over, the FrameworkInfo (failover_timeout, roles) is persisted before Subscribed.
    const entry = { id, info: { ...info, id: { value: id } }, pid: from, registered_at: existing?.registeredAt ?? this.port.now() }
    this.persist(from, [encodeEntry('frameworks', id, entry)], `subscribing framework ${id} from ${from}`, () => {
      const now = this.frameworks.get(id)
      if (now) this.resubscribe(now, from, body)
      else if (this.removedFrameworkIds.has(id)) {
        // Removed while its entry was being written: the entry must not outlive it.
        this.persist(undefined, [deleteEntry('frameworks', id)], `removing framework ${id}`, () => {})
        this.port.send(from, 'Error', { message: `Framework ${id} has been removed` })
      } else this.addFramework(id, from, body)
    })
  }

  private addFramework(id: string, from: Pid, body: SubscribeBody): void {
    const info = body.framework_info
    const roles = frameworkRoles(info)
    const record: FrameworkRecord = {
      id,
      pid: from,
      info: { ...info, id: { value: id } },
      roles,
      connected: true,
      active: true,
      registeredAt: this.port.now(),
      tasks: new Map(),
      offers: new Set(),
      completedTasks: new BoundedHistory(this.options.maxCompletedTasksPerFramework),
      partitionAware: hasCapability(info, 'PARTITION_AWARE'),
    }
    this.frameworks.set(id, record)
    this.frameworksByPid.set(from, id)
    for (const orphan of this.orphanTasks.get(id) ?? []) {
      if (this.agents.has(orphan.agentId)) this.addTask(record, orphan.info, orphan.resources, orphan.agentId, orphan.state, orphan.role ?? roles[0] ?? '*', false)
    }
    this.orphanTasks.delete(id)
    this.port.link(from)
    this.allocator.addFramework(id, roles, body.suppressed_roles)
    this.port.metrics.counter('master/framework_registrations').inc()
    this.port.log.info({ framework: id, pid: from, name: info.name, roles }, `framework ${info.name} (${id}) subscribed from ${from}`)
    this.sendSubscribed(record)
    if (this.observers.size > 0) this.notify({ type: 'FRAMEWORK_ADDED', framework: record })
  }

  private resubscribe(framework: FrameworkRecord, from: Pid, body: SubscribeBody): void {
    if (framework.pid !== from) {
      if (framework.connected) this.port.send(framework.pid, 'Error', { message: 'Framework failed over' })
      this.frameworksByPid.delete(framework.pid)
      framework.pid = from
      this.frameworksByPid.set(from, framework.id)
    }
    if (framework.failoverTimer !== undefined) {
      this.port.clock.clearTimeout(framework.failoverTimer)
      framework.failoverTimer = undefined
    }
    const roles = frameworkRoles(body.framework_info)
    framework.info = { ...body.framework_info, id: { value: framework.id } }
    framework.reregisteredAt = this.port.now()
    this.port.link(from)
    if (!framework.connected || !framework.active) {
      framework.connected = true
      framework.active = true
      this.allocator.activateFramework(framework.id)
    }
    if (roles.join(',') !== framework.roles.join(',')) {
      // Offers for roles the framework left go back; the allocator takes the new role set.
      for (const offerId of [...framework.offers]) {
        if (!roles.includes(this.offers.get(offerId)!.role)) this.rescindOffer(offerId, true)
      }
      framework.roles = roles
    }
    // Every Subscribe carries the complete suppressed-role set (Mesos's UPDATE_FRAMEWORK semantics).
    this.allocator.updateFramework(framework.id, roles, body.suppressed_roles ?? [])
    this.port.metrics.counter('master/framework_reregistrations').inc()
    this.port.log.info({ framework: framework.id, pid: from }, `framework ${framework.id} resubscribed from ${from}`)
    this.sendSubscribed(framework)
    if (this.observers.size > 0) this.notify({ type: 'FRAMEWORK_UPDATED', framework })
  }

  private sendSubscribed(framework: FrameworkRecord): void {
    this.port.send(framework.pid, 'Subscribed', {
      framework_id: { value: framework.id },
      heartbeat_interval_seconds: this.options.heartbeatIntervalMs / 1000,
      master_info: this.masterInfo(),
    })
  }

  teardown(from: Pid, frameworkId: string): void {
    const framework = this.callerFramework(from, frameworkId, 'TEARDOWN')
    if (!framework) return
    this.port.log.info({ framework: framework.id }, `framework ${framework.id} asked to be torn down`)
    this.removeFrameworkPersisted(framework, () => true)
  }

  frameworkFailoverTimeout(frameworkId: string): void {
    const framework = this.frameworks.get(frameworkId)
    if (!framework || framework.connected) return
    framework.failoverTimer = undefined
    this.port.log.warn({ framework: frameworkId }, `framework ${frameworkId} did not fail over within its failover_timeout: removing it`)
    this.removeFrameworkPersisted(framework, () => !framework.connected)
  }

  heartbeat(): void {
    for (const framework of this.frameworks.values()) if (framework.connected) this.port.send(framework.pid, 'Heartbeat', {})
  }

  suppress(from: Pid, body: SuppressBody): void {
    const framework = this.callerFramework(from, body.framework_id.value, 'SUPPRESS')
    if (framework) this.allocator.suppressOffers(framework.id, body.roles?.length ? body.roles : undefined)
  }

  revive(from: Pid, body: ReviveBody): void {
    const framework = this.callerFramework(from, body.framework_id.value, 'REVIVE')
    if (framework) this.allocator.reviveOffers(framework.id, body.roles?.length ? body.roles : undefined)
  }

  // --- offers --------------------------------------------------------------------------------

  /** Turns allocation decisions into offers, one Offers message per framework. */
  offer(grants: readonly OfferGrant[]): void {
    const batches = new Map<string, Offer[]>()
    for (const grant of grants) {
      const framework = this.frameworks.get(grant.frameworkId)
      const agent = this.agents.get(grant.agentId)
      if (!framework || !agent || !framework.connected || !framework.active || !agent.connected) {
        // Raced with a removal or disconnection: the resources go straight back.
        this.allocator.recoverResources(grant.frameworkId, grant.agentId, grant.resources)
        continue
      }
      const id = `${this.options.idPrefix}-O${this.offerSeq++}`
      const record: OfferRecord = { id, frameworkId: framework.id, agentId: agent.id, role: grant.role, resources: grant.resources }
      this.offers.set(id, record)
      this.offerTimeouts.start(id)
      framework.offers.add(id)
      agent.offers.add(id)
      let batch = batches.get(framework.id)
      if (!batch) batches.set(framework.id, (batch = []))
      batch.push(this.offerJson(record, agent))
    }
    for (const [frameworkId, offers] of batches) {
      const pid = this.frameworks.get(frameworkId)!.pid
      // Bounded messages: a cycle over 10,000 agents must not build one multi-megabyte message.
      for (let i = 0; i < offers.length; i += OFFERS_PER_MESSAGE) this.port.send(pid, 'Offers', { offers: offers.slice(i, i + OFFERS_PER_MESSAGE) })
    }
  }

  decline(from: Pid, body: DeclineBody): void {
    const framework = this.callerFramework(from, body.framework_id.value, 'DECLINE')
    if (!framework) return
    const refuse = body.filters?.refuse_seconds
    for (const offerId of body.offer_ids) {
      const offer = this.takeOffer(offerId.value, framework.id)
      if (offer) this.allocator.recoverResources(framework.id, offer.agentId, offer.resources, refuse)
    }
  }

  accept(from: Pid, body: AcceptBody): void {
    const framework = this.callerFramework(from, body.framework_id.value, 'ACCEPT')
    if (!framework) return
    const operations = body.operations ?? []
    const offerError = this.offersError(framework, body.offer_ids.map(o => o.value))
    const offers: OfferRecord[] = []
    for (const offerId of new Set(body.offer_ids.map(o => o.value))) {
      const offer = this.takeOffer(offerId, framework.id)
      if (offer) offers.push(offer)
    }
    if (offerError || offers.length === 0) {
      const message = offerError ?? 'No offers specified'
      this.port.metrics.counter('master/invalid_operations').inc()
      this.port.log.warn({ framework: framework.id }, `ACCEPT from ${framework.id} refused: ${message}`)
      for (const offer of offers) this.allocator.recoverResources(framework.id, offer.agentId, offer.resources)
      for (const task of tasksOf(operations)) {
        // A duplicated ACCEPT finds its offers gone: tasks the first copy launched live on.
        if (framework.tasks.has(task.task_id.value)) continue
        this.refuseTask(framework, task.task_id.value, task.agent_id?.value, framework.partitionAware ? 'TASK_DROPPED' : 'TASK_LOST', 'REASON_INVALID_OFFERS', message)
      }
      return
    }
    const agent = this.agents.get(offers[0]!.agentId)!
    const role = offers[0]!.role
    let remaining = Resources.EMPTY
    for (const offer of offers) remaining = remaining.add(offer.resources)
    const seenInAccept = new Set<string>()
    for (const operation of operations) {
      if (operation.type === 'LAUNCH') {
        for (const task of operation.launch?.task_infos ?? []) {
          remaining = this.launchTask(framework, agent, role, task, remaining, seenInAccept)
        }
      } else if (operation.type === 'LAUNCH_GROUP') {
        remaining = this.launchGroup(framework, agent, role, operation, remaining, seenInAccept)
      } else {
        this.port.metrics.counter('master/invalid_operations').inc()
        this.port.log.warn({ framework: framework.id, type: operation.type }, `ACCEPT from ${framework.id}: operation ${operation.type} is not supported yet; ignored`)
      }
    }
    this.port.metrics.counter('master/messages_accept').inc()
    if (!remaining.isEmpty()) this.allocator.recoverResources(framework.id, agent.id, remaining, body.filters?.refuse_seconds)
  }

  private launchTask(framework: FrameworkRecord, agent: AgentRecord, role: string, task: TaskInfo, remaining: Resources, seen: Set<string>): Resources {
    const taskId = task.task_id?.value ?? ''
    const valid = validateTask(task, {
      frameworkId: framework.id,
      agentId: agent.id,
      role,
      remaining,
      seenInAccept: seen,
      isActiveTask: id => framework.tasks.has(id),
      isKnownExecutor: id => this.executorRunning(framework, agent, id),
    })
    seen.add(taskId)
    if (typeof valid === 'string') {
      this.port.metrics.counter('master/tasks_error').inc()
      this.refuseTask(framework, taskId, agent.id, 'TASK_ERROR', 'REASON_TASK_INVALID', valid)
      return remaining
    }
    const launched: TaskInfo = { ...task, resources: toJson(valid.resources) }
    this.addTask(framework, launched, valid.consumed, agent.id, 'TASK_STAGING', role)
    this.port.send(agent.pid, 'RunTask', { framework: framework.info, framework_id: { value: framework.id }, task: launched, pid: framework.pid, ...this.epochStamp() })
    return remaining.subtract(valid.consumed)
  }

  private launchGroup(framework: FrameworkRecord, agent: AgentRecord, role: string, operation: OfferOperation, remaining: Resources, seen: Set<string>): Resources {
    const group = operation.launch_group
    const tasks = group?.task_group?.tasks ?? []
    const fail = (message: string): Resources => {
      for (const task of tasks) this.refuseTask(framework, task.task_id.value, agent.id, 'TASK_ERROR', 'REASON_TASK_GROUP_INVALID', message)
      return remaining
    }
    if (!group?.executor) return fail('LAUNCH_GROUP needs an ExecutorInfo')
    if ((group.executor.type ?? 'DEFAULT') !== 'DEFAULT') return fail('LAUNCH_GROUP needs an executor of type DEFAULT')
    if (tasks.length === 0) return fail('LAUNCH_GROUP needs at least one task')
    const executorId = group.executor.executor_id?.value ?? ''
    const exIdErr = idError('ExecutorID', executorId)
    if (exIdErr) return fail(exIdErr)
    let left = remaining
    let consumed = Resources.EMPTY
    const launched: Array<{ task: TaskInfo; resources: Resources }> = []
    if (!this.executorRunning(framework, agent, executorId)) {
      const exRes = resourcesForRole(group.executor.resources, role, 'Executor')
      if (typeof exRes === 'string') return fail(exRes)
      if (!left.contains(exRes)) return fail(`Executor uses more resources than available`)
      left = left.subtract(exRes)
      consumed = consumed.add(exRes)
    }
    for (const task of tasks) {
      const withExecutor: TaskInfo = { ...task, executor: group.executor, command: undefined }
      const valid = validateTask(withExecutor, {
        frameworkId: framework.id,
        agentId: agent.id,
        role,
        remaining: left,
        seenInAccept: seen,
        isActiveTask: id => framework.tasks.has(id),
        isKnownExecutor: () => true,
      })
      seen.add(task.task_id.value)
      if (typeof valid === 'string') return fail(`Task '${task.task_id.value}' of the group is invalid: ${valid}`)
      left = left.subtract(valid.resources)
      launched.push({ task: { ...task, resources: toJson(valid.resources) }, resources: valid.resources })
    }
    // The executor's resources are accounted with the group's first task.
    launched.forEach(({ task, resources }, i) => {
      this.addTask(framework, { ...task, executor: group.executor }, i === 0 ? resources.add(consumed) : resources, agent.id, 'TASK_STAGING', role)
    })
    this.port.send(agent.pid, 'RunTaskGroup', {
      framework: framework.info,
      framework_id: { value: framework.id },
      executor: group.executor,
      task_group: { tasks: launched.map(l => l.task) },
      ...this.epochStamp(),
    })
    return left
  }

  /** This term's epoch on a launch: an agent that follows another term drops it (RunTask's `master_epoch`). */
  private epochStamp(): { master_epoch?: number } {
    return this.options.epoch === undefined ? {} : { master_epoch: this.options.epoch }
  }

  private executorRunning(framework: FrameworkRecord, agent: AgentRecord, executorId: string): boolean {
    for (const key of agent.tasks) {
      const task = framework.tasks.get(key.slice(framework.id.length + 1))
      if (task && key.startsWith(`${framework.id}/`) && task.executor?.executor_id.value === executorId) return true
    }
    return false
  }

  private offersError(framework: FrameworkRecord, offerIds: string[]): string | undefined {
    const seen = new Set<string>()
    let agentId: string | undefined
    let role: string | undefined
    for (const id of offerIds) {
      if (seen.has(id)) return `Duplicate offer ${id} in ACCEPT`
      seen.add(id)
      const offer = this.offers.get(id)
      if (!offer) return `Offer ${id} is no longer valid`
      if (offer.frameworkId !== framework.id) return `Offer ${id} has invalid framework ${offer.frameworkId} while the framework is ${framework.id}`
      if (agentId !== undefined && offer.agentId !== agentId) return 'Aggregated offers must belong to one single agent'
      if (role !== undefined && offer.role !== role) return 'Aggregated offers must be allocated to the same role'
      agentId = offer.agentId
      role = offer.role
      const agent = this.agents.get(offer.agentId)
      if (!agent || !agent.connected) return `Offer ${id} is for agent ${offer.agentId}, which is not connected`
    }
    return undefined
  }

  /** Removes a framework's offer from every index; undefined if it is not (or no longer) theirs. */
  private takeOffer(offerId: string, frameworkId: string): OfferRecord | undefined {
    const offer = this.offers.get(offerId)
    if (!offer || offer.frameworkId !== frameworkId) return undefined
    this.dropOffer(offer)
    return offer
  }

  private dropOffer(offer: OfferRecord): void {
    this.offers.delete(offer.id)
    this.offerTimeouts.cancel(offer.id)
    this.frameworks.get(offer.frameworkId)?.offers.delete(offer.id)
    this.agents.get(offer.agentId)?.offers.delete(offer.id)
  }

  /** Mesos Master::offerTimeout: an offer still unanswered after --offer_timeout is rescinded. */
  offerTimeout(offerId: string): void {
    if (!this.offerTimeouts.fired(offerId) || !this.offers.has(offerId)) return
    const offer = this.offers.get(offerId)!
    this.port.log.info({ offer: offerId, framework: offer.frameworkId, agent: offer.agentId }, `offer ${offerId} to framework ${offer.frameworkId} timed out: rescinding it`)
    this.port.metrics.counter('master/offers_timed_out').inc()
    this.rescindOffer(offerId, true)
  }

  private rescindOffer(offerId: string, tell: boolean): void {
    const offer = this.offers.get(offerId)
    if (!offer) return
    this.dropOffer(offer)
    this.allocator.recoverResources(offer.frameworkId, offer.agentId, offer.resources)
    const framework = this.frameworks.get(offer.frameworkId)
    if (tell && framework?.connected) this.port.send(framework.pid, 'Rescind', { offer_id: { value: offerId } })
  }

  // --- tasks ---------------------------------------------------------------------------------

  kill(from: Pid, body: KillBody): void {
    const framework = this.callerFramework(from, body.framework_id.value, 'KILL')
    if (!framework) return
    const task = framework.tasks.get(body.task_id.value)
    if (!task) {
      // Mesos answers a kill of an unknown task by reconciling it.
      this.port.log.warn({ framework: framework.id, task: body.task_id.value }, `cannot kill unknown task ${body.task_id.value}: reconciling it`)
      this.reconcileOne(framework, body.task_id.value, body.agent_id?.value)
      return
    }
    const agent = this.agents.get(task.agentId)
    if (!agent) return
    this.port.metrics.counter('master/messages_kill_task').inc()
    const kill: Record<string, unknown> = { framework_id: { value: framework.id }, task_id: { value: task.info.task_id.value } }
    if (body.kill_policy) kill.kill_policy = body.kill_policy
    this.port.send(agent.pid, 'KillTask', kill)
  }

  acknowledge(from: Pid, body: AcknowledgeBody): void {
    const framework = this.callerFramework(from, body.framework_id.value, 'ACKNOWLEDGE')
    if (!framework) return
    const agent = this.agents.get(body.agent_id.value)
    if (!agent) {
      this.port.log.warn({ framework: framework.id, agent: body.agent_id.value }, `acknowledgement for unknown agent ${body.agent_id.value} dropped`)
      return
    }
    this.port.metrics.counter('master/messages_status_update_acknowledgement').inc()
    this.port.send(agent.pid, 'StatusUpdateAcknowledgement', {
      agent_id: body.agent_id,
      framework_id: body.framework_id,
      task_id: body.task_id,
      uuid: body.uuid,
    })
    const task = framework.tasks.get(body.task_id.value)
    if (task && task.pendingUuid === body.uuid) {
      task.pendingUuid = undefined
      if (isTerminalState(task.state)) this.retireTask(framework, task)
    }
  }

  reconcile(from: Pid, body: ReconcileBody): void {
    const framework = this.callerFramework(from, body.framework_id.value, 'RECONCILE')
    if (!framework) return
    this.port.metrics.counter('master/messages_reconcile_tasks').inc()
    const tasks = body.tasks ?? []
    if (tasks.length === 0) {
      // Implicit: the latest state of every task the master knows for the framework.
      for (const task of framework.tasks.values()) this.sendReconciled(framework, task)
      return
    }
    for (const t of tasks) this.reconcileOne(framework, t.task_id.value, t.agent_id?.value)
  }

  private reconcileOne(framework: FrameworkRecord, taskId: string, agentId: string | undefined): void {
    const task = framework.tasks.get(taskId)
    if (task) {
      this.sendReconciled(framework, task)
      return
    }
    const orphan = this.orphanTasks.get(framework.id)?.find(o => o.info.task_id.value === taskId)
    if (orphan) return
    if (this.options.recovering && this.port.now() - this.startedAt < this.options.agentReregisterTimeoutMs && (agentId === undefined || !this.agents.has(agentId))) {
      // After a failover its agent may not have re-registered yet: answer once it has (or never).
      return
    }
    // A recovered agent that has not reregistered yet: no answer until it does or is marked unreachable (Mesos).
    if (this.recovery.awaits(agentId)) return
    const past = framework.completedTasks.findLast(t => t.info.task_id.value === taskId && (agentId === undefined || t.agentId === agentId))
    if (past && isTerminalState(past.state) && past.pendingUuid !== undefined) {
      // Retired with its agent's removal while its terminal update was still on its way to the
      // framework (unacknowledged): that update is its last word, not TASK_UNREACHABLE or
      // TASK_GONE, which would take the task back from its terminal state.
      this.sendReconciled(framework, past)
      return
    }
    const refused = this.refusedTasks.get(framework.id)?.findLast(s => s.task_id.value === taskId)
    if (refused) {
      // The master ended it before it reached an agent: that terminal state stands (an agent-based
      // answer such as TASK_UNREACHABLE would take it back, where Mesos has forgotten it).
      this.sendMasterUpdate(framework, taskId, agentId, refused.state, 'REASON_RECONCILIATION', `Reconciliation: ${refused.message ?? 'refused by the master'}`)
      return
    }
    const aware = framework.partitionAware
    if (agentId !== undefined && (this.agents.has(agentId) || this.boots.wasReplaced(agentId))) {
      this.sendMasterUpdate(framework, taskId, agentId, aware ? 'TASK_GONE' : 'TASK_LOST', 'REASON_RECONCILIATION', 'Reconciliation: Task is unknown to the agent')
    } else if (agentId !== undefined && this.removedAgents.has(agentId)) {
      this.sendMasterUpdate(framework, taskId, agentId, aware ? 'TASK_UNREACHABLE' : 'TASK_LOST', 'REASON_RECONCILIATION', 'Reconciliation: Task is unreachable')
    } else {
      this.sendMasterUpdate(framework, taskId, agentId, aware ? 'TASK_UNKNOWN' : 'TASK_LOST', 'REASON_RECONCILIATION', 'Reconciliation: Task is unknown')
    }
  }

  private sendReconciled(framework: FrameworkRecord, task: TaskRecord): void {
    if (!framework.connected) return
    const status: TaskStatus = {
      ...task.status,
      source: 'SOURCE_MASTER',
      reason: 'REASON_RECONCILIATION',
      message: 'Reconciliation: Latest task state',
      timestamp: this.port.now() / 1000,
    }
    delete status.uuid
    this.port.send(framework.pid, 'Update', { status })
  }

  message(from: Pid, body: MessageBody): void {
    const framework = this.callerFramework(from, body.framework_id.value, 'MESSAGE')
    const agent = this.agents.get(body.agent_id.value)
    if (!framework || !agent) return
    this.port.metrics.counter('master/messages_framework_to_executor').inc()
    this.port.send(agent.pid, 'FrameworkToExecutorMessage', {
      agent_id: body.agent_id,
      framework_id: body.framework_id,
      executor_id: body.executor_id,
      data: body.data,
    })
  }

  shutdownExecutor(from: Pid, body: ShutdownBody): void {
    const framework = this.callerFramework(from, body.framework_id.value, 'SHUTDOWN')
    const agent = this.agents.get(body.agent_id.value)
    if (!framework || !agent) return
    this.port.send(agent.pid, 'ShutdownExecutor', { executor_id: body.executor_id, framework_id: body.framework_id })
  }

  // --- observers and operator calls ----------------------------------------------------------

  /** Watches state changes (in process); returns the function that stops watching. */
  observe(listener: (event: MasterStateEvent) => void): () => void {
    this.observers.add(listener)
    return () => this.observers.delete(listener)
  }

  get observerCount(): number {
    return this.observers.size
  }

  private notify(event: MasterStateEvent): void {
    for (const listener of this.observers) {
      try {
        listener(event)
      } catch (err) {
        this.port.log.error({ err, event: event.type }, 'a master state observer threw; it is removed')
        this.observers.delete(listener)
      }
    }
  }

  /** UPDATE_WEIGHTS: stored and handed to the allocator (Mesos `weights_handler.cpp`). */
  updateWeights(body: UpdateWeightsBody): OperatorResultBody | Promise<OperatorResultBody> {
    const error = validateWeights(body)
    if (error) return fail('BAD_REQUEST', error)
    const infos = (body.weight_infos ?? []).map(w => ({ role: w.role!, weight: w.weight }))
    // Nothing to change: the allocator is not disturbed (its weight update re-sorts roles).
    if (infos.length === 0) return ok()
    const writes = infos.map(w => (w.weight === 1 ? deleteEntry('weights', w.role) : encodeEntry('weights', w.role, w)))
    return this.persistForOperator(writes, 'updating weights', () => {
      for (const w of infos) {
        if (w.weight === 1) this.operator.weights.delete(w.role)
        else this.operator.weights.set(w.role, w.weight)
      }
      this.allocator.updateWeights?.(infos)
      this.port.log.info({ weights: infos }, `operator updated the weights of ${infos.map(w => `${w.role}=${w.weight}`).join(', ')}`)
    })
  }

  /**
   * UPDATE_QUOTA (Mesos `quota_handler.cpp`): configs replace each role's quota; a config with
   * no guarantees and no limits removes it. Without `force`, the sum of guarantees must fit
   * in the cluster's total.
   */
  updateQuota(body: UpdateQuotaBody): OperatorResultBody | Promise<OperatorResultBody> {
    const configs = parseQuotaConfigs(body)
    if (typeof configs === 'string') return fail('BAD_REQUEST', configs)
    if (!body.force) {
      const sum = new Map<string, number>()
      const next = new Map(this.operator.quotas)
      for (const c of configs) next.set(c.role, c)
      for (const c of next.values()) for (const [name, v] of c.guarantees) sum.set(name, (sum.get(name) ?? 0) + v)
      for (const [name, v] of sum) {
        const total = Math.round(this.sumScalar(name, 'total') * 1000)
        if (v > total) {
          return fail('BAD_REQUEST', `Invalid QuotaConfig: total quota guarantees of '${name}' (${v / 1000}) exceed the cluster's total (${total / 1000}) (use 'force' flag to bypass this check)`)
        }
      }
    }
    const writes = configs.map(c =>
      c.guarantees.size === 0 && c.limits.size === 0
        ? deleteEntry('quota', c.role)
        : encodeEntry('quota', c.role, { role: c.role, guarantees: Object.fromEntries(c.guarantees), limits: Object.fromEntries(c.limits) }),
    )
    return this.persistForOperator(writes, 'updating quota', () => {
      for (const c of configs) {
        if (c.guarantees.size === 0 && c.limits.size === 0) this.operator.quotas.delete(c.role)
        else this.operator.quotas.set(c.role, c)
        this.allocator.updateQuota?.(c.role, quantitiesOf(c.guarantees), c.limits.size === 0 ? undefined : quantitiesOf(c.limits))
      }
      this.port.log.info({ roles: configs.map(c => c.role) }, `operator updated the quota of ${configs.map(c => c.role).join(', ') || 'no role'}`)
    })
  }

  reserveResources(body: ReserveBody): OperatorResultBody {
    const change = reserveChange(body)
    return typeof change === 'string' ? fail('BAD_REQUEST', change) : this.applyReservation(body.agent_id.value, change, 'RESERVE')
  }

  unreserveResources(body: UnreserveBody): OperatorResultBody {
    const change = unreserveChange(body)
    return typeof change === 'string' ? fail('BAD_REQUEST', change) : this.applyReservation(body.agent_id.value, change, 'UNRESERVE')
  }

  /**
   * Mesos `Master::Http::_operation`: rescinds the agent's offers one at a time until what the
   * operation consumes is free (neither used by tasks nor offered), then changes the agent's
   * total here, in the allocator (`UpdateAgent`) and on the agent (CheckpointResources).
   * 202 when applied, 409 when the resources are in use by tasks.
   */
  private applyReservation(agentId: string, change: ReservationChange, what: 'RESERVE' | 'UNRESERVE'): OperatorResultBody {
    const agent = this.agents.get(agentId)
    if (!agent) return fail('BAD_REQUEST', 'No agent found with specified ID')
    if (!agent.total.contains(change.consumed)) {
      return fail('CONFLICT', `Invalid ${what} operation on agent ${agentId}: the agent does not have ${JSON.stringify(toJson(change.consumed))}`)
    }
    const free = (): Resources => {
      let offered = Resources.EMPTY
      for (const id of agent.offers) offered = offered.add(this.offers.get(id)!.resources)
      return agent.total.subtract(agent.used.unallocate()).subtract(offered.unallocate())
    }
    for (const offerId of [...agent.offers]) {
      if (free().contains(change.consumed)) break
      this.rescindOffer(offerId, true)
    }
    if (!free().contains(change.consumed)) {
      return fail('CONFLICT', `Invalid ${what} operation on agent ${agentId}: the resources are in use by tasks`)
    }
    agent.total = agent.total.subtract(change.consumed).add(change.converted)
    this.allocator.updateAgent?.(agentId, agent.total)
    this.port.send(agent.pid, 'CheckpointResources', { resources: toJson(checkpointedResources(agent.total)) })
    this.port.metrics.counter(`master/messages_${what.toLowerCase()}`).inc()
    this.port.log.info({ agent: agentId, resources: toJson(change.converted) }, `operator ${what} on agent ${agentId} applied`)
    return ok('ACCEPTED')
  }

  /**
   * MARK_AGENT_GONE (Mesos `Master::markGone`): the agent is shut down and removed for good; its
   * tasks become TASK_GONE_BY_OPERATOR (TASK_LOST for frameworks that are not partition aware),
   * and it is refused if it tries to reregister.
   */
  markAgentGone(agentId: string): OperatorResultBody | Promise<OperatorResultBody> {
    if (this.operator.goneAgents.has(agentId)) return ok()
    const agent = this.agents.get(agentId)
    if (!agent && !this.removedAgents.has(agentId)) return fail('NOT_FOUND', `Agent '${agentId}' not found`)
    const now = this.port.now()
    // An unreachable agent's AgentInfo is not kept in memory; a gone agent is never readmitted, so only its id matters.
    const entry = agent ? agentEntryOf(agent) : { id: agentId, info: { hostname: '' }, pid: '', version: '', registered_at: now }
    return this.persistForOperator([encodeEntry('agents', agentId, { ...entry, gone_at: now })], `marking agent ${agentId} gone`, () => {
      if (this.operator.goneAgents.has(agentId)) return
      this.operator.goneAgents.set(agentId, now)
      this.removedAgents.delete(agentId)
      const current = this.agents.get(agentId)
      if (current) {
        const message = 'Agent has been marked gone'
        this.port.send(current.pid, 'ShutdownAgent', { message })
        this.port.metrics.counter('master/slave_removals').inc()
        this.removeAgent(current, 'REASON_AGENT_REMOVED_BY_OPERATOR', message, 'gone')
      }
      this.port.log.warn({ agent: agentId }, `operator marked agent ${agentId} gone`)
    })
  }

  /** TEARDOWN from the operator (Mesos `Master::Http::_teardown`): no caller check. */
  operatorTeardown(frameworkId: string): OperatorResultBody {
    const framework = this.frameworks.get(frameworkId)
    if (!framework) return fail('BAD_REQUEST', 'No framework found with specified ID')
    this.port.log.info({ framework: frameworkId }, `operator tore down framework ${frameworkId}`)
    this.removeFrameworkPersisted(framework, () => true, () => {
      if (framework.connected) this.port.send(framework.pid, 'Error', { message: 'Framework removed by the operator' })
    })
    return ok()
  }

  // --- registry: persist, then act ------------------------------------------------------------

  /**
   * Persists `writes`, then runs `act` (a later master event); without a registry acts at once.
   * `pid`, when given, is busy meanwhile (its retries are ignored: the answer follows the write).
   * On failure nothing is acted on and the log says why; the client's retry tries again.
   */
  private persist(pid: string | undefined, writes: RegistryWrite[], what: string, act: () => void, failed?: (err: Error) => void): void {
    if (!this.registry) return act()
    if (pid !== undefined) this.persisting.add(pid)
    this.registry.write(
      writes,
      () => {
        if (pid !== undefined) this.persisting.delete(pid)
        act()
      },
      err => {
        if (pid !== undefined) this.persisting.delete(pid)
        failed?.(err)
        // A fenced master steps down; the writer logs that once, not per waiting change.
        if (!(err instanceof RegistryFencedError)) this.port.log.warn({ err: err.message }, `${what}: not done, the registry write failed: ${err.message}`)
      },
    )
  }

  /** Operator calls answer once the change is persisted and applied; a failed write answers 503 and changes nothing. */
  private persistForOperator(writes: RegistryWrite[], what: string, act: () => void): OperatorResultBody | Promise<OperatorResultBody> {
    if (!this.registry) {
      act()
      return ok()
    }
    return new Promise(resolve => {
      this.persist(undefined, writes, what, () => (act(), resolve(ok())), err => resolve(fail('SERVICE_UNAVAILABLE', `${what}: the registry write failed: ${err.message}`)))
    })
  }

  /** Deletes the framework from the registry, then removes it (if `still()` holds then; else its entry goes back). */
  private removeFrameworkPersisted(framework: FrameworkRecord, still: () => boolean, before?: () => void): void {
    const key = `remove:${framework.id}`
    if (this.persisting.has(key)) return
    this.persist(key, [deleteEntry('frameworks', framework.id)], `removing framework ${framework.id}`, () => {
      if (this.frameworks.get(framework.id) !== framework) return
      if (!still()) {
        const entry = { id: framework.id, info: framework.info, pid: framework.pid, registered_at: framework.registeredAt }
        this.persist(undefined, [encodeEntry('frameworks', framework.id, entry)], `keeping framework ${framework.id}`, () => {})
        return
      }
      before?.()
      this.removeFramework(framework)
    })
  }

  /**
   * A new leader's state from the registry (Mesos Master::_recover): admitted agents wait to
   * reregister, unreachable and gone ones are remembered, frameworks are known but disconnected
   * until they resubscribe, weights and quota are in force at once.
   */
  private recover(r: RecoveredRegistry): void {
    const now = this.port.now()
    for (const a of r.agents) {
      if (a.gone_at !== undefined) this.operator.goneAgents.set(a.id, a.gone_at)
      else if (a.unreachable_at !== undefined) this.removedAgents.set(a.id, a.unreachable_at)
      else this.recovery.waiting.set(a.id, a)
    }
    for (const f of r.frameworks) {
      const roles = frameworkRoles(f.info)
      const record: FrameworkRecord = {
        id: f.id,
        pid: f.pid,
        info: f.info,
        roles,
        connected: false,
        active: false,
        registeredAt: f.registered_at,
        unregisteredAt: now,
        tasks: new Map(),
        offers: new Set(),
        completedTasks: new BoundedHistory(this.options.maxCompletedTasksPerFramework),
        partitionAware: hasCapability(f.info, 'PARTITION_AWARE'),
      }
      this.frameworks.set(f.id, record)
      this.frameworksByPid.set(f.pid, f.id)
      this.allocator.addFramework(f.id, roles)
      this.allocator.deactivateFramework(f.id)
      // Its failover timeout counts from this recovery; it gets at least as long as agents get to
      // come back, or a framework with the default failover_timeout 0 would lose its tasks to
      // every master failover, before it could even have found the new leader.
      const timeoutMs = Math.max(Math.max(0, (f.info.failover_timeout ?? 0) * 1000), this.options.agentReregisterTimeoutMs)
      record.failoverTimer = this.schedule({ type: 'master.frameworkFailoverTimeout', frameworkId: f.id }, timeoutMs)
    }
    for (const w of r.weights) this.operator.weights.set(w.role, w.weight)
    if (r.weights.length > 0) this.allocator.updateWeights?.(r.weights.map(w => ({ role: w.role, weight: w.weight })))
    for (const q of r.quota) {
      const config = { role: q.role, guarantees: new Map(Object.entries(q.guarantees)), limits: new Map(Object.entries(q.limits)) }
      this.operator.quotas.set(q.role, config)
      this.allocator.updateQuota?.(q.role, quantitiesOf(config.guarantees), config.limits.size === 0 ? undefined : quantitiesOf(config.limits))
    }
    this.recoveredAt = now
    this.recoveredAgents = this.recovery.waiting.size
    if (this.recovery.waiting.size > 0) this.schedule({ type: 'master.agentReregisterTimeout' }, this.options.agentReregisterTimeoutMs)
    this.port.log.info(
      { agents: this.recovery.waiting.size, unreachable: this.removedAgents.size, frameworks: r.frameworks.length, corrupt: r.errors.length },
      `recovered the registry: ${this.recovery.waiting.size} agents to reregister within ${this.options.agentReregisterTimeoutMs} ms, ${r.frameworks.length} frameworks`,
    )
  }

  /** --agent_reregister_timeout after a failover: recovered agents still missing are marked unreachable. */
  agentReregisterTimeout(): void {
    const missing = [...this.recovery.waiting.values()]
    if (missing.length === 0) return
    const now = this.port.now()
    for (const a of missing) this.recovery.marking(a.id)
    const writes = missing.map(a => encodeEntry('agents', a.id, { ...a, unreachable_at: now }))
    this.persist(undefined, writes, `marking ${missing.length} agents that did not reregister unreachable`, () => {
      const marked = missing.filter(a => this.recovery.marked(a.id))
      for (const a of marked) this.removedAgents.set(a.id, now)
      this.port.metrics.counter('master/recovery_slave_removals').inc(marked.length)
      this.port.log.warn({ agents: marked.map(a => a.id) }, `${marked.length} agents did not reregister within ${this.options.agentReregisterTimeoutMs} ms: marked unreachable`)
    }, () => {
      for (const a of missing) this.recovery.unmark(a.id)
      this.schedule({ type: 'master.agentReregisterTimeout' }, this.options.agentPingTimeoutMs)
    })
  }

  // --- internals -----------------------------------------------------------------------------

  /** `accountUsed`: add the resources to the agent's used (a launch); readmission accounts them itself. */
  private addTask(framework: FrameworkRecord, info: TaskInfo, resources: Resources, agentId: string, state: TaskState, role: string, accountUsed = true): void {
    const key = taskKey(framework.id, info.task_id.value)
    const status: TaskStatus = { task_id: info.task_id, state, agent_id: { value: agentId }, source: 'SOURCE_MASTER', timestamp: this.port.now() / 1000 }
    const record: TaskRecord = { key, frameworkId: framework.id, agentId, info, resources, executor: info.executor, state, status, role }
    framework.tasks.set(info.task_id.value, record)
    const agent = this.agents.get(agentId)
    if (agent) {
      agent.tasks.add(key)
      if (accountUsed && !isTerminalState(state)) agent.used = agent.used.add(resources)
    }
    if (this.observers.size > 0) this.notify({ type: 'TASK_ADDED', task: record })
  }

  private updateTask(framework: FrameworkRecord, task: TaskRecord, status: TaskStatus, uuid: string | undefined): void {
    const wasTerminal = isTerminalState(task.state)
    // Mesos Master::updateTask: an older update (a retry of one sent before the task ended) never
    // takes a task back from a terminal state; it is still forwarded to the framework.
    if (wasTerminal && !isTerminalState(status.state)) return
    const changed = task.state !== status.state
    task.state = status.state
    task.status = status
    task.pendingUuid = uuid
    if (!wasTerminal && isTerminalState(status.state)) {
      const counter = TERMINAL_COUNTERS[status.state]
      if (counter) this.port.metrics.counter(counter).inc()
      this.releaseTaskResources(framework, task)
      // Without a uuid there is nothing to acknowledge: retire at once.
      if (uuid === undefined) this.retireTask(framework, task)
    }
    if (changed && this.observers.size > 0) this.notify({ type: 'TASK_UPDATED', task })
  }

  /** A terminal task's resources go back to the allocator as soon as the master hears of it. */
  private releaseTaskResources(framework: FrameworkRecord, task: TaskRecord): void {
    const agent = this.agents.get(task.agentId)
    if (!agent) return
    agent.used = agent.used.subtract(task.resources)
    this.allocator.recoverResources(framework.id, agent.id, task.resources)
  }

  private retireTask(framework: FrameworkRecord, task: TaskRecord): void {
    framework.tasks.delete(task.info.task_id.value)
    this.agents.get(task.agentId)?.tasks.delete(task.key)
    framework.completedTasks.push(task)
  }

  /** A status the master generates itself (no uuid: frameworks must not acknowledge it). */
  /** A task the master ends before any agent has it (an invalid ACCEPT or task): told, and remembered for reconciliation. */
  private refuseTask(framework: FrameworkRecord, taskId: string, agentId: string | undefined, state: TaskState, reason: TaskStatusReason, message: string): void {
    let refused = this.refusedTasks.get(framework.id)
    if (!refused) this.refusedTasks.set(framework.id, (refused = new BoundedHistory<TaskStatus>(REFUSED_TASKS_KEPT)))
    refused.push({ task_id: { value: taskId }, state, reason, message })
    this.sendMasterUpdate(framework, taskId, agentId, state, reason, message)
  }

  private sendMasterUpdate(framework: FrameworkRecord, taskId: string, agentId: string | undefined, state: TaskState, reason: TaskStatusReason, message: string): void {
    const status: TaskStatus = { task_id: { value: taskId }, state, reason, message, source: 'SOURCE_MASTER', timestamp: this.port.now() / 1000 }
    if (agentId) status.agent_id = { value: agentId }
    if (framework.connected) this.port.send(framework.pid, 'Update', { status })
  }

  /**
   * `how`: `unreachable` (missed pings: it may come back), `replaced` (a new agent process took its
   * address: its tasks are gone) or `gone` (the operator marked it gone).
   */
  private removeAgent(agent: AgentRecord, reason: TaskStatusReason, message: string, how: 'unreachable' | 'replaced' | 'gone' = 'unreachable'): void {
    for (const offerId of [...agent.offers]) this.rescindOffer(offerId, true)
    for (const key of [...agent.tasks]) {
      const frameworkId = key.slice(0, key.indexOf('/'))
      const framework = this.frameworks.get(frameworkId)
      const task = framework?.tasks.get(key.slice(frameworkId.length + 1))
      if (!framework || !task) continue
      if (isTerminalState(task.state)) {
        // Terminal and waiting for its acknowledgement: the framework knows how it ended.
        this.retireTask(framework, task)
        continue
      }
      const state: TaskState = !framework.partitionAware ? 'TASK_LOST' : how === 'gone' ? 'TASK_GONE_BY_OPERATOR' : how === 'replaced' ? 'TASK_GONE' : 'TASK_UNREACHABLE'
      const status: TaskStatus = { task_id: task.info.task_id, state, reason, message, source: 'SOURCE_MASTER', agent_id: { value: agent.id }, timestamp: this.port.now() / 1000 }
      this.port.metrics.counter(REMOVAL_COUNTERS[state] ?? 'master/tasks_lost').inc()
      task.state = state
      task.status = status
      task.pendingUuid = undefined
      this.retireTask(framework, task)
      if (this.observers.size > 0) this.notify({ type: 'TASK_UPDATED', task })
      if (framework.connected) this.port.send(framework.pid, 'Update', { status })
    }
    this.allocator.removeAgent(agent.id)
    this.agents.delete(agent.id)
    this.agentsByPid.delete(agent.pid)
    if (how === 'unreachable') this.removedAgents.set(agent.id, this.port.now())
    this.boots.agentRemoved(agent.bootId, agent.id, how === 'replaced')
    this.port.unlink(agent.pid)
    if (this.observers.size > 0) this.notify({ type: 'AGENT_REMOVED', agentId: agent.id })
  }

  private disconnectFramework(framework: FrameworkRecord): void {
    if (!framework.connected) return
    framework.connected = false
    framework.active = false
    framework.unregisteredAt = this.port.now()
    this.allocator.deactivateFramework(framework.id)
    for (const offerId of [...framework.offers]) this.rescindOffer(offerId, false)
    const timeoutMs = Math.max(0, (framework.info.failover_timeout ?? 0) * 1000)
    this.port.log.warn({ framework: framework.id, failoverTimeoutMs: timeoutMs }, `framework ${framework.id} disconnected; removing it in ${timeoutMs} ms unless it fails over`)
    framework.failoverTimer = this.schedule({ type: 'master.frameworkFailoverTimeout', frameworkId: framework.id }, timeoutMs)
    if (this.observers.size > 0) this.notify({ type: 'FRAMEWORK_UPDATED', framework })
  }

  private removeFramework(framework: FrameworkRecord): void {
    this.refusedTasks.delete(framework.id)
    if (framework.failoverTimer !== undefined) this.port.clock.clearTimeout(framework.failoverTimer)
    for (const offerId of [...framework.offers]) this.rescindOffer(offerId, false)
    const agentsWithTasks = new Set<string>()
    for (const task of [...framework.tasks.values()]) {
      agentsWithTasks.add(task.agentId)
      if (!isTerminalState(task.state)) {
        this.releaseTaskResources(framework, task)
        task.state = 'TASK_KILLED'
        task.status = { ...task.status, state: 'TASK_KILLED', reason: 'REASON_FRAMEWORK_REMOVED', source: 'SOURCE_MASTER' }
        this.port.metrics.counter('master/tasks_killed').inc()
        if (this.observers.size > 0) this.notify({ type: 'TASK_UPDATED', task })
      }
      this.retireTask(framework, task)
    }
    for (const agentId of agentsWithTasks) {
      const agent = this.agents.get(agentId)
      if (agent) this.port.send(agent.pid, 'ShutdownFramework', { framework_id: { value: framework.id } })
    }
    this.allocator.removeFramework(framework.id)
    this.frameworks.delete(framework.id)
    this.frameworksByPid.delete(framework.pid)
    this.removedFrameworkIds.add(framework.id)
    framework.connected = false
    framework.active = false
    framework.unregisteredAt = this.port.now()
    this.completedFrameworks.push(framework)
    this.port.unlink(framework.pid)
    this.port.metrics.counter('master/frameworks_removed').inc()
    if (this.observers.size > 0) this.notify({ type: 'FRAMEWORK_REMOVED', framework })
  }

  /** The framework a scheduler call is about, if the caller may speak for it. */
  private callerFramework(from: Pid, frameworkId: string, call: string): FrameworkRecord | undefined {
    const framework = this.frameworks.get(frameworkId)
    if (!framework) {
      this.port.send(from, 'Error', { message: `Framework ${frameworkId} is not subscribed (${call})` })
      return undefined
    }
    if (framework.pid !== from) {
      this.port.metrics.counter('master/invalid_framework_calls').inc()
      this.port.log.warn({ framework: frameworkId, from, call }, `ignoring ${call} for framework ${frameworkId} from ${from}: it is subscribed at ${framework.pid}`)
      return undefined
    }
    return framework
  }

  private frameworkInfoError(info: FrameworkInfo): string | undefined {
    if (!info.name?.trim()) return 'FrameworkInfo.name must be set'
    if (info.user === undefined) return 'FrameworkInfo.user must be set'
    if (info.failover_timeout !== undefined && (!Number.isFinite(info.failover_timeout) || info.failover_timeout < 0)) {
      return `FrameworkInfo.failover_timeout must be a non-negative number of seconds, got ${info.failover_timeout}`
    }
    const multiRole = hasCapability(info, 'MULTI_ROLE')
    if (!multiRole && info.roles?.length) return "FrameworkInfo.roles is set but the framework lacks the MULTI_ROLE capability (use 'role', or add MULTI_ROLE)"
    if (multiRole && info.role !== undefined && info.role !== '*' && !info.roles?.length) return "A MULTI_ROLE framework must use 'roles', not 'role'"
    for (const role of frameworkRoles(info)) {
      if (!isValidRole(role)) return `Invalid role '${role}'`
    }
    return undefined
  }

  private parseAgent(from: Pid, info: AgentInfo): Resources | undefined {
    if (!info.hostname?.trim()) {
      this.port.send(from, 'ShutdownAgent', { message: 'Agent registration refused: AgentInfo.hostname is empty' })
      return undefined
    }
    try {
      return fromJson(info.resources ?? [])
    } catch (err) {
      if (!isResourceError(err)) throw err
      const reason = err.message
      this.port.log.warn({ from }, `refusing agent at ${from}: invalid resources: ${reason}`)
      this.port.send(from, 'ShutdownAgent', { message: `Agent registration refused: invalid resources: ${reason}` })
      return undefined
    }
  }

  private admitAgent(id: string, pid: Pid, info: AgentInfo, total: Resources, version: string, bootId: string | undefined): AgentRecord {
    const record: AgentRecord = {
      id,
      pid,
      info: { ...info, id: { value: id } },
      total,
      used: Resources.EMPTY,
      registeredAt: this.port.now(),
      connected: true,
      missedPings: 0,
      tasks: new Set(),
      offers: new Set(),
      version,
    }
    if (bootId !== undefined) record.bootId = bootId
    this.boots.admitted(bootId, pid, id)
    this.agents.set(id, record)
    this.agentsByPid.set(pid, id)
    this.port.link(pid)
    if (this.observers.size > 0) this.notify({ type: 'AGENT_ADDED', agent: record })
    return record
  }

  private sendAgentRegistered(pid: Pid, id: string, bootId: string | undefined): void {
    this.port.send(pid, 'AgentRegistered', {
      agent_id: { value: id },
      ...(bootId === undefined ? {} : { boot_id: bootId }),
      connection: { total_ping_timeout_seconds: (this.options.agentPingTimeoutMs * this.options.maxAgentPingTimeouts) / 1000 },
      master_info: this.masterInfo(),
    })
  }

  /** `body`: the agent's report, to reconcile the tasks the master knows against (none: nothing to reconcile). */
  private sendAgentReregistered(pid: Pid, agent: AgentRecord, body: ReregisterAgentBody | undefined): void {
    // Tell the agent which tasks the master believes it runs: it answers for the missing ones.
    const byFramework = new Map<string, TaskStatus[]>()
    const reported = body && new Set((body.tasks ?? []).map(t => taskKey(t.framework_id.value, t.task_id.value)))
    if (reported) {
      for (const key of agent.tasks) {
        if (reported.has(key)) continue
        const frameworkId = key.slice(0, key.indexOf('/'))
        const task = this.frameworks.get(frameworkId)?.tasks.get(key.slice(frameworkId.length + 1))
        if (!task || isTerminalState(task.state)) continue
        let list = byFramework.get(frameworkId)
        if (!list) byFramework.set(frameworkId, (list = []))
        list.push({ task_id: task.info.task_id, state: task.state, agent_id: { value: agent.id } })
      }
    }
    this.port.send(pid, 'AgentReregistered', {
      agent_id: { value: agent.id },
      connection: { total_ping_timeout_seconds: (this.options.agentPingTimeoutMs * this.options.maxAgentPingTimeouts) / 1000 },
      master_info: this.masterInfo(),
      reconciliations: [...byFramework].map(([frameworkId, statuses]) => ({ framework_id: { value: frameworkId }, statuses })),
    })
  }

  private offerJson(offer: OfferRecord, agent: AgentRecord): Offer {
    const json: Offer = {
      id: { value: offer.id },
      framework_id: { value: offer.frameworkId },
      agent_id: { value: agent.id },
      hostname: agent.info.hostname,
      resources: toJson(offer.resources),
      allocation_info: { role: offer.role },
    }
    if (agent.info.attributes?.length) json.attributes = agent.info.attributes
    if (agent.info.port !== undefined) {
      // Mesos: hostname, ip and port of the agent (the ip from its libprocess address).
      const ip = agent.ip ?? (isIP(agent.info.hostname) ? agent.info.hostname : undefined)
      json.url = { scheme: 'http', address: { hostname: agent.info.hostname, ...(ip === undefined ? {} : { ip }), port: agent.info.port }, path: '/slave(1)' }
    }
    return json
  }

  masterInfo(): { id: string; ip: number; port: number; hostname: string; version: string; pid: string } {
    return { id: this.options.idPrefix, ip: 0, port: this.options.port, hostname: this.options.hostname, version: MASTER_VERSION, pid: this.port.self }
  }

  private countAgents(connected: boolean): number {
    let n = 0
    for (const a of this.agents.values()) if (a.connected === connected) n++
    return n
  }

  private countFrameworks(connected: boolean): number {
    let n = 0
    for (const f of this.frameworks.values()) if (f.connected === connected) n++
    return n
  }

  private countTasks(state: TaskState): number {
    let n = 0
    for (const f of this.frameworks.values()) for (const t of f.tasks.values()) if (t.state === state) n++
    return n
  }

  private sumScalar(name: string, which: 'total' | 'used'): number {
    let milli = 0
    for (const a of this.agents.values()) milli += a[which].scalarMilli(name)
    return milli / 1000
  }
}

function tasksOf(operations: readonly OfferOperation[]): TaskInfo[] {
  const tasks: TaskInfo[] = []
  for (const op of operations) {
    if (op.type === 'LAUNCH') tasks.push(...(op.launch?.task_infos ?? []))
    if (op.type === 'LAUNCH_GROUP') tasks.push(...(op.launch_group?.task_group?.tasks ?? []))
  }
  return tasks
}

function allocationRoleOf(resources: Resources): string | undefined {
  for (const r of resources) if (r.allocationRole !== undefined) return r.allocationRole
  return undefined
}
