// The public face of actors/protocol: every public type of the core cluster and every message
// between master, agents, executors and schedulers, as TypeBox schemas with their TS types
// derived from them. Conventions (v1 JSON shapes, additional properties, nulls, numbers,
// base64 bytes) are set out at the top of common.ts and bytes.ts.
import type { Static } from '@sinclair/typebox'
import type { MessageEvent } from '../../runtime/index.js'
import { AgentMessages } from './agent-messages.js'
import { mergeCatalogues } from './catalogue.js'
import { ExecutorMessages } from './executor-messages.js'
import { SchedulerMessages } from './scheduler-messages.js'

export * from './common.js'
export * from './task.js'
export * from './framework.js'
export * from './agent.js'
export * from './master.js'
export * from './offer.js'
export { encodeBytes, decodeBytes } from './bytes.js'
export { stripNulls, type StripNulls } from './strip-nulls.js'
export {
  type Catalogue,
  type BodyOf,
  type CatalogueEvent,
  CatalogueConflictError,
  mergeCatalogues,
} from './catalogue.js'
export type {
  RunTaskBody,
  RunTaskGroupBody,
  KillTaskBody,
  ShutdownExecutorBody,
  StatusUpdateBody,
  StatusUpdateAcknowledgementBody,
  FrameworkToExecutorMessageBody,
  ExecutorToFrameworkMessageBody,
} from './relayed-messages.js'
export {
  AgentMessages,
  MasterAgentConnection,
  type RegisterAgentBody,
  type ReregisterAgentBody,
  type UnregisterAgentBody,
  type PongBody,
  type ExitedExecutorBody,
  type UpdateAgentBody,
  type ReconcileTasksBody,
  type AgentRegisteredBody,
  type AgentReregisteredBody,
  type PingBody,
  type ShutdownFrameworkBody,
  type ShutdownAgentBody,
  type UpdateFrameworkBody,
  type CheckpointResourcesBody,
} from './agent-messages.js'
export {
  SchedulerMessages,
  SCHEDULER_CALLS,
  SCHEDULER_EVENTS,
  ReconcileTask,
  type SchedulerMessageType,
  type SubscribeBody,
  type TeardownBody,
  type AcceptBody,
  type DeclineBody,
  type ReviveBody,
  type SuppressBody,
  type KillBody,
  type ShutdownBody,
  type AcknowledgeBody,
  type ReconcileBody,
  type MessageBody,
  type RequestBody,
  type SubscribedBody,
  type OffersBody,
  type RescindBody,
  type UpdateBody,
  type FrameworkMessageBody,
  type FailureBody,
  type ErrorBody,
  type HeartbeatBody,
} from './scheduler-messages.js'
export {
  ExecutorMessages,
  type RegisterExecutorBody,
  type ReregisterExecutorBody,
  type ExecutorRegisteredBody,
  type ExecutorReregisteredBody,
  type ReconnectExecutorBody,
} from './executor-messages.js'

/**
 * Every message of the core cluster, for `runtime.registerMessages(ProtocolMessages)`. Built at
 * module load by mergeCatalogues, which throws if two catalogues define one type name with
 * different schemas (relayed messages share one schema object, which is allowed).
 */
export const ProtocolMessages = mergeCatalogues(AgentMessages, SchedulerMessages, ExecutorMessages)

export type ProtocolMessageType = keyof typeof ProtocolMessages

/** The body of protocol message `T`, e.g. `ProtocolBody<'RegisterAgent'>`. */
export type ProtocolBody<T extends ProtocolMessageType> = Static<(typeof ProtocolMessages)[T]>

/** Protocol message `T` as the XState event the runtime delivers. */
export type ProtocolEvent<T extends ProtocolMessageType> = MessageEvent<T, ProtocolBody<T>>
