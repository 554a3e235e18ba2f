// The master actor: a thin XState shell around MasterCore. Messages become core calls; the
// allocator runs as a child actor, handed the core's calls in batches (allocator-link.ts), whose
// offers come back as `master.offers` events; agent health checks and framework heartbeats are
// periodic `after` timers on the runtime's clock.
import { fromCallback, setup, type EventObject } from 'xstate'
import { TimerScope, type ActorPort, type ExitedEvent } from '../../runtime/index.js'
import { AllocatorOpQueue, allocatorMachine, type Offer as AllocatorOffer } from '../allocator/index.js'
import { allocatorLink } from './allocator-link.js'
import type { ProtocolEvent } from '../protocol/index.js'
import { MasterCore, type AllocatorLink, type MasterTimerEvent } from './master-core.js'
import { DEFAULT_MASTER_OPTIONS, type MasterOptions } from './master-options.js'
import type { OperatorEvent, OperatorResultBody } from './operator.js'
import type { RegistryLink } from './registry.js'

export interface MasterInput {
  port: ActorPort
  options?: Partial<MasterOptions>
  /** Called once the core exists, so in-process readers (HTTP state, tests) can reach it. */
  onCore?: (core: MasterCore) => void
  /** The persistent registry, fenced and loaded for this term (absent: nothing persists). */
  registry?: RegistryLink
}

interface MasterContext {
  readonly core: MasterCore
  readonly options: MasterOptions
  readonly port: ActorPort
  /** The core's own timers (framework failover), cleared when the master stops. */
  readonly timers: TimerScope
}

/** Runs for the master's whole life; stopping it (with the master) clears the core's timers. */
const timerOwner = fromCallback<EventObject, TimerScope>(({ input }) => () => input.clearAll())

/**
 * Operator calls arrive as requests (runtime.request from the HTTP layer) and are answered with
 * an OperatorResult; one sent without a reply address (an in-process handle.send) just applies.
 */
function answer(port: ActorPort, event: OperatorEvent, result: OperatorResultBody | Promise<OperatorResultBody>): void {
  if (event.id === undefined || event.replyTo === undefined) return
  // A change the registry persists first is answered once it is persisted and applied.
  if (result instanceof Promise) void result.then(r => port.reply(event, 'OperatorResult', r))
  else port.reply(event, 'OperatorResult', result)
}

type MasterEvent =
  | ProtocolEvent<'RegisterAgent'>
  | ProtocolEvent<'ReregisterAgent'>
  | ProtocolEvent<'Pong'>
  | ProtocolEvent<'StatusUpdate'>
  | ProtocolEvent<'ExitedExecutor'>
  | ProtocolEvent<'ExecutorToFrameworkMessage'>
  | ProtocolEvent<'Subscribe'>
  | ProtocolEvent<'Teardown'>
  | ProtocolEvent<'Accept'>
  | ProtocolEvent<'Decline'>
  | ProtocolEvent<'Revive'>
  | ProtocolEvent<'Suppress'>
  | ProtocolEvent<'Kill'>
  | ProtocolEvent<'Shutdown'>
  | ProtocolEvent<'Acknowledge'>
  | ProtocolEvent<'Reconcile'>
  | ProtocolEvent<'Message'>
  | ExitedEvent
  | MasterTimerEvent
  | { type: 'master.offers'; offers: AllocatorOffer[] }
  | { type: 'master.registryWritten'; then: () => void }
  | OperatorEvent

