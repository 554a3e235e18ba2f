// The public face of the scheduler SDK: a framework author writes SchedulerCallbacks, starts a
// SchedulerDriver, and calls its methods; the driver (an actor, scheduler-machine.ts) does the
// protocol: subscription with backoff, framework failover, heartbeats, acknowledgements.
// An example is in README.md.
import { randomUUID } from 'node:crypto'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import {
  createLogger,
  isValidPid,
  NatsTransport,
  Runtime,
  type ActorHandle,
  type Clock,
  type Logger,
  type Pid,
} from '../../runtime/index.js'
import {
  encodeBytes,
  FrameworkInfo as FrameworkInfoSchema,
  SchedulerMessages,
  type AgentID,
  type ExecutorID,
  type ExecutorInfo,
  type Filters,
  type FrameworkID,
  type FrameworkInfo,
  type KillPolicy,
  type MasterInfo,
  type Offer,
  type OfferID,
  type OfferOperation,
  type TaskGroupInfo,
  type TaskID,
  type TaskInfo,
  type TaskStatus,
} from '../protocol/index.js'
import { DEFAULT_REGISTRATION_BACKOFF_FACTOR_MS, REGISTRATION_RETRY_INTERVAL_MAX_MS } from './backoff.js'
import { nativeConnection, type ConnectionFactory } from './connection.js'
import { SchedulerConfigError, SchedulerUsageError } from './errors.js'
import { StaticMasterDetector, type MasterDetector } from './master-detector.js'
import {
  schedulerMachine,
  type DriverCall,
  type SchedulerContext,
  type SchedulerFailure,
  type SchedulerListener,
  type SchedulerOutcome,
  type SchedulerState,
  type SchedulerStats,
  type SubscribedInfo,
} from './scheduler-machine.js'

/**
 * What a framework implements. Every callback is optional and receives the driver first, so it
 * can answer at once (launch on offers, kill on an update, ...). Callbacks run inside the
 * driver's actor, one at a time, in the order the master sent the events; calls made from a
 * callback are queued and sent after it returns. A callback may be async: the driver does not
 * wait for its promise (later events are not held back), but a rejection is logged like a
 * throw. A throw is logged at error and counted (`driver.stats.callbackErrors`), never fatal.
 */
export interface SchedulerCallbacks {
  /**
   * The master accepted the subscription; `frameworkId` is the framework's id (assigned now on a
   * first subscription, the same one after a reconnection or a failover). Reconcile here after a
   * reconnection (`info.resubscribed`): updates sent while disconnected may have been missed.
   */
  subscribed?(driver: SchedulerDriver, frameworkId: FrameworkID, masterInfo: MasterInfo | undefined, info: SubscribedInfo): unknown
  /**
   * New offers. Answer each with accept/launch/launchGroup or decline; an offer left
   * unanswered holds its resources until the master rescinds it.
   */
  offers?(driver: SchedulerDriver, offers: Offer[]): unknown
  /** An offer is no longer valid (its agent was lost, it timed out, ...): accepting it fails. */
  rescind?(driver: SchedulerDriver, offerId: OfferID): unknown
  /**
   * A task's status changed. With automatic acknowledgement (the default) the driver
   * acknowledges it after this returns, unless this throws; otherwise call `acknowledge`.
   */
  update?(driver: SchedulerDriver, status: TaskStatus): unknown
  /** Data an executor sent to the framework (best effort, no ordering or delivery guarantee). */
  message?(driver: SchedulerDriver, agentId: AgentID, executorId: ExecutorID, data: Uint8Array): unknown
  /** An agent was removed (no executorId) or one of the framework's executors exited (status set). */
  failure?(driver: SchedulerDriver, failure: SchedulerFailure): unknown
  /**
   * The subscription was lost (the master exited, missed heartbeats, a new leader). The
   * driver is already subscribing again, with the framework id; calls made until `subscribed`
   * are dropped (see SchedulerDriver).
   */
  disconnected?(driver: SchedulerDriver): unknown
  /**
   * The master refused or ended the framework (e.g. invalid FrameworkInfo, framework removed, a
   * newer instance took over). The driver has stopped (`aborted`) and will not reconnect.
   */
  error?(driver: SchedulerDriver, message: string): unknown
}

