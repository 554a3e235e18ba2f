// The master's side of its allocator: MasterCore's calls become allocator ops, queued and handed
// to the allocator actor as one `Ops` event per turn.
import type { ActorRefFrom } from 'xstate'
import type { Clock } from '../../runtime/index.js'
import type { AllocatorOp, AllocatorOpQueue, allocatorMachine } from '../allocator/index.js'
import type { AllocatorLink } from './master-core.js'

/**
 * Adapts the allocator child actor to the calls MasterCore makes.
 *
 * Why batches: XState's handling of one event (microstep, transition selection, the `after 0`
 * timer) costs about 40 us, against a few for most ops; a CPU profile of a failover with 10,000
 * agents reregistering spent 425 ms of the master's 5.4 s on AddAgent events alone.
 *
 * When a batch goes: at the next microtask (in real time, once the I/O callback that delivered a
 * burst of messages returns, before any timer) or at a 0 ms timer on the master's clock, whichever
 * comes first. The timer is there for simulated clocks, which fire timers back to back without
 * running microtasks: ops must not wait past the timers due now.
 *
 * Nothing in the master reads allocator state: it hears from the allocator only through offers,
 * made in the allocator's cycles, and the allocator drains `queue` before each cycle, so a cycle
 * never misses an op issued before it. Readers outside (the simulation's invariants) look between
 * clock advances, by which time both flushes have run.
 */
export function allocatorLink(ref: ActorRefFrom<typeof allocatorMachine>, queue: AllocatorOpQueue, clock: Clock): AllocatorLink {
  let scheduled = false
  let flushTimer: unknown
  const flush = (): void => {
    if (!scheduled) return
    scheduled = false
    clock.clearTimeout(flushTimer)
    if (queue.size === 0) return
    const ops = queue.take()
    // Stopped with the master: the queued ops go with it.
    if (ref.getSnapshot().status === 'active') ref.send({ type: 'Ops', ops })
  }
  const enqueue = (op: AllocatorOp): void => {
    queue.push(op)
    if (scheduled) return
    scheduled = true
    queueMicrotask(flush)
    flushTimer = clock.setTimeout(flush, 0)
  }
  return {
    addAgent: (agentId, total, used) => enqueue({ type: 'AddAgent', agentId, total, used }),
    removeAgent: agentId => enqueue({ type: 'RemoveAgent', agentId }),
    activateAgent: agentId => enqueue({ type: 'ActivateAgent', agentId }),
    deactivateAgent: agentId => enqueue({ type: 'DeactivateAgent', agentId }),
    addFramework: (frameworkId, roles, suppressedRoles) => enqueue({ type: 'AddFramework', frameworkId, roles, suppressedRoles }),
    removeFramework: frameworkId => enqueue({ type: 'RemoveFramework', frameworkId }),
    updateFramework: (frameworkId, roles, suppressedRoles) => enqueue({ type: 'UpdateFramework', frameworkId, roles, suppressedRoles }),
    activateFramework: frameworkId => enqueue({ type: 'ActivateFramework', frameworkId }),
    deactivateFramework: frameworkId => enqueue({ type: 'DeactivateFramework', frameworkId }),
    recoverResources: (frameworkId, agentId, resources, refuseSeconds) =>
      enqueue({ type: 'RecoverResources', frameworkId, agentId, resources, filters: refuseSeconds === undefined ? undefined : { refuseSeconds } }),
    suppressOffers: (frameworkId, roles) => enqueue({ type: 'SuppressOffers', frameworkId, roles }),
    reviveOffers: (frameworkId, roles) => enqueue({ type: 'ReviveOffers', frameworkId, roles }),
    updateAgent: (agentId, total) => enqueue({ type: 'UpdateAgent', agentId, total }),
    updateWeights: weights => enqueue({ type: 'UpdateWeights', weights }),
    updateQuota: (role, guarantees, limits) => enqueue({ type: 'UpdateQuota', role, guarantees, limits }),
  }
}
