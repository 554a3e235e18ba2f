// Tasks that stay TASK_STAGING too long on a connected agent. The bus delivers at most once, so a
// RunTask can be lost; Mesos needs nothing here because a lost message means a broken TCP
// connection, which makes the agent reregister and reconcile. Here the agent may stay connected,
// and the task would stay STAGING (its resources used) for ever. So the master asks the agent
// about such tasks now and then (ReconcileTasks); the agent answers TASK_LOST (TASK_DROPPED for
// partition-aware frameworks) for those it does not have, and nothing for those it has (an
// executor can take long to start: that is not an error).
import type { AgentRecord, FrameworkRecord, TaskRecord } from './records.js'

/** Staging tasks to ask about: agent id -> framework id -> tasks. */
export type StagingQuestions = Map<string, Map<string, TaskRecord[]>>

/**
 * The tasks TASK_STAGING for at least `timeoutMs` (since the master set that state) on connected
 * agents, grouped by agent and framework.
 */
export function stagingTasksToReconcile(
  frameworks: Iterable<FrameworkRecord>,
  agents: ReadonlyMap<string, AgentRecord>,
  now: number,
  timeoutMs: number,
): StagingQuestions {
  const out: StagingQuestions = new Map()
  for (const framework of frameworks) {
    for (const task of framework.tasks.values()) {
      if (task.state !== 'TASK_STAGING') continue
      if (now - (task.status.timestamp ?? 0) * 1000 < timeoutMs) continue
      if (!agents.get(task.agentId)?.connected) continue
      let byFramework = out.get(task.agentId)
      if (!byFramework) out.set(task.agentId, (byFramework = new Map()))
      let tasks = byFramework.get(framework.id)
      if (!tasks) byFramework.set(framework.id, (tasks = []))
      tasks.push(task)
    }
  }
  return out
}
