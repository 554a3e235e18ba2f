// The scheduler driver as an XState machine: the subscription lifecycle (disconnected ->
// subscribing -> subscribed, back through `lost` when the master goes) and the calls it
// forwards. Framework code never sees it: SchedulerDriver (scheduler-driver.ts) spawns it and
// turns its listener into the user's callbacks. Behaviour follows Mesos's scheduler driver
// (src/sched/sched.cpp) unless a comment says otherwise.
import { setup } from 'xstate'
import { RateLimitedLog, type ActorPort, type ExitedEvent, type Pid } from '../../runtime/index.js'
import {
  decodeBytes,
  type AgentID,
  type ExecutorID,
  type FrameworkID,
  type FrameworkInfo,
  type MasterInfo,
  type Offer,
  type OfferID,
  type ProtocolBody,
  type ProtocolEvent,
  type TaskInfo,
  type TaskStatus,
} from '../protocol/index.js'
import { subscribeRetry } from './backoff.js'
import type { ConnectionFactory, ConnectionSink, SchedulerCall, SchedulerCallType, SchedulerConnection } from './connection.js'

/** The driver's lifecycle, as `SchedulerDriver.state` reports it. */
export type SchedulerState = 'disconnected' | 'subscribing' | 'subscribed' | 'stopped' | 'aborted'

/** What the subscribed callback learns besides the framework id. */
export interface SubscribedInfo {
  /** True when this subscription follows an earlier one of this driver (a reconnection). */
  resubscribed: boolean
  /** How often the master promised a Heartbeat, if it did. */
  heartbeatIntervalSeconds: number | undefined
}

/** An agent removed, or an executor exited (with its wait status), as the Failure event says. */
export interface SchedulerFailure {
  agentId: AgentID | undefined
  executorId: ExecutorID | undefined
  status: number | undefined
}

/**
 * The machine's side of the callbacks: the driver binds the user's callbacks to itself and
 * hands this in. Every call is guarded: a throw or a rejected promise is logged and counted.
 */
export interface SchedulerListener {
  subscribed(frameworkId: FrameworkID, masterInfo: MasterInfo | undefined, info: SubscribedInfo): unknown
  offers(offers: Offer[]): unknown
  rescind(offerId: OfferID): unknown
  update(status: TaskStatus): unknown
  message(agentId: AgentID, executorId: ExecutorID, data: Uint8Array): unknown
  failure(failure: SchedulerFailure): unknown
  disconnected(): unknown
  error(message: string): unknown
}

/** Counts kept per driver (also exported as `scheduler/...` metrics of the runtime). */
export interface SchedulerStats {
  /** Subscribe calls sent, retries included. */
  subscribeCalls: number
  /** Calls made while not subscribed, dropped (each logged at warn, rate-limited). */
  droppedCalls: number
  /** Acknowledge calls sent, automatic or explicit. */
  acknowledgements: number
  /** Callbacks that threw or rejected. */
  callbackErrors: number
  /** Times a subscription was lost (master exited, heartbeats missed, new leader). */
  disconnections: number
}

export interface SchedulerSettings {
  autoAcknowledge: boolean
  backoffFactorMs: number
  backoffMaxMs: number
  /** Missed heartbeat intervals after which the master counts as lost. */
  maxMissedHeartbeats: number
  /** Uniform in [0, 1): the backoff's jitter. */
  random: () => number
}

export interface SchedulerMachineInput {
  port: ActorPort
  connection: ConnectionFactory
  framework: FrameworkInfo
  listener: SchedulerListener
  settings: SchedulerSettings
  stats: SchedulerStats
  /** Roles that start suppressed (Subscribe.suppressed_roles). */
  suppressedRoles?: readonly string[]
}

/** How the machine ended: the driver's final status. */
export interface SchedulerOutcome {
  status: 'stopped' | 'aborted'
  /** The master's Error message when aborted. */
  message?: string
}

