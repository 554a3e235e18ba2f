// Messages Mesos relays unchanged along a path (messages.proto): master -> agent -> executor for
// RunTask, RunTaskGroup, KillTask, ShutdownExecutor, StatusUpdateAcknowledgement and
// FrameworkToExecutorMessage; executor -> agent -> master for StatusUpdate and
// ExecutorToFrameworkMessage. Each has one schema here, listed by every catalogue whose
// conversation carries it (agent-messages.ts and executor-messages.ts), so the type name is
// the same on every hop and the runtime's registry sees one schema per name.
import { Type, type Static } from '@sinclair/typebox'
import { AgentID, ExecutorID, FrameworkID, TaskID } from './common.js'
import { FrameworkInfo } from './framework.js'
import { ExecutorInfo, KillPolicy, StatusUpdate, TaskGroupInfo, TaskInfo } from './task.js'

/**
 * Launch one task (master -> agent, agent -> executor). `framework_id` is deprecated in Mesos
 * (it equals `framework.id`) but required here so handlers need not assert `framework.id`.
 * `pid` is the scheduler's pid when it talks over the bus (absent for v1 HTTP schedulers).
 * `launch_executor` tells the agent whether it may start the task's executor (false when the
 * master believes it is already running). `master_epoch`: the leader lease's epoch of the master
 * term that launched it (absent: not elected through a lease); an agent that detected another
 * term of that pid drops it, since the term that would account for the task is gone.
 */
const RunTask = Type.Object({
  framework: FrameworkInfo,
  framework_id: FrameworkID,
  task: TaskInfo,
  pid: Type.Optional(Type.String()),
  launch_executor: Type.Optional(Type.Boolean()),
  master_epoch: Type.Optional(Type.Integer({ minimum: 0 })),
})
export type RunTaskBody = Static<typeof RunTask>

/** Launch a task group in `executor` (LAUNCH_GROUP); `framework_id` and `master_epoch` as in RunTask. */
const RunTaskGroup = Type.Object({
  framework: FrameworkInfo,
  framework_id: FrameworkID,
  executor: ExecutorInfo,
  task_group: TaskGroupInfo,
  launch_executor: Type.Optional(Type.Boolean()),
  master_epoch: Type.Optional(Type.Integer({ minimum: 0 })),
})
export type RunTaskGroupBody = Static<typeof RunTaskGroup>

/** Kill a task (master -> agent, agent -> executor); `kill_policy` overrides the task's own. */
const KillTask = Type.Object({
  framework_id: FrameworkID,
  task_id: TaskID,
  kill_policy: Type.Optional(KillPolicy),
})
export type KillTaskBody = Static<typeof KillTask>

/** Shut an executor down (master -> agent, agent -> executor); Mesos leaves both optional. */
const ShutdownExecutor = Type.Object({
  executor_id: Type.Optional(ExecutorID),
  framework_id: Type.Optional(FrameworkID),
})
export type ShutdownExecutorBody = Static<typeof ShutdownExecutor>

/**
 * A task status update (executor -> agent, agent -> master), retried by the agent's status
 * update manager until acknowledged. `pid` is the sender's pid as in Mesos (the envelope's
 * `from` says the same on the bus).
 */
const StatusUpdateMessage = Type.Object({
  update: StatusUpdate,
  pid: Type.Optional(Type.String()),
})
export type StatusUpdateBody = Static<typeof StatusUpdateMessage>

/**
 * The framework acknowledged a status update (master -> agent, agent -> executor). `uuid` is
 * the update's uuid, base64 (bytes.ts).
 */
const StatusUpdateAcknowledgement = Type.Object({
  agent_id: AgentID,
  framework_id: FrameworkID,
  task_id: TaskID,
  uuid: Type.String(),
})
export type StatusUpdateAcknowledgementBody = Static<typeof StatusUpdateAcknowledgement>

/** Opaque data from a scheduler to its executor (master -> agent -> executor); base64. */
const FrameworkToExecutorMessage = Type.Object({
  agent_id: AgentID,
  framework_id: FrameworkID,
  executor_id: ExecutorID,
  data: Type.String(),
})
export type FrameworkToExecutorMessageBody = Static<typeof FrameworkToExecutorMessage>

/** Opaque data from an executor to its scheduler (executor -> agent -> master); base64. */
const ExecutorToFrameworkMessage = Type.Object({
  agent_id: AgentID,
  framework_id: FrameworkID,
  executor_id: ExecutorID,
  data: Type.String(),
})
export type ExecutorToFrameworkMessageBody = Static<typeof ExecutorToFrameworkMessage>

export const RelayedMessages = {
  RunTask,
  RunTaskGroup,
  KillTask,
  ShutdownExecutor,
  StatusUpdate: StatusUpdateMessage,
  StatusUpdateAcknowledgement,
  FrameworkToExecutorMessage,
  ExecutorToFrameworkMessage,
} as const
