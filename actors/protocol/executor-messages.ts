// The agent <-> executor conversation, for the built-in command executor and for custom
// executors built on the executor SDK (Mesos's internal messages.proto, as the libprocess
// executor driver speaks it). The task messages are the very ones the master sends the agent
// (relayed-messages.ts), so a task keeps one message type from master to executor and its
// updates one from executor to master. The v1 executor HTTP API maps onto these: SUBSCRIBE is
// RegisterExecutor (or ReregisterExecutor when it carries unacknowledged tasks or updates),
// SUBSCRIBED is ExecutorRegistered, LAUNCH is RunTask, LAUNCH_GROUP RunTaskGroup, KILL
// KillTask, ACKNOWLEDGED StatusUpdateAcknowledgement, UPDATE StatusUpdate, MESSAGE one of the
// two framework messages, SHUTDOWN ShutdownExecutor.
import { Type, type Static } from '@sinclair/typebox'
import { AgentID, ContainerID, ExecutorID, FrameworkID } from './common.js'
import { AgentInfo } from './agent.js'
import { FrameworkInfo } from './framework.js'
import { RelayedMessages } from './relayed-messages.js'
import { ExecutorInfo, StatusUpdate, TaskInfo } from './task.js'

// ---- executor -> agent -----------------------------------------------------------------------

/** A freshly started executor introduces itself to its agent. */
const RegisterExecutor = Type.Object({
  framework_id: FrameworkID,
  executor_id: ExecutorID,
})
export type RegisterExecutorBody = Static<typeof RegisterExecutor>

/**
 * An executor reconnects to a restarted agent (after ReconnectExecutor) with the tasks it was
 * given and the status updates not yet acknowledged, so the agent can recover both.
 */
const ReregisterExecutor = Type.Object({
  executor_id: ExecutorID,
  framework_id: FrameworkID,
  tasks: Type.Optional(Type.Array(TaskInfo)),
  updates: Type.Optional(Type.Array(StatusUpdate)),
})
export type ReregisterExecutorBody = Static<typeof ReregisterExecutor>

// ---- agent -> executor -----------------------------------------------------------------------

/** Registration accepted: what the executor needs to know about itself, its framework and host. */
const ExecutorRegistered = Type.Object({
  executor_info: ExecutorInfo,
  framework_id: FrameworkID,
  framework_info: FrameworkInfo,
  agent_id: AgentID,
  agent_info: AgentInfo,
  container_id: Type.Optional(ContainerID),
})
export type ExecutorRegisteredBody = Static<typeof ExecutorRegistered>

/** Reregistration accepted. */
const ExecutorReregistered = Type.Object({
  agent_id: AgentID,
  agent_info: AgentInfo,
})
export type ExecutorReregisteredBody = Static<typeof ExecutorReregistered>

/** A recovering agent asks its surviving executors to reregister (ReregisterExecutor). */
const ReconnectExecutor = Type.Object({ agent_id: AgentID })
export type ReconnectExecutorBody = Static<typeof ReconnectExecutor>

export const ExecutorMessages = {
  // executor -> agent
  RegisterExecutor,
  ReregisterExecutor,
  StatusUpdate: RelayedMessages.StatusUpdate,
  ExecutorToFrameworkMessage: RelayedMessages.ExecutorToFrameworkMessage,
  // agent -> executor
  ExecutorRegistered,
  ExecutorReregistered,
  ReconnectExecutor,
  RunTask: RelayedMessages.RunTask,
  RunTaskGroup: RelayedMessages.RunTaskGroup,
  KillTask: RelayedMessages.KillTask,
  StatusUpdateAcknowledgement: RelayedMessages.StatusUpdateAcknowledgement,
  FrameworkToExecutorMessage: RelayedMessages.FrameworkToExecutorMessage,
  ShutdownExecutor: RelayedMessages.ShutdownExecutor,
} as const
