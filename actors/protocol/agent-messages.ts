// The master <-> agent conversation (Mesos's internal messages.proto, with "Slave" -> "Agent"
// and the "Message" suffix dropped: RegisterSlaveMessage -> RegisterAgent). Fields keep their
// Mesos names, except `slave_id` -> `agent_id` and `slave` -> `agent`, as in the v1 API.
import { Type, type Static } from '@sinclair/typebox'
import { AgentID, ExecutorID, FrameworkID, Resource } from './common.js'
import { AgentCapability, AgentInfo } from './agent.js'
import { ArchivedFramework, FrameworkInfo } from './framework.js'
import { MasterInfo } from './master.js'
import { RelayedMessages } from './relayed-messages.js'
import { ExecutorInfo, Task, TaskStatus } from './task.js'

// ---- agent -> master -------------------------------------------------------------------------

/**
 * This run of the agent process: a random token drawn when the process starts, the same in every
 * registration retry. The master tells a retry (same token: answer with the same id) from a new
 * process at a dead agent's address (new token: the old agent is removed, Mesos's "a new agent
 * registered at the same address") and from a stale retry of a process whose agent it has since
 * removed. Mesos needs none of this because TCP orders a connection's messages; the bus does not.
 */
const BootId = Type.String({ minLength: 1, maxLength: 64 })

/**
 * A new agent asks to join. `version` is the agent's mesos-ts version (the master refuses
 * agents it cannot talk to); `checkpointed_resources` are the reservations and persistent
 * volumes the agent has on disk from before. `boot_id`: see BootId (absent from older agents).
 */
const RegisterAgent = Type.Object({
  agent: AgentInfo,
  version: Type.String(),
  boot_id: Type.Optional(BootId),
  /**
   * The agent's IP. libprocess carries it in the sender's address and Mesos shows it in
   * Offer.url.address.ip; a NATS message has no sender address, so the agent says it.
   */
  ip: Type.Optional(Type.String()),
  checkpointed_resources: Type.Optional(Type.Array(Resource)),
  agent_capabilities: Type.Optional(Type.Array(AgentCapability)),
})
export type RegisterAgentBody = Static<typeof RegisterAgent>

/**
 * A known agent (`agent.id` set) rejoins after a master failover or a disconnection, with
 * everything it is running so the new master can rebuild its view: executors, tasks, the
 * frameworks they belong to, and the completed frameworks it still remembers.
 */
const ReregisterAgent = Type.Object({
  agent: AgentInfo,
  version: Type.String(),
  boot_id: Type.Optional(BootId),
  /**
   * The leader lease's epoch of the master term this is addressed to, as the agent's detector
   * reported it (absent: the detector told none). Every term of one master process has the same
   * pid, and the bus may still hold a ReregisterAgent sent to an earlier term; a master serving
   * another epoch drops it, as a restarted Mesos master never sees its predecessor's messages.
   */
  master_epoch: Type.Optional(Type.Integer({ minimum: 0 })),
  /** As in RegisterAgent. */
  ip: Type.Optional(Type.String()),
  checkpointed_resources: Type.Optional(Type.Array(Resource)),
  executor_infos: Type.Optional(Type.Array(ExecutorInfo)),
  tasks: Type.Optional(Type.Array(Task)),
  frameworks: Type.Optional(Type.Array(FrameworkInfo)),
  completed_frameworks: Type.Optional(Type.Array(ArchivedFramework)),
  agent_capabilities: Type.Optional(Type.Array(AgentCapability)),
})
export type ReregisterAgentBody = Static<typeof ReregisterAgent>

/** The agent leaves the cluster for good (its tasks are gone). */
const UnregisterAgent = Type.Object({ agent_id: AgentID })
export type UnregisterAgentBody = Static<typeof UnregisterAgent>

/** Answer to Ping. */
const Pong = Type.Object({})
export type PongBody = Static<typeof Pong>

/** An executor exited; `status` is its wait status. The master tells the framework (Failure). */
const ExitedExecutor = Type.Object({
  agent_id: AgentID,
  framework_id: FrameworkID,
  executor_id: ExecutorID,
  status: Type.Integer(),
})
export type ExitedExecutorBody = Static<typeof ExitedExecutor>

/**
 * The agent's offerable resources changed (messages.proto UpdateSlaveMessage, reduced to what
 * this project has: oversubscription; no resource providers or operations feedback).
 */
const UpdateAgent = Type.Object({
  agent_id: AgentID,
  update_oversubscribed_resources: Type.Optional(Type.Boolean()),
  oversubscribed_resources: Type.Optional(Type.Array(Resource)),
})
export type UpdateAgentBody = Static<typeof UpdateAgent>

