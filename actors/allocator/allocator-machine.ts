import { setup } from 'xstate'
import type { ActorPort } from '../../runtime/port.js'
import type { Quantities, Resources } from '../resources/index.js'
import type { AllocatorOpQueue } from './allocator-op-queue.js'
import { HierarchicalAllocator } from './hierarchical-allocator.js'
import { AllocatorError, DEFAULT_ALLOCATION_INTERVAL_MS, type AllocatorOptions, type Filters, type Offer } from './types.js'

/**
 * What the master tells its allocator, in process (`actor.send`): Mesos's Allocator interface
 * (include/mesos/allocator/allocator.hpp) as events.
 */
export type AllocatorOp =
  | { type: 'AddFramework'; frameworkId: string; roles: readonly string[]; suppressedRoles?: readonly string[]; active?: boolean }
  | { type: 'RemoveFramework'; frameworkId: string }
  | { type: 'ActivateFramework'; frameworkId: string }
  | { type: 'DeactivateFramework'; frameworkId: string }
  | { type: 'UpdateFramework'; frameworkId: string; roles: readonly string[]; suppressedRoles?: readonly string[] }
  | { type: 'AddAgent'; agentId: string; total: Resources; used?: ReadonlyMap<string, Resources> }
  | { type: 'RemoveAgent'; agentId: string }
  | { type: 'UpdateAgent'; agentId: string; total: Resources }
  | { type: 'ActivateAgent'; agentId: string }
  | { type: 'DeactivateAgent'; agentId: string }
  | { type: 'RecoverResources'; frameworkId: string; agentId: string; resources: Resources; filters?: Filters }
  | { type: 'SuppressOffers'; frameworkId: string; roles?: readonly string[] }
  | { type: 'ReviveOffers'; frameworkId: string; roles?: readonly string[] }
  | { type: 'UpdateWeights'; weights: readonly { role: string; weight: number }[] }
  | { type: 'UpdateQuota'; role: string; guarantees?: Quantities; limits?: Quantities }

export type AllocatorEvent =
  | AllocatorOp
  /**
   * Several ops in one event, applied in order exactly as if sent one by one: XState's handling of
   * an event costs far more than most ops (about 40 us against a few), so the master hands over
   * all the ops of a turn at once.
   */
  | { type: 'Ops'; ops: readonly AllocatorOp[] }
  /** Mesos's allocator pause/resume: no cycles while paused; state changes still apply. */
  | { type: 'Pause' }
  | { type: 'Resume' }

export interface AllocatorMachineInput {
  port: ActorPort
  /** Receives each cycle's offers (non-empty), in the order the core made them. */
  onOffers: (offers: Offer[]) => void
  options?: AllocatorOptions
  /**
   * Ops the sender has queued and not yet sent: taken and applied before each cycle, so that no
   * cycle misses an op issued before it (on a simulated clock, a due cycle timer may fire before
   * the sender's flush).
   */
  queued?: AllocatorOpQueue
}

interface AllocatorContext {
  /** The core, held by reference and mutated in actions: never copied per event. */
  readonly allocator: HierarchicalAllocator
  readonly port: ActorPort
  readonly onOffers: (offers: Offer[]) => void
  readonly intervalMs: number
  readonly queued: AllocatorOpQueue | undefined
  /** Events handled since the last cycle (the `allocator/event_queue_dispatches` gauge). */
  pending: number
}

const OPS = [
  'AddFramework',
  'RemoveFramework',
  'ActivateFramework',
  'DeactivateFramework',
  'UpdateFramework',
  'AddAgent',
  'RemoveAgent',
  'UpdateAgent',
  'ActivateAgent',
  'DeactivateAgent',
  'RecoverResources',
  'SuppressOffers',
  'ReviveOffers',
  'UpdateWeights',
  'UpdateQuota',
] as const satisfies readonly AllocatorOp['type'][]

/**
 * Events after which Mesos allocates at once rather than waiting for the interval: new agents,
 * recovered resources, revived or newly active frameworks (hierarchical.cpp calls
 * `generateOffers()` there). Several in a row are batched into one cycle.
 */
const TRIGGERS = ['AddAgent', 'UpdateAgent', 'ActivateAgent', 'RecoverResources', 'ReviveOffers', 'AddFramework', 'ActivateFramework'] as const
const TRIGGER_TYPES: ReadonlySet<string> = new Set(TRIGGERS)

