// The master's decisions and bookkeeping: agents, frameworks, offers and tasks, held in plain
// indexed maps and mutated in place. The XState machine around it (master-machine.ts) only
// turns messages and timers into calls here; everything leaves through the port.
import { isIP } from 'node:net'
import type { ActorPort, Pid } from '../../runtime/index.js'
import { Resources, fromJson, toJson, isValidRole, type Quantities } from '../resources/index.js'
import {
  isTerminalState,
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
export type MasterTimerEvent = { type: 'master.frameworkFailoverTimeout'; frameworkId: string }

const TERMINAL_COUNTERS: Partial<Record<TaskState, string>> = {
  TASK_FINISHED: 'master/tasks_finished',
  TASK_FAILED: 'master/tasks_failed',
  TASK_KILLED: 'master/tasks_killed',
  TASK_LOST: 'master/tasks_lost',
  TASK_ERROR: 'master/tasks_error',
  TASK_DROPPED: 'master/tasks_dropped',
  TASK_GONE: 'master/tasks_gone',
}

/** About 100 KB of JSON-shaped offers per message, far below NATS's 1 MiB max_payload. */
const OFFERS_PER_MESSAGE = 200

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

  constructor(
    private readonly port: ActorPort,
    private readonly options: MasterOptions,
    private readonly allocator: AllocatorLink,
    private readonly schedule: (event: MasterTimerEvent, delayMs: number) => unknown,
  ) {
    this.startedAt = port.now()
    this.completedFrameworks = new BoundedHistory(options.maxCompletedFrameworks)
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
  }

  // --- agents --------------------------------------------------------------------------------

  registerAgent(from: Pid, body: RegisterAgentBody): void {
    const existingId = this.agentsByPid.get(from)
    if (existingId) {
      // A retry whose AgentRegistered was lost: answer again, idempotently.
      this.sendAgentRegistered(from, existingId, 'AgentRegistered')
      return
    }
    const parsed = this.parseAgent(from, body.agent)
    if (!parsed) return
    const id = `${this.options.idPrefix}-S${this.agentSeq++}`
    const record = this.admitAgent(id, from, body.agent, parsed, body.version)
    record.ip = body.ip
    this.allocator.addAgent(id, record.total, new Map())
    this.port.metrics.counter('master/slave_registrations').inc()
    this.port.log.info({ agent: id, pid: from, hostname: body.agent.hostname }, `registered agent ${id} at ${from} (${body.agent.hostname})`)
    this.sendAgentRegistered(from, id, 'AgentRegistered')
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
    const known = this.agents.get(id)
    if (known) {
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
      this.port.log.info({ agent: id, pid: from }, `agent ${id} reregistered from ${from}`)
      this.sendAgentReregistered(from, known, body)
      return
    }
    // Unknown id: this master restarted, or removed the agent after it missed its pings.
    const parsed = this.parseAgent(from, body.agent)
    if (!parsed) return
    const wasRemoved = this.removedAgents.delete(id)
    const record = this.admitAgent(id, from, body.agent, parsed, body.version)
    record.ip = body.ip
    const used = new Map<string, Resources>()
    const killOnReturn: Array<{ frameworkId: string; taskId: string }> = []
    for (const task of body.tasks ?? []) {
      if (isTerminalState(task.state)) continue
      const framework = this.frameworks.get(task.framework_id.value)
      let resources: Resources
      try {
        resources = fromJson(task.resources ?? [])
      } catch {
        continue
      }
      record.used = record.used.add(resources)
      const forFramework = used.get(task.framework_id.value) ?? Resources.EMPTY
      used.set(task.framework_id.value, forFramework.add(resources))
      const info: TaskInfo = { name: task.name, task_id: task.task_id, agent_id: { value: id }, resources: task.resources }
      if (task.executor_id) info.executor = { executor_id: task.executor_id }
      if (framework && !framework.tasks.has(task.task_id.value)) {
        if (wasRemoved && !framework.partitionAware) {
          // Mesos: a non-partition-aware framework was told TASK_LOST; the task must not live on.
          killOnReturn.push({ frameworkId: framework.id, taskId: task.task_id.value })
        }
        this.addTask(framework, info, resources, id, task.state, allocationRoleOf(resources) ?? framework.roles[0] ?? '*', false)
      } else if (!framework && !this.removedFrameworkIds.has(task.framework_id.value)) {
        // After a master failover agents often come back before their frameworks: keep the
        // task (Mesos's orphan tasks) until the framework resubscribes with its id.
        let orphans = this.orphanTasks.get(task.framework_id.value)
        if (!orphans) this.orphanTasks.set(task.framework_id.value, (orphans = []))
        orphans.push({ info, resources, agentId: id, state: task.state, role: allocationRoleOf(resources) })
      }
    }
    this.allocator.addAgent(id, record.total, used)
    this.port.metrics.counter('master/slave_reregistrations').inc()
    this.port.log.info({ agent: id, pid: from, returning: wasRemoved }, `readmitted agent ${id} from ${from}`)
    this.sendAgentReregistered(from, record, body)
    for (const k of killOnReturn) this.port.send(from, 'KillTask', { framework_id: { value: k.frameworkId }, task_id: { value: k.taskId } })
  }

  pong(from: Pid): void {
    const id = this.agentsByPid.get(from)
    if (!id) return
    const agent = this.agents.get(id)!
    agent.missedPings = 0
    if (!agent.connected) {
      agent.connected = true
      this.allocator.activateAgent(id)
    }
  }

  /** One round of health checks (every agent_ping_timeout): Mesos's slave observer. */
  pingRound(): void {
    for (const agent of [...this.agents.values()]) {
      if (agent.missedPings >= this.options.maxAgentPingTimeouts) {
        this.port.log.warn({ agent: agent.id }, `agent ${agent.id} at ${agent.pid} missed ${agent.missedPings} pings: removing it`)
        this.port.metrics.counter('master/slave_removals').inc()
        this.port.metrics.counter('master/slave_unreachable_completed').inc()
        this.removeAgent(agent, 'REASON_AGENT_REMOVED', `Agent ${agent.info.hostname} removed: health check timed out`)
        continue
      }
      agent.missedPings++
      this.port.send(agent.pid, 'Ping', { connected: true })
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
    if (framework.connected) this.port.send(framework.pid, 'Update', { status })
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
    const existing = requestedId ? this.frameworks.get(requestedId) : this.frameworks.get(this.frameworksByPid.get(from) ?? '')
    if (existing) {
      this.resubscribe(existing, from, body)
      return
    }
    const id = requestedId ?? `${this.options.idPrefix}-${String(this.frameworkSeq++).padStart(4, '0')}`
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
    this.removeFramework(framework)
  }

  frameworkFailoverTimeout(frameworkId: string): void {
    const framework = this.frameworks.get(frameworkId)
    if (!framework || framework.connected) return
    framework.failoverTimer = undefined
    this.port.log.warn({ framework: frameworkId }, `framework ${frameworkId} did not fail over within its failover_timeout: removing it`)
    this.removeFramework(framework)
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
        this.sendMasterUpdate(framework, task.task_id.value, task.agent_id?.value, framework.partitionAware ? 'TASK_DROPPED' : 'TASK_LOST', 'REASON_INVALID_OFFERS', message)
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
      this.sendMasterUpdate(framework, taskId, agent.id, 'TASK_ERROR', 'REASON_TASK_INVALID', valid)
      return remaining
    }
    const launched: TaskInfo = { ...task, resources: toJson(valid.resources) }
    this.addTask(framework, launched, valid.consumed, agent.id, 'TASK_STAGING', role)
    this.port.send(agent.pid, 'RunTask', { framework: framework.info, framework_id: { value: framework.id }, task: launched, pid: framework.pid })
    return remaining.subtract(valid.consumed)
  }

  private launchGroup(framework: FrameworkRecord, agent: AgentRecord, role: string, operation: OfferOperation, remaining: Resources, seen: Set<string>): Resources {
    const group = operation.launch_group
    const tasks = group?.task_group?.tasks ?? []
    const fail = (message: string): Resources => {
      for (const task of tasks) this.sendMasterUpdate(framework, task.task_id.value, agent.id, 'TASK_ERROR', 'REASON_TASK_GROUP_INVALID', message)
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
    })
    return left
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
    this.frameworks.get(offer.frameworkId)?.offers.delete(offer.id)
    this.agents.get(offer.agentId)?.offers.delete(offer.id)
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
    const aware = framework.partitionAware
    if (agentId !== undefined && this.agents.has(agentId)) {
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
  updateWeights(body: UpdateWeightsBody): OperatorResultBody {
    const error = validateWeights(body)
    if (error) return fail('BAD_REQUEST', error)
    const infos = (body.weight_infos ?? []).map(w => ({ role: w.role!, weight: w.weight }))
    // Nothing to change: the allocator is not disturbed (its weight update re-sorts roles).
    if (infos.length === 0) return ok()
    for (const w of infos) {
      if (w.weight === 1) this.operator.weights.delete(w.role)
      else this.operator.weights.set(w.role, w.weight)
    }
    this.allocator.updateWeights?.(infos)
    this.port.log.info({ weights: infos }, `operator updated the weights of ${infos.map(w => `${w.role}=${w.weight}`).join(', ')}`)
    return ok()
  }

  /**
   * UPDATE_QUOTA (Mesos `quota_handler.cpp`): configs replace each role's quota; a config with
   * no guarantees and no limits removes it. Without `force`, the sum of guarantees must fit
   * in the cluster's total.
   */
  updateQuota(body: UpdateQuotaBody): OperatorResultBody {
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
    for (const c of configs) {
      if (c.guarantees.size === 0 && c.limits.size === 0) this.operator.quotas.delete(c.role)
      else this.operator.quotas.set(c.role, c)
      this.allocator.updateQuota?.(c.role, quantitiesOf(c.guarantees), c.limits.size === 0 ? undefined : quantitiesOf(c.limits))
    }
    this.port.log.info({ roles: configs.map(c => c.role) }, `operator updated the quota of ${configs.map(c => c.role).join(', ') || 'no role'}`)
    return ok()
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
  markAgentGone(agentId: string): OperatorResultBody {
    if (this.operator.goneAgents.has(agentId)) return ok()
    const agent = this.agents.get(agentId)
    if (!agent && !this.removedAgents.has(agentId)) return fail('NOT_FOUND', `Agent '${agentId}' not found`)
    this.operator.goneAgents.set(agentId, this.port.now())
    this.removedAgents.delete(agentId)
    if (agent) {
      const message = 'Agent has been marked gone'
      this.port.send(agent.pid, 'ShutdownAgent', { message })
      this.port.metrics.counter('master/slave_removals').inc()
      this.removeAgent(agent, 'REASON_AGENT_REMOVED_BY_OPERATOR', message, true)
    }
    this.port.log.warn({ agent: agentId }, `operator marked agent ${agentId} gone`)
    return ok()
  }

  /** TEARDOWN from the operator (Mesos `Master::Http::_teardown`): no caller check. */
  operatorTeardown(frameworkId: string): OperatorResultBody {
    const framework = this.frameworks.get(frameworkId)
    if (!framework) return fail('BAD_REQUEST', 'No framework found with specified ID')
    this.port.log.info({ framework: frameworkId }, `operator tore down framework ${frameworkId}`)
    if (framework.connected) this.port.send(framework.pid, 'Error', { message: 'Framework removed by the operator' })
    this.removeFramework(framework)
    return ok()
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
  private sendMasterUpdate(framework: FrameworkRecord, taskId: string, agentId: string | undefined, state: TaskState, reason: TaskStatusReason, message: string): void {
    const status: TaskStatus = { task_id: { value: taskId }, state, reason, message, source: 'SOURCE_MASTER', timestamp: this.port.now() / 1000 }
    if (agentId) status.agent_id = { value: agentId }
    if (framework.connected) this.port.send(framework.pid, 'Update', { status })
  }

  private removeAgent(agent: AgentRecord, reason: TaskStatusReason, message: string, goneByOperator = false): void {
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
      const state: TaskState = framework.partitionAware ? (goneByOperator ? 'TASK_GONE_BY_OPERATOR' : 'TASK_UNREACHABLE') : 'TASK_LOST'
      const status: TaskStatus = { task_id: task.info.task_id, state, reason, message, source: 'SOURCE_MASTER', agent_id: { value: agent.id }, timestamp: this.port.now() / 1000 }
      this.port.metrics.counter(state === 'TASK_LOST' ? 'master/tasks_lost' : state === 'TASK_UNREACHABLE' ? 'master/tasks_unreachable' : 'master/tasks_gone_by_operator').inc()
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
    if (!goneByOperator) this.removedAgents.set(agent.id, this.port.now())
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

  private admitAgent(id: string, pid: Pid, info: AgentInfo, total: Resources, version: string): AgentRecord {
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
    this.agents.set(id, record)
    this.agentsByPid.set(pid, id)
    this.port.link(pid)
    if (this.observers.size > 0) this.notify({ type: 'AGENT_ADDED', agent: record })
    return record
  }

  private sendAgentRegistered(pid: Pid, id: string, type: 'AgentRegistered'): void {
    this.port.send(pid, type, {
      agent_id: { value: id },
      connection: { total_ping_timeout_seconds: (this.options.agentPingTimeoutMs * this.options.maxAgentPingTimeouts) / 1000 },
      master_info: this.masterInfo(),
    })
  }

  private sendAgentReregistered(pid: Pid, agent: AgentRecord, body: ReregisterAgentBody): void {
    // Tell the agent which tasks the master believes it runs: it answers for the missing ones.
    const reported = new Set((body.tasks ?? []).map(t => taskKey(t.framework_id.value, t.task_id.value)))
    const byFramework = new Map<string, TaskStatus[]>()
    for (const key of agent.tasks) {
      if (reported.has(key)) continue
      const frameworkId = key.slice(0, key.indexOf('/'))
      const task = this.frameworks.get(frameworkId)?.tasks.get(key.slice(frameworkId.length + 1))
      if (!task || isTerminalState(task.state)) continue
      let list = byFramework.get(frameworkId)
      if (!list) byFramework.set(frameworkId, (list = []))
      list.push({ task_id: task.info.task_id, state: task.state, agent_id: { value: agent.id } })
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
