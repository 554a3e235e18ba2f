import type { Pid } from '../../runtime/index.js'
import type { Resources } from '../resources/index.js'
import type { AgentInfo, FrameworkInfo, TaskInfo, TaskState, TaskStatus, ExecutorInfo } from '../protocol/index.js'
import { BoundedHistory } from './bounded-history.js'

/** What the master knows of one agent. Mutated in place by the master core. */
export interface AgentRecord {
  readonly id: string
  pid: Pid
  info: AgentInfo
  /** The IP the agent sent with its latest (re)registration (Offer.url.address.ip). */
  ip?: string
  total: Resources
  /** Sum of the resources of the agent's non-terminal tasks (and their executors). */
  used: Resources
  registeredAt: number
  reregisteredAt?: number
  /** Linked and answering: offers are made only for connected agents. */
  connected: boolean
  /** Pings sent since the last Pong. */
  missedPings: number
  /** Active task keys (`<framework>/<task>`) on this agent. */
  readonly tasks: Set<string>
  /** Outstanding offer ids on this agent. */
  readonly offers: Set<string>
  version: string
  /** The agent process's boot id (RegisterAgent.boot_id), when it sent one. */
  bootId?: string
}

export interface TaskRecord {
  readonly key: string
  readonly frameworkId: string
  readonly agentId: string
  readonly info: TaskInfo
  /** The task's resources plus, for the executor's first task, the executor's. */
  readonly resources: Resources
  readonly executor?: ExecutorInfo
  /** The latest state the master knows (the agent's latest, not the last acknowledged). */
  state: TaskState
  /** The last status the master received or generated. */
  status: TaskStatus
  /** The uuid of the newest update the framework has not acknowledged, if any. */
  pendingUuid?: string
  role: string
}

export interface FrameworkRecord {
  readonly id: string
  pid: Pid
  info: FrameworkInfo
  roles: string[]
  connected: boolean
  active: boolean
  registeredAt: number
  reregisteredAt?: number
  unregisteredAt?: number
  /** Pending failover timer (a disconnected framework is removed when it fires). */
  failoverTimer?: unknown
  /** Active (non-acknowledged-terminal) tasks by task id. */
  readonly tasks: Map<string, TaskRecord>
  readonly offers: Set<string>
  readonly completedTasks: BoundedHistory<TaskRecord>
  readonly partitionAware: boolean
}

export interface OfferRecord {
  readonly id: string
  readonly frameworkId: string
  readonly agentId: string
  readonly role: string
  readonly resources: Resources
}

export function taskKey(frameworkId: string, taskId: string): string {
  return `${frameworkId}/${taskId}`
}

export function hasCapability(info: FrameworkInfo, type: string): boolean {
  return (info.capabilities ?? []).some(c => c.type === type)
}

/** FrameworkInfo.roles for MULTI_ROLE frameworks, else the legacy single `role`, else '*'. */
export function frameworkRoles(info: FrameworkInfo): string[] {
  if (hasCapability(info, 'MULTI_ROLE')) return [...new Set(info.roles ?? [])]
  return [info.role ?? '*']
}