export const masterMachine = setup({
  types: {
    input: {} as MasterInput,
    context: {} as MasterContext,
    events: {} as MasterEvent,
  },
  actors: { allocator: allocatorMachine, timerOwner },
  delays: {
    pingInterval: ({ context }) => context.options.agentPingTimeoutMs,
    heartbeatInterval: ({ context }) => context.options.heartbeatIntervalMs,
    stagingCheckInterval: ({ context }) => context.options.taskStagingTimeoutMs / 2,
  },
}).createMachine({
  id: 'master',
  context: ({ input, spawn, self }) => {
    const options: MasterOptions = { ...DEFAULT_MASTER_OPTIONS, ...input.options }
    const queuedOps = new AllocatorOpQueue()
    const allocator = spawn('allocator', {
      id: 'allocator',
      input: {
        port: input.port,
        onOffers: offers => self.send({ type: 'master.offers', offers }),
        options: { seed: options.seed, minAllocatableResources: options.minAllocatableResources, allocationIntervalMs: options.allocationIntervalMs },
        queued: queuedOps,
      },
    })
    const timers = new TimerScope(input.port.clock)
    const schedule = (event: MasterTimerEvent, delayMs: number): unknown => timers.setTimeout(() => self.send(event), delayMs)
    const deliver = (then: () => void): void => self.send({ type: 'master.registryWritten', then })
    const core = new MasterCore({ ...input.port, clock: timers }, options, allocatorLink(allocator, queuedOps, timers), schedule, input.registry, deliver)
    input.onCore?.(core)
    return { core, options, port: input.port, timers }
  },
  invoke: { src: 'timerOwner', input: ({ context }) => context.timers },
  type: 'parallel',
  states: {
    serving: {
      on: {
        RegisterAgent: { actions: ({ context, event }) => context.core.registerAgent(event.from, event.body) },
        ReregisterAgent: { actions: ({ context, event }) => context.core.reregisterAgent(event.from, event.body) },
        Pong: { actions: ({ context, event }) => context.core.pong(event.from) },
        StatusUpdate: { actions: ({ context, event }) => context.core.statusUpdate(event.from, event.body) },
        ExitedExecutor: { actions: ({ context, event }) => context.core.exitedExecutor(event.from, event.body) },
        ExecutorToFrameworkMessage: { actions: ({ context, event }) => context.core.executorMessage(event.from, event.body) },
        Subscribe: { actions: ({ context, event }) => context.core.subscribe(event.from, event.body) },
        Teardown: { actions: ({ context, event }) => context.core.teardown(event.from, event.body.framework_id.value) },
        Accept: { actions: ({ context, event }) => context.core.accept(event.from, event.body) },
        Decline: { actions: ({ context, event }) => context.core.decline(event.from, event.body) },
        Revive: { actions: ({ context, event }) => context.core.revive(event.from, event.body) },
        Suppress: { actions: ({ context, event }) => context.core.suppress(event.from, event.body) },
        Kill: { actions: ({ context, event }) => context.core.kill(event.from, event.body) },
        Shutdown: { actions: ({ context, event }) => context.core.shutdownExecutor(event.from, event.body) },
        Acknowledge: { actions: ({ context, event }) => context.core.acknowledge(event.from, event.body) },
        Reconcile: { actions: ({ context, event }) => context.core.reconcile(event.from, event.body) },
        Message: { actions: ({ context, event }) => context.core.message(event.from, event.body) },
        exited: { actions: ({ context, event }) => context.core.exited(event.pid) },
        'master.frameworkFailoverTimeout': { actions: ({ context, event }) => context.core.frameworkFailoverTimeout(event.frameworkId) },
        'master.offers': { actions: ({ context, event }) => context.core.offer(event.offers) },
        'master.registryWritten': { actions: ({ event }) => event.then() },
        'master.agentReregisterTimeout': { actions: ({ context }) => context.core.agentReregisterTimeout() },
        'master.offerTimeout': { actions: ({ context, event }) => context.core.offerTimeout(event.offerId) },
        OperatorUpdateWeights: { actions: ({ context, event }) => answer(context.port, event, context.core.updateWeights(event.body)) },
        OperatorUpdateQuota: { actions: ({ context, event }) => answer(context.port, event, context.core.updateQuota(event.body)) },
        OperatorReserveResources: { actions: ({ context, event }) => answer(context.port, event, context.core.reserveResources(event.body)) },
        OperatorUnreserveResources: { actions: ({ context, event }) => answer(context.port, event, context.core.unreserveResources(event.body)) },
        OperatorMarkAgentGone: { actions: ({ context, event }) => answer(context.port, event, context.core.markAgentGone(event.body.agent_id.value)) },
        OperatorTeardown: { actions: ({ context, event }) => answer(context.port, event, context.core.operatorTeardown(event.body.framework_id.value)) },
      },
    },
    healthChecks: {
      initial: 'waiting',
      states: {
        waiting: { after: { pingInterval: { target: 'waiting', reenter: true, actions: ({ context }) => context.core.pingRound() } } },
      },
    },
    stagingChecks: {
      initial: 'waiting',
      states: {
        waiting: { after: { stagingCheckInterval: { target: 'waiting', reenter: true, actions: ({ context }) => context.core.reconcileStagingTasks() } } },
      },
    },
    heartbeats: {
      initial: 'waiting',
      states: {
        waiting: { after: { heartbeatInterval: { target: 'waiting', reenter: true, actions: ({ context }) => context.core.heartbeat() } } },
      },
    },
  },
})
