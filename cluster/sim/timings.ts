// The clocks of a simulated cluster. Mesos's defaults (15 s pings x 5, 10 s..10 min status update
// retries, 1 min registration backoff) would make each seed simulate many minutes before anything
// interesting happens; these keep the same ratios between the timeouts at a few seconds each,
// so that a 200-step run sees agents removed, updates retried and frameworks failing over.
import type { AgentFlags } from '../../actors/agent/index.js'
import type { MasterOptions } from '../../actors/master/index.js'
import type { SchedulerOptions } from '../../actors/scheduler/index.js'

export interface SimTimings {
  master: Partial<MasterOptions>
  agent: Partial<AgentFlags>
  scheduler: Omit<SchedulerOptions, 'random'>
  /** Runtime link pings (liveness of linked pids). */
  linkPingIntervalMs: number
  linkTimeoutMs: number
  /** The network's delay per message when no delay fault is active. */
  minDelayMs: number
  maxDelayMs: number
  /** FrameworkInfo.failover_timeout, seconds: far longer than any scheduler crash lasts. */
  failoverTimeoutSeconds: number
  /** One step advances the clock by a random amount in this range. */
  stepMinMs: number
  stepMaxMs: number
  /** One registry write's round trip to the (simulated) KV store. */
  registryLatencyMs: number
  /** The KV client's request timeout (a `kv-unavailable` fault of the `timeout` kind). */
  registryTimeoutMs: number
  /** The leader lease's TTL (the CLI's --lease_ms default, 3 s, is already short). */
  leaseMs: number
  /** After the last step: time for the healed cluster to converge, before and after reconciling. */
  settleMs: number
  reconcileMs: number
}

export const DEFAULT_TIMINGS: SimTimings = {
  master: {
    agentPingTimeoutMs: 2_000,
    maxAgentPingTimeouts: 3,
    allocationIntervalMs: 500,
    heartbeatIntervalMs: 3_000,
    // --offer_timeout (the CLI's 1 min at the same ratio): a lost Offers, Accept or Decline
    // message must not hide resources for the rest of the run.
    offerTimeoutMs: 8_000,
    // A lost RunTask must not leave its task staging for ever (the default 1 min at the same ratio).
    taskStagingTimeoutMs: 8_000,
    // --agent_reregister_timeout (10 min) at the same ratio as the pings: after a master failover,
    // a recovered agent that does not come back is marked unreachable.
    agentReregisterTimeoutMs: 10_000,
  },
  agent: {
    registrationBackoffFactorMs: 500,
    registrationRetryMaxMs: 8_000,
    executorShutdownGracePeriodMs: 1_000,
    statusUpdateRetryMinMs: 2_000,
    statusUpdateRetryMaxMs: 8_000,
  },
  scheduler: {
    registrationBackoffFactorMs: 500,
    registrationBackoffMaxMs: 8_000,
    maxMissedHeartbeats: 3,
  },
  linkPingIntervalMs: 2_000,
  linkTimeoutMs: 6_000,
  minDelayMs: 1,
  maxDelayMs: 5,
  failoverTimeoutSeconds: 3_600,
  registryLatencyMs: 5,
  registryTimeoutMs: 2_000,
  leaseMs: 3_000,
  stepMinMs: 20,
  stepMaxMs: 600,
  settleMs: 20_000,
  reconcileMs: 10_000,
}