function applyOp(a: HierarchicalAllocator, e: AllocatorOp, now: number): void {
  switch (e.type) {
    case 'AddFramework':
      return a.addFramework(e.frameworkId, { roles: e.roles, suppressedRoles: e.suppressedRoles, active: e.active })
    case 'RemoveFramework':
      return a.removeFramework(e.frameworkId)
    case 'ActivateFramework':
      return a.activateFramework(e.frameworkId)
    case 'DeactivateFramework':
      return a.deactivateFramework(e.frameworkId)
    case 'UpdateFramework':
      return a.updateFramework(e.frameworkId, { roles: e.roles, suppressedRoles: e.suppressedRoles })
    case 'AddAgent':
      return a.addAgent(e.agentId, e.total, e.used)
    case 'RemoveAgent':
      return a.removeAgent(e.agentId)
    case 'UpdateAgent':
      return a.updateAgent(e.agentId, e.total)
    case 'ActivateAgent':
      return a.activateAgent(e.agentId)
    case 'DeactivateAgent':
      return a.deactivateAgent(e.agentId)
    case 'RecoverResources':
      return a.recoverResources(e.frameworkId, e.agentId, e.resources, e.filters, now)
    case 'SuppressOffers':
      return a.suppressOffers(e.frameworkId, e.roles)
    case 'ReviveOffers':
      return a.reviveOffers(e.frameworkId, e.roles)
    case 'UpdateWeights':
      return a.updateWeights(e.weights)
    case 'UpdateQuota':
      return a.updateQuota(e.role, { guarantees: e.guarantees, limits: e.limits })
  }
}

/** Applies one op, counting it; an op the core refuses is counted, logged and skipped. */
function applyCounted(context: AllocatorContext, op: AllocatorOp): void {
  context.pending++
  try {
    applyOp(context.allocator, op, context.port.now())
  } catch (err) {
    // A stale or malformed event (unknown framework, double add) must not stop allocation.
    if (!(err instanceof AllocatorError)) throw err
    context.port.metrics.counter('allocator/invalid_events').inc()
    context.port.log.warn({ event: op.type, reason: err.message }, 'allocator ignored an event')
  }
}

/**
 * The allocator actor: a thin shell around HierarchicalAllocator. It applies each event to the
 * core, runs a cycle every `allocationIntervalMs` (`--allocation_interval`, default 1 s) and, after
 * a triggering event (or an `Ops` batch holding one), one more cycle as soon as the current burst
 * of events is handled (a 0 ms `after`, so every event already queued joins the same cycle).
 * Timers follow the clock given to `createActor`, so tests run it on a SimClock.
 */
export const allocatorMachine = setup({
  types: {
    context: {} as AllocatorContext,
    events: {} as AllocatorEvent,
    input: {} as AllocatorMachineInput,
  },
  delays: {
    interval: ({ context }) => context.intervalMs,
  },
  guards: {
    batchHasTrigger: ({ event }) => (event as Extract<AllocatorEvent, { type: 'Ops' }>).ops.some(op => TRIGGER_TYPES.has(op.type)),
  },
  actions: {
    apply: ({ context, event }) => applyCounted(context, event as AllocatorOp),
    applyBatch: ({ context, event }) => {
      for (const op of (event as Extract<AllocatorEvent, { type: 'Ops' }>).ops) applyCounted(context, op)
    },
    runCycle: ({ context }) => {
      const { port, allocator } = context
      if (context.queued !== undefined && context.queued.size > 0) for (const op of context.queued.take()) applyCounted(context, op)
      const started = performance.now()
      const offers = allocator.allocate(port.now())
      port.metrics.timer('allocator/allocation_run_ms').record(performance.now() - started)
      port.metrics.counter('allocator/allocation_runs').inc()
      port.metrics.gauge('allocator/event_queue_dispatches').set(context.pending)
      context.pending = 0
      if (offers.length > 0) {
        port.metrics.counter('allocator/offers').inc(offers.length)
        context.onOffers(offers)
      }
    },
  },
}).createMachine({
  id: 'allocator',
  context: ({ input }) => {
    const intervalMs = input.options?.allocationIntervalMs ?? DEFAULT_ALLOCATION_INTERVAL_MS
    return {
      allocator: new HierarchicalAllocator({ ...input.options, allocationIntervalMs: intervalMs }),
      port: input.port,
      onOffers: input.onOffers,
      intervalMs,
      queued: input.queued,
      pending: 0,
    }
  },
  initial: 'running',
  states: {
    running: {
      initial: 'waiting',
      after: {
        interval: { target: '.waiting', reenter: true, actions: 'runCycle' },
      },
      on: {
        ...Object.fromEntries(OPS.map(t => [t, { actions: 'apply' as const }])),
        Ops: { actions: 'applyBatch' },
        Pause: { target: 'paused' },
      },
      states: {
        waiting: {
          on: {
            ...Object.fromEntries(TRIGGERS.map(t => [t, { target: 'batching', actions: 'apply' as const }])),
            // A batch without a trigger falls through to `running`'s Ops: applied, no cycle.
            Ops: { guard: 'batchHasTrigger', target: 'batching', actions: 'applyBatch' },
          },
        },
        batching: {
          after: {
            0: { target: 'waiting', actions: 'runCycle' },
          },
        },
      },
    },
    paused: {
      on: {
        ...Object.fromEntries(OPS.map(t => [t, { actions: 'apply' as const }])),
        Ops: { actions: 'applyBatch' },
        Resume: { target: 'running' },
      },
    },
  },
})

