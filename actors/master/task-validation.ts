// Validation of tasks in an ACCEPT, as Mesos's master does it (src/master/validation.cpp):
// pure functions that return the message a framework sees in TASK_ERROR, or undefined.
import { formatResources, fromJson, type Resources, ResourceError, ResourceParseError } from '../resources/index.js'
import type { ExecutorInfo, TaskInfo } from '../protocol/index.js'

export interface LaunchContext {
  readonly frameworkId: string
  readonly agentId: string
  readonly role: string
  /** Offered resources not yet used by earlier tasks of this accept. */
  readonly remaining: Resources
  /** Task ids the framework already has active. */
  isActiveTask(taskId: string): boolean
  /** Task ids used earlier in the same accept. */
  readonly seenInAccept: Set<string>
  /** Executors already running on the agent for this framework (their resources are paid). */
  isKnownExecutor(executorId: string): boolean
}

export interface ValidLaunch {
  readonly resources: Resources
  /** Resources the master must account for: the task's plus a new executor's. */
  readonly consumed: Resources
}

const MAX_ID_LENGTH = 255

/** Mesos's common ID rules (TaskID, ExecutorID): non-empty, no '/', no whitespace or control. */
export function idError(kind: string, value: string): string | undefined {
  if (value.length === 0) return `${kind} must not be empty`
  if (value.length > MAX_ID_LENGTH) return `${kind} '${value.slice(0, 32)}...' is longer than ${MAX_ID_LENGTH} characters`
  if (value === '.' || value === '..') return `${kind} '${value}' is not allowed`
  for (const ch of value) {
    if (ch === '/') return `${kind} '${value}' contains '/'`
    if (ch.trim() === '' || ch.charCodeAt(0) < 0x20) return `${kind} '${value}' contains whitespace or a control character`
  }
  return undefined
}

/**
 * Resources from a framework, with the offer's allocation role filled in where the framework
 * left it out (frameworks that are not MULTI_ROLE never set it); a different role is an error.
 */
export function resourcesForRole(json: unknown, role: string, what: string): Resources | string {
  let parsed: Resources
  try {
    parsed = fromJson(json ?? [])
  } catch (err) {
    if (isResourceError(err)) return `${what} has invalid resources: ${err.message}`
    throw err
  }
  for (const r of parsed) {
    if (r.allocationRole !== undefined && r.allocationRole !== role) {
      return `${what} has resources allocated to role '${r.allocationRole}' but the offer is allocated to '${role}'`
    }
  }
  return parsed.allocate(role)
}

function executorError(executor: ExecutorInfo, ctx: LaunchContext): string | undefined {
  const idErr = idError('ExecutorID', executor.executor_id?.value ?? '')
  if (idErr) return idErr
  if (executor.framework_id && executor.framework_id.value !== ctx.frameworkId) {
    return `ExecutorInfo has an invalid FrameworkID (actual: ${executor.framework_id.value} vs expected: ${ctx.frameworkId})`
  }
  if ((executor.type ?? 'CUSTOM') !== 'DEFAULT' && !executor.command) return `ExecutorInfo '${executor.executor_id.value}' of type CUSTOM needs a CommandInfo`
  return undefined
}

/** Validates one task of a LAUNCH against what is left of the offers. */
export function validateTask(task: TaskInfo, ctx: LaunchContext): ValidLaunch | string {
  const taskId = task.task_id?.value ?? ''
  const idErr = idError('TaskID', taskId)
  if (idErr) return idErr
  if (ctx.seenInAccept.has(taskId)) return `Task '${taskId}' is a duplicate within this ACCEPT`
  if (ctx.isActiveTask(taskId)) return `Task has duplicate ID: ${taskId}`
  if (task.agent_id?.value !== ctx.agentId) {
    return `Task uses invalid agent: ${task.agent_id?.value ?? '(none)'} (the offers are for agent ${ctx.agentId})`
  }
  if (Boolean(task.command) === Boolean(task.executor)) {
    return 'Task should have at least one (but not both) of CommandInfo or ExecutorInfo present'
  }
  if (task.command && task.command.shell !== false && !(task.command.value ?? '').trim()) {
    return 'Task has a shell CommandInfo with an empty command value'
  }
  if (task.command && task.command.shell === false && !task.command.value) {
    return 'Task has a non-shell CommandInfo without a value (the program to run)'
  }
  const resources = resourcesForRole(task.resources, ctx.role, 'Task')
  if (typeof resources === 'string') return resources
  if (resources.isEmpty()) return 'Task uses no resources'
  let consumed = resources
  if (task.executor) {
    const exErr = executorError(task.executor, ctx)
    if (exErr) return exErr
    if (!ctx.isKnownExecutor(task.executor.executor_id.value)) {
      const exRes = resourcesForRole(task.executor.resources, ctx.role, 'Executor')
      if (typeof exRes === 'string') return exRes
      consumed = consumed.add(exRes)
    }
  }
  if (!ctx.remaining.contains(consumed)) {
    return `Task uses more resources ${formatResources(consumed)} than available ${formatResources(ctx.remaining)}`
  }
  return { resources, consumed }
}

/** Bad resources from outside (a parse or a model error), as opposed to a bug here. */
export function isResourceError(err: unknown): err is Error {
  return err instanceof ResourceError || err instanceof ResourceParseError
}
