// What one agent's HTTP layer (state, files, monitor, operator and executor APIs) needs from the
// process that hosts the agent. Built by `mesos-ts agent` (one agent) and by the local cluster
// (one per agent, all served under `/slave(N)/` on the master's port).
import type { Logger, Pid, Runtime } from '../../runtime/index.js'
import type { AgentCore } from '../../actors/agent/index.js'
import type { CustomExecutors } from './executor-proxy.js'

export interface AgentHttpDeps {
  /** The agent's runtime: its metrics registry. */
  runtime: Runtime
  agentPid: Pid
  /** The agent's state, read-only; undefined once the agent actor has stopped. */
  core(): AgentCore | undefined
  /** `--work_dir` of this agent: sandboxes are under `<work_dir>/slaves/<agent id>/`. */
  workDir: string
  /** The flags the process was started with, as text, for /flags and GET_FLAGS. */
  flags: Record<string, string>
  log: Logger
  /** Process start (ms since the epoch). */
  startedAt: number
  version: string
  /** The HTTP executors of this process, for `/api/v1/executor`. */
  executors: CustomExecutors
  /** The process groups of a container (the launcher's), for /monitor/statistics. */
  processGroups?(containerId: string): readonly number[]
}