type Without<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never

/** Calls the driver makes, without `framework_id` (the machine adds the one it holds). */
export type DriverCallType = Exclude<SchedulerCallType, 'Subscribe' | 'Teardown'>
export type DriverCall = { [T in DriverCallType]: { type: T; body: Without<ProtocolBody<T>, 'framework_id'> } }[DriverCallType]

/** What a master sends a framework. */
export type MasterEvent =
  | ProtocolEvent<'Subscribed'>
  | ProtocolEvent<'Offers'>
  | ProtocolEvent<'Rescind'>
  | ProtocolEvent<'Update'>
  | ProtocolEvent<'FrameworkMessage'>
  | ProtocolEvent<'Failure'>
  | ProtocolEvent<'Error'>
  | ProtocolEvent<'Heartbeat'>

/** Events from the driver and the connection; `sdk.` keeps them apart from protocol messages. */
type SdkEvent =
  | { type: 'sdk.detected' }
  | { type: 'sdk.lost'; reason: string }
  | { type: 'sdk.call'; call: DriverCall }
  | { type: 'sdk.stop'; failover: boolean }

export type SchedulerMachineEvent = MasterEvent | SdkEvent | ExitedEvent

/**
 * The mutable state of one driver, held by reference in the context and changed by actions
 * (DESIGN.md: no copying per event). Small, but read by the driver between events.
 */
export class SchedulerSession {
  state: SchedulerState = 'disconnected'
  /** FrameworkInfo as sent in Subscribe; `id` is set once the master assigned one. */
  readonly framework: FrameworkInfo
  /**
   * Subscribe.force: true while a scheduler that started with a framework id has not yet
   * subscribed (it is taking over from an earlier instance), false after (sched.cpp `failover`).
   */
  failover: boolean
  boundMs = 0
  heartbeatMs: number | undefined
  lastEventAt = 0
  subscribedBefore = false
  lossReason = ''
  outcome: SchedulerOutcome = { status: 'stopped' }
  readonly suppressed: Set<string>

  constructor(framework: FrameworkInfo, suppressed: readonly string[]) {
    this.framework = structuredClone(framework)
    this.failover = framework.id !== undefined && framework.id.value !== ''
    this.suppressed = new Set(suppressed)
  }

  get frameworkId(): FrameworkID | undefined {
    const id = this.framework.id
    return id !== undefined && id.value !== '' ? id : undefined
  }

  /** The framework's roles: `roles` for MULTI_ROLE frameworks, else the single `role` ('*'). */
  roles(): string[] {
    const f = this.framework
    if (f.capabilities?.some(c => c.type === 'MULTI_ROLE')) return f.roles ?? []
    return [f.role ?? '*']
  }
}

export interface SchedulerContext {
  port: ActorPort
  connection: SchedulerConnection
  listener: SchedulerListener
  settings: SchedulerSettings
  stats: SchedulerStats
  session: SchedulerSession
  warnings: RateLimitedLog
}

// ---- effects (plain functions over the context; the machine below only wires them) ----------

type Callback = keyof SchedulerListener

/** Runs one user callback; false when it threw (its error is logged and counted, never rethrown). */
function invoke(context: SchedulerContext, name: Callback, call: () => unknown): boolean {
  const failed = (err: unknown): void => {
    context.stats.callbackErrors++
    context.port.metrics.counter('scheduler/callback_errors').inc()
    const error = err instanceof Error ? err : new Error(String(err))
    context.port.log.error({ err: error, callback: name }, `scheduler callback '${name}' failed: ${error.message}`)
  }
  try {
    const result = call()
    if (result instanceof Promise) result.catch(failed)
    return true
  } catch (err) {
    failed(err)
    return false
  }
}