export interface SchedulerOptions {
  /** Acknowledge every status update with a uuid after `update` returns (default true). */
  autoAcknowledge?: boolean
  /** First bound of the Subscribe retry backoff, Mesos's --registration_backoff_factor (default 2000 ms). */
  registrationBackoffFactorMs?: number
  /** Largest bound of the Subscribe retry backoff (default 60000 ms, Mesos's REGISTRATION_RETRY_INTERVAL_MAX). */
  registrationBackoffMaxMs?: number
  /** Heartbeat intervals without any event after which the master counts as lost (default 5). */
  maxMissedHeartbeats?: number
  /** Roles that start suppressed (no offers until revive). */
  suppressedRoles?: string[]
  /** Uniform in [0, 1), for the backoff's jitter (default Math.random; tests pass a seeded one). */
  random?: () => number
}

/** Where the master is: one pid, or a detector that follows the leader. */
export type MasterLocation = { masterPid: Pid; detector?: undefined } | { detector: MasterDetector; masterPid?: undefined }

export interface StartSchedulerOptions {
  /** The runtime that hosts the driver's actor (its transport reaches the master). */
  runtime: Runtime
  /** The framework; set `id` (and a `failover_timeout`) to take over from an earlier instance. */
  framework: FrameworkInfo
  callbacks: SchedulerCallbacks
  options?: SchedulerOptions
  /** The pid's id: the driver is `scheduler-<id>@<node>` (default: random). */
  id?: string
  /** The master's pid. Give exactly one of masterPid, detector and connection. */
  masterPid?: Pid
  /** A detector that follows the leading master. */
  detector?: MasterDetector
  /** Another way to reach the master than runtime messages (the v1 HTTP API, later). */
  connection?: ConnectionFactory
}

export type ConnectSchedulerOptions = MasterLocation & {
  /** NATS server URL(s). */
  nats: string | string[]
  framework: FrameworkInfo
  callbacks: SchedulerCallbacks
  options?: SchedulerOptions
  id?: string
  /** Subject prefix of the cluster (`--cluster`, default `mesos`). */
  prefix?: string
  logger?: Logger
  /** NATS credentials. */
  user?: string
  pass?: string
  token?: string
}

/** Mesos's driver Status, for the states a started driver can end in. */
export type DriverStatus = 'stopped' | 'aborted'

export interface DriverOutcome {
  status: DriverStatus
  /** The master's Error message when aborted. */
  message?: string
}

const checkFrameworkInfo = TypeCompiler.Compile(FrameworkInfoSchema)
const ID_PATTERN = /^[A-Za-z0-9_-]+$/

/**
 * The driver of one framework. Calls are fire-and-forget, as in Mesos: the master answers
 * through callbacks (updates, offers, errors), never with a return value.
 *
 * Calls made while the driver is not subscribed (before the first `subscribed`, after
 * `disconnected`) are dropped with a warning (counted in `stats.droppedCalls`), as Mesos's
 * driver does, with two exceptions: `suppress`/`revive` still update the roles that the next
 * Subscribe marks suppressed, and tasks in a dropped launch come straight back through `update`
 * as TASK_LOST (TASK_DROPPED for PARTITION_AWARE frameworks) with reason
 * REASON_MASTER_DISCONNECTED. Calls after the driver stopped are dropped with a warning too.
 */
export class SchedulerDriver {
  /** The driver actor's pid, `scheduler-<id>@<node>`: the master sees the framework there. */
  readonly pid: Pid
  /** The runtime's clock: frameworks schedule their own timers on it (virtual in tests). */
  readonly clock: Clock
  /** The driver actor's logger (child of the runtime's). */
  readonly log: Logger
  /** Counters of this driver. */
  readonly stats: Readonly<SchedulerStats>
  /**
   * Settles when the driver has ended, with how: `stopped` (stop/teardown) or `aborted` (the
   * master sent Error, or the actor failed). A driver from connectScheduler has closed its
   * runtime by then.
   */
  readonly done: Promise<DriverOutcome>

  private readonly handle: ActorHandle
  private readonly autoAcknowledge: boolean
  private readonly ownedRuntime: Runtime | undefined
  private outcome: DriverOutcome | undefined

