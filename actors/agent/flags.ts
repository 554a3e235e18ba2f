// The agent's tunables, in Mesos's names (src/slave/flags.cpp, src/slave/constants.hpp), as
// milliseconds. The CLI parses `--registration_backoff_factor=1secs` etc. into these.

export interface AgentFlags {
  /** Mesos `--registration_backoff_factor` (1 s): the first attempt waits up to this long. */
  registrationBackoffFactorMs: number
  /** Mesos REGISTER_RETRY_INTERVAL_MAX (1 min): the cap of the doubling registration backoff. */
  registrationRetryMaxMs: number
  /**
   * How long without a Ping before the master counts as lost, when AgentRegistered carries no
   * `connection.total_ping_timeout_seconds`. Mesos: agent_ping_timeout 15 s x max_agent_ping_timeouts 5.
   */
  masterPingTimeoutMs: number
  /**
   * Mesos `--executor_shutdown_grace_period` (5 s): how long an executor has to shut down before
   * its container is destroyed, and the kill grace period of tasks that set no kill policy.
   */
  executorShutdownGracePeriodMs: number
  /**
   * Mesos `--executor_registration_timeout` (1 min): a custom executor that has not subscribed by
   * then is destroyed and its tasks fail.
   */
  executorRegistrationTimeoutMs: number
  /** Mesos STATUS_UPDATE_RETRY_INTERVAL_MIN/MAX (10 s, 10 min). */
  statusUpdateRetryMinMs: number
  statusUpdateRetryMaxMs: number
  /** Terminal, acknowledged tasks remembered per framework (for state endpoints). */
  maxCompletedTasksPerFramework: number
}

export const DEFAULT_AGENT_FLAGS: Readonly<AgentFlags> = Object.freeze({
  registrationBackoffFactorMs: 1_000,
  registrationRetryMaxMs: 60_000,
  masterPingTimeoutMs: 75_000,
  executorShutdownGracePeriodMs: 5_000,
  executorRegistrationTimeoutMs: 60_000,
  statusUpdateRetryMinMs: 10_000,
  statusUpdateRetryMaxMs: 600_000,
  maxCompletedTasksPerFramework: 1_000,
})

/** The version the agent reports in RegisterAgent. */
export const AGENT_VERSION = '0.1.0'