function sendSubscribe(context: SchedulerContext): void {
  const { session } = context
  const body: ProtocolBody<'Subscribe'> = { framework_info: session.framework }
  if (session.frameworkId !== undefined) body.force = session.failover
  if (session.suppressed.size > 0) body.suppressed_roles = [...session.suppressed]
  context.connection.send({ type: 'Subscribe', body })
  context.stats.subscribeCalls++
  context.port.metrics.counter('scheduler/subscribe_calls').inc()
  context.port.log.debug({ master: context.connection.master() }, 'sent Subscribe')
}

/**
 * The wait before the next Subscribe, advancing the backoff bound. XState calls it exactly once
 * per entry to `subscribing`, as the delay of the retry timer; computing it here rather than in
 * an entry action keeps the bound and the timer in step whatever order XState resolves delays
 * and runs actions in (at machine start it resolves delays before running any action).
 */
function nextSubscribeRetry(context: SchedulerContext): number {
  const { session, settings } = context
  const failoverTimeout = session.framework.failover_timeout
  const plan = subscribeRetry(
    session.boundMs,
    {
      factorMs: settings.backoffFactorMs,
      maxMs: settings.backoffMaxMs,
      failoverTimeoutMs: failoverTimeout !== undefined ? failoverTimeout * 1000 : undefined,
    },
    settings.random,
  )
  session.boundMs = plan.nextBoundMs
  return plan.delayMs
}

function recordSubscription(context: SchedulerContext, body: ProtocolBody<'Subscribed'>): void {
  const { session } = context
  const before = session.frameworkId
  if (before !== undefined && before.value !== body.framework_id.value) {
    context.port.log.warn({ sent: before.value, got: body.framework_id.value }, 'master subscribed the framework under a different id')
  }
  session.framework.id = body.framework_id
  session.failover = false
  const interval = body.heartbeat_interval_seconds
  session.heartbeatMs = interval !== undefined && interval > 0 ? interval * 1000 : undefined
  session.lastEventAt = context.port.now()
}

function notifySubscribed(context: SchedulerContext, body: ProtocolBody<'Subscribed'>): void {
  const { session } = context
  const resubscribed = session.subscribedBefore
  session.subscribedBefore = true
  context.port.log.info({ frameworkId: body.framework_id.value, master: context.connection.master(), resubscribed }, 'framework subscribed')
  invoke(context, 'subscribed', () =>
    context.listener.subscribed(body.framework_id, body.master_info, {
      resubscribed,
      heartbeatIntervalSeconds: body.heartbeat_interval_seconds,
    }),
  )
}

function onUpdate(context: SchedulerContext, status: TaskStatus): void {
  const ok = invoke(context, 'update', () => context.listener.update(status))
  // An update whose callback threw is left unacknowledged: the agent resends it, which is
  // better than acknowledging what the framework may never have recorded.
  if (ok && context.settings.autoAcknowledge) acknowledge(context, status)
}

/**
 * Acknowledges `status` if it needs it: only updates with a uuid and an agent are retried by
 * an agent; master- and driver-generated ones (reconciliation, TASK_LOST on a dropped launch)
 * carry no uuid and are not acknowledged (sched.cpp acknowledgeStatusUpdate).
 */
function acknowledge(context: SchedulerContext, status: TaskStatus): void {
  const frameworkId = context.session.frameworkId
  if (!status.uuid || status.agent_id === undefined || frameworkId === undefined) return
  context.connection.send({
    type: 'Acknowledge',
    body: { framework_id: frameworkId, agent_id: status.agent_id, task_id: status.task_id, uuid: status.uuid },
  })
  context.stats.acknowledgements++
}

function sendCall(context: SchedulerContext, call: DriverCall): void {
  const frameworkId = context.session.frameworkId
  if (frameworkId === undefined) return dropCall(context, call)
  trackSuppression(context, call)
  if (call.type === 'Acknowledge') {
    // Explicit acknowledgement of a status (the driver built the body from it).
    const b = call.body
    if (!b.uuid) return
    context.stats.acknowledgements++
  }
  context.connection.send({ type: call.type, body: { ...call.body, framework_id: frameworkId } } as SchedulerCall)
}