  /** Use startScheduler or connectScheduler. */
  constructor(options: StartSchedulerOptions, ownedRuntime?: Runtime) {
    const { runtime, callbacks } = options
    const framework = checkedFramework(options.framework)
    const connection = connectionOf(options)
    const id = options.id ?? randomUUID().slice(0, 8)
    if (!ID_PATTERN.test(id)) throw new SchedulerConfigError('id', `'${id}' may hold only letters, digits, '_' and '-'`)
    const o = options.options ?? {}
    this.autoAcknowledge = o.autoAcknowledge ?? true
    this.ownedRuntime = ownedRuntime
    const stats: SchedulerStats = { subscribeCalls: 0, droppedCalls: 0, acknowledgements: 0, callbackErrors: 0, disconnections: 0 }
    this.stats = stats
    runtime.registerMessages(SchedulerMessages)
    this.handle = runtime.spawn(schedulerMachine, {
      name: `scheduler-${id}`,
      input: {
        connection,
        framework,
        listener: this.bind(callbacks),
        settings: {
          autoAcknowledge: this.autoAcknowledge,
          backoffFactorMs: positive(o.registrationBackoffFactorMs, 'options.registrationBackoffFactorMs') ?? DEFAULT_REGISTRATION_BACKOFF_FACTOR_MS,
          backoffMaxMs: positive(o.registrationBackoffMaxMs, 'options.registrationBackoffMaxMs') ?? REGISTRATION_RETRY_INTERVAL_MAX_MS,
          maxMissedHeartbeats: positive(o.maxMissedHeartbeats, 'options.maxMissedHeartbeats') ?? 5,
          random: o.random ?? Math.random,
        },
        stats,
        suppressedRoles: o.suppressedRoles ?? [],
      },
    })
    this.pid = this.handle.pid
    this.clock = runtime.clock
    this.log = this.context().port.log
    this.done = this.watchEnd().then(async outcome => {
      this.outcome = outcome
      if (this.ownedRuntime) await this.ownedRuntime.close()
      return outcome
    })
  }

  /** Where the driver is in its lifecycle. */
  get state(): SchedulerState {
    return this.outcome?.status ?? this.context().session.state
  }

  /** The framework's id once the master assigned one (or the one given to fail over). */
  get frameworkId(): FrameworkID | undefined {
    return this.context().session.frameworkId
  }

  /** The roles the driver holds suppressed (sent with every Subscribe). */
  get suppressedRoles(): string[] {
    return [...this.context().session.suppressed]
  }

  /**
   * Uses offers (all on one agent): applies `operations` (LAUNCH, LAUNCH_GROUP, RESERVE, ...)
   * to their combined resources; whatever is left is declined with `filters`.
   */
  accept(offerIds: OfferID | OfferID[], operations: OfferOperation[], filters?: Filters): void {
    const body: Extract<DriverCall, { type: 'Accept' }>['body'] = { offer_ids: list(offerIds), operations }
    if (filters) body.filters = filters
    this.call({ type: 'Accept', body })
  }

  /**
   * Launches `tasks` on offers of one agent (one LAUNCH operation): the convenience over
   * `accept`. Tasks need `agent_id` set to the offers' agent; `tasks` may be empty, which
   * declines the offers with `filters`.
   */
  launch(offers: OfferRef | OfferRef[], tasks: TaskInfo[], filters?: Filters): void {
    const operations: OfferOperation[] = tasks.length > 0 ? [{ type: 'LAUNCH', launch: { task_infos: tasks } }] : []
    this.accept(offerIds(offers), operations, filters)
  }

  /**
   * Launches a task group (all or none) in `executor`, normally `{ type: 'DEFAULT', ... }`
   * (one LAUNCH_GROUP operation).
   */
  launchGroup(offers: OfferRef | OfferRef[], executor: ExecutorInfo, taskGroup: TaskGroupInfo | TaskInfo[], filters?: Filters): void {
    const task_group = Array.isArray(taskGroup) ? { tasks: taskGroup } : taskGroup
    this.accept(offerIds(offers), [{ type: 'LAUNCH_GROUP', launch_group: { executor, task_group } }], filters)
  }

  /**
   * Declines offers; `filters.refuse_seconds` (default 5 s) keeps their resources away that long.
   * An empty list sends nothing.
   */
  decline(offers: OfferRef | OfferRef[], filters?: Filters): void {
    const ids = offerIds(offers)
    if (ids.length === 0) return
    const body: Extract<DriverCall, { type: 'Decline' }>['body'] = { offer_ids: ids }
    if (filters) body.filters = filters
    this.call({ type: 'Decline', body })
  }

