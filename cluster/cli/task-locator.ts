// Finds a task's sandbox the way Mesos's mesos-cat does: the task and its agent from the master's
// /master/state, then the executor's `directory` from the agent's /state. The agent's endpoints
// are at its hostname:port, except in `mesos-ts local`, where agent N (pid `agent-N@local`) is
// served under /slave(N)/ on the master's port.

import { CommandError } from './command.js'
import { getJson } from './operator-http.js'

export interface MasterStateTask {
  id: string
  name: string
  framework_id: string
  executor_id?: string
  slave_id: string
  state: string
  resources?: { cpus?: number; mem?: number }
}

export interface MasterStateFramework {
  id: string
  name: string
  tasks: MasterStateTask[]
  completed_tasks?: MasterStateTask[]
}

export interface MasterStateAgent {
  id: string
  hostname: string
  port: number
  pid: string
}

export interface MasterState {
  slaves: MasterStateAgent[]
  frameworks: MasterStateFramework[]
  completed_frameworks?: MasterStateFramework[]
}

interface AgentStateExecutor {
  id: string
  directory: string
  tasks?: Array<{ id: string }>
  completed_tasks?: Array<{ id: string }>
  queued_tasks?: Array<{ id: string }>
}

interface AgentStateFramework {
  id: string
  executors?: AgentStateExecutor[]
  completed_executors?: AgentStateExecutor[]
}

interface AgentState {
  id: string
  frameworks?: AgentStateFramework[]
  completed_frameworks?: AgentStateFramework[]
}

export interface LocatedTask {
  task: MasterStateTask
  framework: MasterStateFramework
  agent: MasterStateAgent
  /** The agent's HTTP base, without a trailing slash: `http://host:5051` or `http://master:5050/slave(2)`. */
  agentUrl: string
  /** The sandbox (`.../runs/<container>`), as the agent's /files/read takes it. */
  directory: string
}

export function masterUrl(address: { host: string; port: number }): string {
  return `http://${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`
}

/** Every framework the master remembers, active first. */
function allFrameworks(state: MasterState): MasterStateFramework[] {
  return [...state.frameworks, ...(state.completed_frameworks ?? [])]
}

/** The task with this id, or a CommandError saying that none or several match. */
export function findTask(state: MasterState, taskId: string, frameworkId?: string): { task: MasterStateTask; framework: MasterStateFramework } {
  const matches: Array<{ task: MasterStateTask; framework: MasterStateFramework }> = []
  for (const framework of allFrameworks(state)) {
    if (frameworkId !== undefined && framework.id !== frameworkId) continue
    for (const task of [...framework.tasks, ...(framework.completed_tasks ?? [])]) {
      if (task.id === taskId) matches.push({ task, framework })
    }
  }
  if (matches.length === 1) return matches[0]
  const within = frameworkId !== undefined ? ` in framework '${frameworkId}'` : ''
  if (matches.length === 0) throw new CommandError(`no task '${taskId}'${within} is known to the master (see 'mesos-ts ps --all')`)
  const frameworks = [...new Set(matches.map((m) => m.framework.id))]
  if (frameworks.length > 1) {
    throw new CommandError(`task id '${taskId}' is ambiguous: frameworks ${frameworks.join(', ')} each have one; choose with --framework=<id>`)
  }
  // A task id is unique within a framework, but a relaunched task reuses it: the newest is the one still running, if any.
  return matches.find((m) => !isTerminal(m.task.state)) ?? matches[matches.length - 1]
}

export function isTerminal(state: string): boolean {
  return ['TASK_FINISHED', 'TASK_FAILED', 'TASK_KILLED', 'TASK_LOST', 'TASK_ERROR', 'TASK_DROPPED', 'TASK_GONE'].includes(state)
}

/** Where the agent's HTTP API is, in the order to try. */
export function agentUrlCandidates(master: string, agent: MasterStateAgent): string[] {
  const local = /^agent-(\d+)@local$/.exec(agent.pid)
  const direct = `http://${agent.hostname.includes(':') ? `[${agent.hostname}]` : agent.hostname}:${agent.port}`
  return local !== null ? [`${master}/slave(${local[1]})`, direct] : [direct]
}

function sandboxOf(state: AgentState, frameworkId: string, task: MasterStateTask): string | undefined {
  for (const framework of [...(state.frameworks ?? []), ...(state.completed_frameworks ?? [])]) {
    if (framework.id !== frameworkId) continue
    for (const executor of [...(framework.executors ?? []), ...(framework.completed_executors ?? [])]) {
      const ids = [...(executor.tasks ?? []), ...(executor.completed_tasks ?? []), ...(executor.queued_tasks ?? [])].map((t) => t.id)
      // The command executor is named after its task; a custom executor lists its tasks.
      if (ids.includes(task.id) || (task.executor_id ? executor.id === task.executor_id : executor.id === task.id)) {
        if (executor.directory !== '') return executor.directory
      }
    }
  }
  return undefined
}

export async function locateTask(master: string, taskId: string, frameworkId: string | undefined, signal?: AbortSignal): Promise<LocatedTask> {
  const state = await getJson<MasterState>(`${master}/master/state`, signal)
  const { task, framework } = findTask(state, taskId, frameworkId)
  const agent = state.slaves.find((a) => a.id === task.slave_id)
  if (agent === undefined) throw new CommandError(`task '${taskId}' ran on agent ${task.slave_id}, which the master no longer knows: its sandbox cannot be found`)
  const failures: string[] = []
  for (const agentUrl of agentUrlCandidates(master, agent)) {
    let agentState: AgentState
    try {
      agentState = await getJson<AgentState>(`${agentUrl}/state`, signal)
    } catch (err) {
      if (!(err instanceof CommandError)) throw err
      failures.push(err.message)
      continue
    }
    if (agentState.id !== agent.id) {
      failures.push(`${agentUrl}/state is agent ${agentState.id}, not ${agent.id}`)
      continue
    }
    const directory = sandboxOf(agentState, framework.id, task)
    if (directory === undefined) throw new CommandError(`agent ${agent.id} (${agentUrl}) has no sandbox for task '${taskId}' (it may have been garbage collected)`)
    return { task, framework, agent, agentUrl, directory }
  }
  throw new CommandError(`cannot reach agent ${agent.id} of task '${taskId}': ${failures.join('; ')}`)
}
