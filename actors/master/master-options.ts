/** The master's tunables, in milliseconds; cluster/ maps Mesos's flags onto them. */
export interface MasterOptions {
  /** `--agent_ping_timeout` (Mesos default 15 s): how long one ping may go unanswered. */
  agentPingTimeoutMs: number
  /** `--max_agent_ping_timeouts` (default 5): missed pings before the agent is removed. */
  maxAgentPingTimeouts: number
  /** `--allocation_interval` (default 1 s). */
  allocationIntervalMs: number
  /** `--min_allocatable_resources` (default `cpus:0.01|mem:32`). */
  minAllocatableResources: string
  /** Heartbeats to subscribed frameworks (Mesos: 15 s). */
  heartbeatIntervalMs: number
  /** `--max_completed_tasks_per_framework` (default 1000). */
  maxCompletedTasksPerFramework: number
  /**
   * This master took over from another (a failover): agents it does not know yet may still be
   * coming back, so for `agentReregisterTimeoutMs` it does not answer reconciliation for tasks
   * on unknown agents (Mesos answers nothing for agents that are recovered but not re-registered).
   */
  recovering: boolean
  /** `--agent_reregister_timeout` (default 10 min). */
  agentReregisterTimeoutMs: number
  /** `--max_completed_frameworks` (default 50). */
  maxCompletedFrameworks: number
  /**
   * `--offer_timeout`: an offer outstanding this long is rescinded and its resources recovered.
   * Undefined (Mesos's default): offers never time out. The CLI sets one (see master-flags.ts).
   */
  offerTimeoutMs?: number
  /**
   * A task still TASK_STAGING this long after its launch is asked about at its agent, which
   * answers TASK_LOST/TASK_DROPPED if its RunTask never arrived (staging-reconciler.ts); asked
   * again every half of it while it stays STAGING. Not in Mesos, which relies on TCP instead.
   */
  taskStagingTimeoutMs: number
  /** Seeds the allocator's agent shuffle (reproducible tests). */
  seed: number
  /**
   * The leader lease's epoch of this term (undefined: not elected through a lease). A
   * ReregisterAgent stamped with another epoch was addressed to another term of this pid.
   */
  epoch?: number
  /** Prefix of every id this master hands out (Mesos uses the master's UUID). */
  idPrefix: string
  /** Shown to frameworks in MasterInfo. */
  hostname: string
  port: number
}

export const DEFAULT_MASTER_OPTIONS: MasterOptions = {
  agentPingTimeoutMs: 15_000,
  maxAgentPingTimeouts: 5,
  allocationIntervalMs: 1000,
  minAllocatableResources: 'cpus:0.01|mem:32',
  heartbeatIntervalMs: 15_000,
  maxCompletedTasksPerFramework: 1000,
  maxCompletedFrameworks: 50,
  recovering: false,
  agentReregisterTimeoutMs: 600_000,
  taskStagingTimeoutMs: 60_000,
  seed: 1,
  idPrefix: 'm',
  hostname: 'localhost',
  port: 5050,
}

export const MASTER_VERSION = '0.1.0'