  /**
   * Kills a task. An update follows (TASK_KILLED, or TASK_LOST when the master does not know
   * it). `killPolicy` overrides the task's own grace period.
   */
  kill(taskId: TaskID | string, agentId?: AgentID | string, killPolicy?: KillPolicy): void {
    const body: Extract<DriverCall, { type: 'Kill' }>['body'] = { task_id: idOf(taskId) }
    if (agentId !== undefined) body.agent_id = idOf(agentId)
    if (killPolicy) body.kill_policy = killPolicy
    this.call({ type: 'Kill', body })
  }

  /** Shuts down one of the framework's executors (and its tasks) on one agent. */
  shutdown(executorId: ExecutorID | string, agentId: AgentID | string): void {
    this.call({ type: 'Shutdown', body: { executor_id: idOf(executorId), agent_id: idOf(agentId) } })
  }

  /**
   * Acknowledges a status update, in explicit mode (`autoAcknowledge: false`) only. Statuses
   * without a uuid or an agent id (reconciliation answers, driver-made TASK_LOST) need none and
   * are ignored, as by Mesos's driver. Throws SchedulerUsageError in automatic mode.
   */
  acknowledge(status: TaskStatus): void {
    if (this.autoAcknowledge) {
      throw new SchedulerUsageError('acknowledge', 'acknowledgements are automatic; start the driver with options.autoAcknowledge: false to acknowledge explicitly')
    }
    if (!status.uuid || status.agent_id === undefined) return
    this.call({ type: 'Acknowledge', body: { agent_id: status.agent_id, task_id: status.task_id, uuid: status.uuid } })
  }

  /**
   * Asks for the latest state of tasks: those listed (explicit reconciliation) or, with none,
   * every task the master knows of the framework (implicit). Answers come through `update`
   * without a uuid.
   */
  reconcile(tasks: Array<{ task_id: TaskID; agent_id?: AgentID }> = []): void {
    this.call({ type: 'Reconcile', body: { tasks } })
  }

  /** Stops offers for `roles` (all the framework's roles when none are given) until revive. */
  suppress(roles?: string[]): void {
    this.call({ type: 'Suppress', body: roles?.length ? { roles } : {} })
  }

  /** Unsuppresses `roles` (all when none are given) and clears their offer filters. */
  revive(roles?: string[]): void {
    this.call({ type: 'Revive', body: roles?.length ? { roles } : {} })
  }

  /** Sends data to one of the framework's executors (best effort). A string is sent as UTF-8. */
  message(agentId: AgentID | string, executorId: ExecutorID | string, data: Uint8Array | string): void {
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data
    this.call({ type: 'Message', body: { agent_id: idOf(agentId), executor_id: idOf(executorId), data: encodeBytes(bytes) } })
  }

  /** Removes the framework: its tasks are killed and it cannot fail over. Same as stop({ failover: false }). */
  teardown(): Promise<DriverOutcome> {
    return this.stop({ failover: false })
  }

  /**
   * Stops the driver. Without failover (the default) a subscribed driver tears the framework
   * down (Teardown: its tasks are killed). With `failover: true` it just goes: the master keeps
   * the framework and its tasks for `failover_timeout` seconds, during which a new driver
   * started with the framework's id takes over. A driver that is not subscribed sends nothing,
   * so the framework outlives it until its failover timeout either way (as in Mesos).
   */
  stop(options: { failover?: boolean } = {}): Promise<DriverOutcome> {
    if (this.outcome === undefined && this.handle.alive) this.handle.send({ type: 'sdk.stop', failover: options.failover ?? false })
    return this.done
  }

  private call(call: DriverCall): void {
    if (this.outcome !== undefined || !this.handle.alive) {
      this.log.warn({ call: call.type, state: this.state }, `dropped ${call.type}: the driver has ended`)
      return
    }
    this.handle.send({ type: 'sdk.call', call })
  }

  private context(): SchedulerContext {
    return this.handle.getSnapshot().context as SchedulerContext
  }

  private watchEnd(): Promise<DriverOutcome> {
    return new Promise(resolve => {
      const actor = this.handle.actor
      const finish = (): void => {
        const snapshot = actor.getSnapshot()
        const output = snapshot.output as SchedulerOutcome | undefined
        if (snapshot.status === 'done' && output) resolve(output.message === undefined ? { status: output.status } : output)
        else if (snapshot.status === 'error') resolve({ status: 'aborted', message: `scheduler actor failed: ${String(snapshot.error)}` })
        // Stopped from outside (its runtime closed): the framework was left registered.
        else resolve({ status: 'stopped' })
      }
      actor.subscribe({ complete: finish, error: finish })
      const status = actor.getSnapshot().status
      if (status !== 'active') finish()
    })
  }