/** The driver's record of suppressed roles, sent in every Subscribe (sched.cpp suppressedRoles). */
function trackSuppression(context: SchedulerContext, call: DriverCall): void {
  const { session } = context
  if (call.type === 'Suppress') {
    for (const role of call.body.roles?.length ? call.body.roles : session.roles()) session.suppressed.add(role)
  } else if (call.type === 'Revive') {
    if (call.body.roles?.length) for (const role of call.body.roles) session.suppressed.delete(role)
    else session.suppressed.clear()
  }
}

/**
 * A call made while not subscribed. As Mesos's driver: dropped with a warning, except that
 * suppress/revive still update the roles the next Subscribe suppresses, and launches are
 * answered at once with TASK_LOST (TASK_DROPPED for PARTITION_AWARE frameworks), source master,
 * reason REASON_MASTER_DISCONNECTED, so the framework knows those tasks will not run.
 */
function dropCall(context: SchedulerContext, call: DriverCall): void {
  const state = context.session.state
  if (call.type === 'Suppress' || call.type === 'Revive') {
    trackSuppression(context, call)
    context.port.log.info({ call: call.type, state }, `${call.type} while ${state}: the next Subscribe carries the suppressed roles`)
    return
  }
  context.stats.droppedCalls++
  context.port.metrics.counter('scheduler/dropped_calls').inc()
  const suppressed = context.warnings.admit(call.type)
  if (suppressed !== undefined) {
    context.port.log.warn({ call: call.type, state, suppressed }, `dropped ${call.type}: the scheduler is ${state}, not subscribed`)
  }
  if (call.type === 'Accept') {
    for (const task of launchedTasks(call.body.operations ?? [])) invoke(context, 'update', () => context.listener.update(lostTask(context, task)))
  }
}

function launchedTasks(operations: NonNullable<ProtocolBody<'Accept'>['operations']>): TaskInfo[] {
  const tasks: TaskInfo[] = []
  for (const op of operations) {
    if (op.type === 'LAUNCH') tasks.push(...(op.launch?.task_infos ?? []))
    else if (op.type === 'LAUNCH_GROUP') tasks.push(...(op.launch_group?.task_group.tasks ?? []))
  }
  return tasks
}

function lostTask(context: SchedulerContext, task: TaskInfo): TaskStatus {
  const partitionAware = context.session.framework.capabilities?.some(c => c.type === 'PARTITION_AWARE') ?? false
  return {
    task_id: task.task_id,
    agent_id: task.agent_id,
    state: partitionAware ? 'TASK_DROPPED' : 'TASK_LOST',
    source: 'SOURCE_MASTER',
    reason: 'REASON_MASTER_DISCONNECTED',
    message: 'Master disconnected',
    timestamp: context.port.now() / 1000,
  }
}

function makeSink(send: (event: SchedulerMachineEvent) => void): ConnectionSink {
  return {
    detected: () => send({ type: 'sdk.detected' }),
    lost: reason => send({ type: 'sdk.lost', reason }),
    event: event => send(event as MasterEvent),
  }
}

function enter(state: SchedulerState) {
  return ({ context }: { context: SchedulerContext }): void => {
    context.session.state = state
  }
}

// ---- the machine ---------------------------------------------------------------------------

