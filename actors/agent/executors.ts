// How the agent starts executors. Executors are actors in the agent's runtime; the agent has no
// runtime handle (it only has its port), so whoever builds the agent passes a SpawnExecutor.
// actors/executor/spawn-executor.ts has the default one (`executorSpawner(runtime)`).
import type { Pid } from '../../runtime/index.js'
import type { ExecutorInfo, FrameworkInfo, TaskInfo, TaskState } from '../protocol/index.js'
import type { ProcessLauncher } from './process-launcher.js'
import type { RandomSource } from './ids.js'

/**
 * `command`: Mesos's built-in command executor, real processes. `emulated`: tasks "run" for the
 * time their labels say, no process is started (benchmarks and simulation only). `custom`: the
 * program of a task's ExecutorInfo, which talks to the agent over the v1 executor HTTP API (the
 * cluster layer spawns it; command agents use it for tasks that name an executor).
 */
export type ExecutorKind = 'command' | 'emulated' | 'custom'

/** Everything an executor needs from its agent to start (Mesos passes these in the environment). */
export interface ExecutorLaunch {
  agentPid: Pid
  agentId: string
  frameworkId: string
  executorId: string
  containerId: string
  /** The executor's ExecutorInfo (a custom executor's command is in it). */
  info?: ExecutorInfo
  /** The run's sandbox (command executors; absent for emulated ones, which write nothing). */
  sandbox?: string
  /** The run's meta directory (forked.pid, exit.status). */
  metaDir?: string
  /** The executor's environment (Mesos's executorEnvironment): MESOS_* and the agent's PATH. */
  env: Readonly<Record<string, string>>
  /** The agent's launcher (command executors). */
  launcher?: ProcessLauncher
  /** Kill grace period of tasks with no kill policy (the agent's executor_shutdown_grace_period). */
  killGracePeriodMs: number
  /** How long the executor has to shut down when told to. */
  shutdownGracePeriodMs: number
  random: RandomSource
  /**
   * Set when the agent restarted and re-adopts this run (recovery.ts): the executor reregisters
   * and watches the process an earlier incarnation started, instead of launching one.
   */
  recovered?: RecoveredExecutorRun
}

export interface RecoveredExecutorRun {
  framework: FrameworkInfo
  /** The run's non-terminal tasks and their last checkpointed state. */
  tasks: ReadonlyArray<{ info: TaskInfo; state: TaskState }>
}

export interface ExecutorHandle {
  /** Where the executor's messages come from and where the agent sends its own. */
  readonly pid: Pid
  /**
   * True when the pid is this executor's own actor: the agent links to it and learns of its end
   * from `exited`. False for executors hosted in a shared actor (emulated ones): the agent tells
   * them to go with ShutdownExecutor once their tasks are terminal, and forgets them.
   */
  readonly linked: boolean
  /** Stops the executor's actor at once (after its shutdown grace period ran out). */
  stop(): void
}

export type SpawnExecutor = (kind: ExecutorKind, launch: ExecutorLaunch) => ExecutorHandle