  /** The listener the machine calls: the user's callbacks with this driver bound in. */
  private bind(cb: SchedulerCallbacks): SchedulerListener {
    return {
      subscribed: (frameworkId, masterInfo, info) => cb.subscribed?.(this, frameworkId, masterInfo, info),
      offers: offers => cb.offers?.(this, offers),
      rescind: offerId => cb.rescind?.(this, offerId),
      update: status => cb.update?.(this, status),
      message: (agentId, executorId, data) => cb.message?.(this, agentId, executorId, data),
      failure: failure => cb.failure?.(this, failure),
      disconnected: () => cb.disconnected?.(this),
      error: message => cb.error?.(this, message),
    }
  }
}

/** An offer or its id. */
export type OfferRef = Offer | OfferID

function offerIds(offers: OfferRef | OfferRef[]): OfferID[] {
  return list(offers).map(o => ('agent_id' in o ? (o as Offer).id : o))
}

function list<T>(x: T | T[]): T[] {
  return Array.isArray(x) ? x : [x]
}

function idOf(x: { value: string } | string): { value: string } {
  return typeof x === 'string' ? { value: x } : x
}

function positive(value: number | undefined, option: string): number | undefined {
  if (value === undefined) return undefined
  if (!Number.isFinite(value) || value <= 0) throw new SchedulerConfigError(option, `must be a positive number, got ${value}`)
  return value
}

function checkedFramework(framework: FrameworkInfo): FrameworkInfo {
  if (!checkFrameworkInfo.Check(framework)) {
    const first = checkFrameworkInfo.Errors(framework).First()
    throw new SchedulerConfigError(`framework${first?.path.replaceAll('/', '.') ?? ''}`, first?.message ?? 'is not a valid FrameworkInfo')
  }
  if (framework.user === '') throw new SchedulerConfigError('framework.user', 'must not be empty')
  if (framework.name === '') throw new SchedulerConfigError('framework.name', 'must not be empty')
  return framework
}

function connectionOf(options: StartSchedulerOptions): ConnectionFactory {
  const given = [options.masterPid, options.detector, options.connection].filter(x => x !== undefined).length
  if (given > 1) throw new SchedulerConfigError('masterPid', 'conflicts: give one of masterPid, detector and connection')
  return options.connection ?? nativeConnection(masterDetector(options))
}

function masterDetector(location: { masterPid?: Pid; detector?: MasterDetector }): MasterDetector {
  if (location.detector) return location.detector
  if (location.masterPid === undefined) {
    throw new SchedulerConfigError('masterPid', 'is required (or a detector): leader detection through NATS KV is not available yet')
  }
  if (!isValidPid(location.masterPid)) throw new SchedulerConfigError('masterPid', `'${location.masterPid}' is not a pid (expected name@node, e.g. master@m1)`)
  return new StaticMasterDetector(location.masterPid)
}

/** Starts a scheduler driver on an existing runtime (embedded mode, tests, several frameworks in one process). */
export function startScheduler(options: StartSchedulerOptions): SchedulerDriver {
  return new SchedulerDriver(options)
}

/**
 * Connects to NATS with a runtime of its own (node `sched-<random>`) and starts a driver on it;
 * the runtime is closed when the driver ends. The framework's process needs nothing else.
 */
export async function connectScheduler(options: ConnectSchedulerOptions): Promise<SchedulerDriver> {
  // Check what can be checked before touching the network.
  checkedFramework(options.framework)
  masterDetector(options)
  const node = `sched-${randomUUID().slice(0, 8)}`
  const transport = await NatsTransport.connect({
    servers: options.nats,
    name: `mesos-ts scheduler ${options.framework.name}`,
    user: options.user,
    pass: options.pass,
    token: options.token,
  })
  const runtime = new Runtime({
    transport,
    node,
    prefix: options.prefix,
    logger: options.logger ?? createLogger({ level: process.env.MESOS_LOG_LEVEL ?? 'warn' }),
  })
  try {
    const location: MasterLocation = options.detector ? { detector: options.detector } : { masterPid: options.masterPid! }
    return new SchedulerDriver(
      { ...location, runtime, framework: options.framework, callbacks: options.callbacks, options: options.options, id: options.id },
      runtime,
    )
  } catch (err) {
    await runtime.close()
    throw err
  }
}