export const schedulerMachine = setup({
  types: {
    context: {} as SchedulerContext,
    events: {} as SchedulerMachineEvent,
    input: {} as SchedulerMachineInput,
    output: {} as SchedulerOutcome,
  },
  delays: {
    subscribeRetry: ({ context }) => nextSubscribeRetry(context),
    heartbeatCheck: ({ context }) => context.session.heartbeatMs ?? 0,
  },
  guards: {
    hasMaster: ({ context }) => context.connection.master() !== undefined,
    fromMaster: ({ context, event }) => 'from' in event && context.connection.isMaster(event.from),
    heartbeatWatched: ({ context }) => context.session.heartbeatMs !== undefined,
    heartbeatsMissed: ({ context }) => {
      const { session, settings, port } = context
      return port.now() - session.lastEventAt >= settings.maxMissedHeartbeats * (session.heartbeatMs ?? Infinity)
    },
  },
  actions: {
    openConnection: ({ context, self }) => context.connection.open(makeSink(event => self.send(event))),
    closeConnection: ({ context }) => context.connection.close(),
    resetBackoff: ({ context }) => {
      context.session.boundMs = context.settings.backoffFactorMs
    },
    sendSubscribe: ({ context }) => sendSubscribe(context),
    touch: ({ context }) => {
      context.session.lastEventAt = context.port.now()
    },
    watchMaster: ({ context }) => context.connection.watch(),
    unwatchMaster: ({ context }) => context.connection.unwatch(),
    notifyDisconnected: ({ context }) => {
      context.stats.disconnections++
      context.port.metrics.counter('scheduler/disconnections').inc()
      context.port.log.warn({ reason: context.session.lossReason }, `disconnected from the master: ${context.session.lossReason}`)
      invoke(context, 'disconnected', () => context.listener.disconnected())
    },
  },
}).createMachine({
  id: 'scheduler',
  context: ({ input }) => ({
    port: input.port,
    connection: input.connection(input.port),
    listener: input.listener,
    settings: input.settings,
    stats: input.stats,
    session: new SchedulerSession(input.framework, input.suppressedRoles ?? []),
    warnings: new RateLimitedLog(() => input.port.now()),
  }),
  entry: 'openConnection',
  initial: 'disconnected',
  output: ({ context }) => context.session.outcome,
  on: {
    'sdk.call': { actions: ({ context, event }) => dropCall(context, event.call) },
    'sdk.stop': { target: '.stopped' },
  },
  states: {
    /**
     * No master known: wait for the detector. The connection reports its first answer as an
     * event too, so the machine starts here, and every action runs as the machine does.
     */
    disconnected: {
      entry: enter('disconnected'),
      on: { 'sdk.detected': { guard: 'hasMaster', target: 'subscribing', actions: 'resetBackoff' } },
    },
    /** Subscribe sent; resent with backoff until Subscribed (sched.cpp doReliableRegistration). */
    subscribing: {
      entry: [enter('subscribing'), 'sendSubscribe'],
      after: { subscribeRetry: { target: 'subscribing', reenter: true } },
      on: {
        Subscribed: {
          guard: 'fromMaster',
          target: 'subscribed',
          actions: ({ context, event }) => recordSubscription(context, event.body),
        },
        Error: {
          guard: 'fromMaster',
          target: 'aborted',
          actions: ({ context, event }) => {
            context.session.outcome = { status: 'aborted', message: event.body.message }
          },
        },
        'sdk.detected': [
          // The connection reports only changes after its first report, so this is a new master.
          { guard: 'hasMaster', target: 'subscribing', reenter: true, actions: 'resetBackoff' },
          { target: 'disconnected' },
        ],
      },
    },
    subscribed: {
      entry: [
        enter('subscribed'),
        'watchMaster',
        ({ context, event }) => {
          if (event.type === 'Subscribed') notifySubscribed(context, event.body)
        },
      ],
      exit: 'unwatchMaster',
      initial: 'checking',
      states: {
        checking: { always: [{ guard: 'heartbeatWatched', target: 'watching' }, { target: 'unwatched' }] },
        unwatched: {},
        /**
         * Mesos's scheduler-http-api.md ("Network partitions"): a scheduler that misses a
         * bunch (e.g. 5) of heartbeats should disconnect and resubscribe. Any event counts as
         * a sign of life; the check runs once per heartbeat interval.
         */
        watching: {
          after: {
            heartbeatCheck: [
              {
                guard: 'heartbeatsMissed',
                target: '#scheduler.lost',
                actions: ({ context }) => {
                  const { session, settings } = context
                  session.lossReason = `no event from the master for ${settings.maxMissedHeartbeats} heartbeat intervals (${(session.heartbeatMs ?? 0) / 1000} s each)`
                },
              },
              { target: 'watching', reenter: true },
            ],
          },
        },
      },
      on: {
        Subscribed: { guard: 'fromMaster', actions: 'touch' },
        Heartbeat: { guard: 'fromMaster', actions: 'touch' },
        Offers: {
          guard: 'fromMaster',
          actions: ['touch', ({ context, event }) => invoke(context, 'offers', () => context.listener.offers(event.body.offers))],
        },
        Rescind: {
          guard: 'fromMaster',
          actions: ['touch', ({ context, event }) => invoke(context, 'rescind', () => context.listener.rescind(event.body.offer_id))],
        },
        Update: { guard: 'fromMaster', actions: ['touch', ({ context, event }) => onUpdate(context, event.body.status)] },
        FrameworkMessage: {
          guard: 'fromMaster',
          actions: [
            'touch',
            ({ context, event }) => {
              const { agent_id, executor_id, data } = event.body
              invoke(context, 'message', () => context.listener.message(agent_id, executor_id, decodeBytes(data)))
            },
          ],
        },
        Failure: {
          guard: 'fromMaster',
          actions: [
            'touch',
            ({ context, event }) => {
              const { agent_id, executor_id, status } = event.body
              invoke(context, 'failure', () => context.listener.failure({ agentId: agent_id, executorId: executor_id, status }))
            },
          ],
        },
        Error: {
          guard: 'fromMaster',
          target: 'aborted',
          actions: ({ context, event }) => {
            context.session.outcome = { status: 'aborted', message: event.body.message }
          },
        },
        exited: {
          guard: ({ context, event }) => context.connection.onExited(event.pid),
          target: 'lost',
          actions: ({ context, event }) => {
            context.session.lossReason = `master ${event.pid} exited (${event.reason})`
          },
        },
        'sdk.lost': {
          target: 'lost',
          actions: ({ context, event }) => {
            context.session.lossReason = event.reason
          },
        },
        'sdk.detected': {
          target: 'lost',
          actions: ({ context }) => {
            const now = context.connection.master()
            context.session.lossReason = now === undefined ? 'no leading master detected' : `new leading master detected: ${now}`
          },
        },
        'sdk.call': { actions: ({ context, event }) => sendCall(context, event.call) },
        'sdk.stop': {
          target: 'stopped',
          actions: ({ context, event }) => {
            // stop(failover=false) while connected tears the framework down (sched.cpp stop);
            // with failover the master keeps it for failover_timeout for a new instance.
            const frameworkId = context.session.frameworkId
            if (!event.failover && frameworkId !== undefined) context.connection.send({ type: 'Teardown', body: { framework_id: frameworkId } })
          },
        },
      },
    },
    /** Transient: the subscription is gone; tell the framework, then subscribe again. */
    lost: {
      entry: [enter('disconnected'), 'notifyDisconnected'],
      always: [{ guard: 'hasMaster', target: 'subscribing', actions: 'resetBackoff' }, { target: 'disconnected' }],
    },
    stopped: {
      type: 'final',
      entry: [enter('stopped'), 'closeConnection'],
    },
    /** The master sent Error: the framework was removed or refused (sched.cpp error -> abort). */
    aborted: {
      type: 'final',
      entry: [
        enter('aborted'),
        'closeConnection',
        ({ context }) => {
          const message = context.session.outcome.message ?? ''
          context.port.log.error({ message }, `the master ended the subscription: ${message}`)
          invoke(context, 'error', () => context.listener.error(message))
        },
      ],
    },
  },
})