// ---- master -> agent -------------------------------------------------------------------------

/** Health-check settings the master gives an agent (messages.proto MasterSlaveConnection). */
export const MasterAgentConnection = Type.Object({
  total_ping_timeout_seconds: Type.Optional(Type.Number()),
})
export type MasterAgentConnection = Static<typeof MasterAgentConnection>

/**
 * Tell the agent which of a framework's tasks the master knows, so the agent sends updates for
 * those it has and the master drops the rest (Mesos's agent-side reconciliation).
 */
const ReconcileTasks = Type.Object({
  framework_id: FrameworkID,
  statuses: Type.Optional(Type.Array(TaskStatus)),
  framework: Type.Optional(FrameworkInfo),
})
export type ReconcileTasksBody = Static<typeof ReconcileTasks>

/**
 * The agent is admitted with `agent_id`. `master_info` and `epoch` identify the leader that
 * admitted it: `epoch` is that leader's election epoch (the revision of its lease key,
 * DESIGN.md section 4), so an agent can ignore a late reply from a master that has since lost
 * the lease. `connection` says how long the master waits for pongs before removing the agent.
 * `boot_id` is the RegisterAgent's it answers: an agent ignores an answer meant for an earlier
 * process at its address.
 */
const AgentRegistered = Type.Object({
  agent_id: AgentID,
  boot_id: Type.Optional(BootId),
  connection: Type.Optional(MasterAgentConnection),
  master_info: Type.Optional(MasterInfo),
  epoch: Type.Optional(Type.Integer()),
})
export type AgentRegisteredBody = Static<typeof AgentRegistered>

/** The agent is readmitted; `reconciliations` as ReconcileTasks, one per framework. */
const AgentReregistered = Type.Object({
  agent_id: AgentID,
  reconciliations: Type.Optional(Type.Array(ReconcileTasks)),
  connection: Type.Optional(MasterAgentConnection),
  master_info: Type.Optional(MasterInfo),
  epoch: Type.Optional(Type.Integer()),
})
export type AgentReregisteredBody = Static<typeof AgentReregistered>

/**
 * The master's health check (PingSlaveMessage); `connected` says whether the master considers
 * the agent registered, so an agent the master has forgotten knows to reregister.
 */
const Ping = Type.Object({ connected: Type.Boolean() })
export type PingBody = Static<typeof Ping>

/** Kill every task and executor of the framework and forget it (the framework was removed). */
const ShutdownFramework = Type.Object({ framework_id: FrameworkID })
export type ShutdownFrameworkBody = Static<typeof ShutdownFramework>

/**
 * The master tells an agent to shut down (messages.proto ShutdownMessage), e.g. an agent the
 * master removed tried to reregister. Named ShutdownAgent so it cannot be confused with the
 * scheduler's Shutdown call (which shuts one executor down).
 */
const ShutdownAgent = Type.Object({ message: Type.Optional(Type.String()) })
export type ShutdownAgentBody = Static<typeof ShutdownAgent>

/**
 * A framework failed over (new scheduler `pid`, possibly a new FrameworkInfo): the agent
 * updates what it stores and where it sends that framework's executor messages.
 */
const UpdateFramework = Type.Object({
  framework_id: FrameworkID,
  pid: Type.Optional(Type.String()),
  framework_info: Type.Optional(FrameworkInfo),
})
export type UpdateFrameworkBody = Static<typeof UpdateFramework>

/** The agent's full set of checkpointed resources (reservations, persistent volumes) to persist. */
const CheckpointResources = Type.Object({ resources: Type.Optional(Type.Array(Resource)) })
export type CheckpointResourcesBody = Static<typeof CheckpointResources>

export const AgentMessages = {
  // agent -> master
  RegisterAgent,
  ReregisterAgent,
  UnregisterAgent,
  Pong,
  ExitedExecutor,
  UpdateAgent,
  StatusUpdate: RelayedMessages.StatusUpdate,
  ExecutorToFrameworkMessage: RelayedMessages.ExecutorToFrameworkMessage,
  // master -> agent
  AgentRegistered,
  AgentReregistered,
  Ping,
  RunTask: RelayedMessages.RunTask,
  RunTaskGroup: RelayedMessages.RunTaskGroup,
  KillTask: RelayedMessages.KillTask,
  ShutdownExecutor: RelayedMessages.ShutdownExecutor,
  ShutdownFramework,
  ShutdownAgent,
  StatusUpdateAcknowledgement: RelayedMessages.StatusUpdateAcknowledgement,
  FrameworkToExecutorMessage: RelayedMessages.FrameworkToExecutorMessage,
  ReconcileTasks,
  UpdateFramework,
  CheckpointResources,
} as const
