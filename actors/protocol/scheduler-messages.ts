// The framework <-> master conversation, shaped after Mesos's v1 scheduler API
// (include/mesos/v1/scheduler/scheduler.proto) but with one message type per Call/Event type
// instead of one Call and one Event envelope. A body is the v1 call's nested object plus the
// call's `framework_id` (which every call but Subscribe needs): v1
// `{ framework_id, type: 'ACCEPT', accept: {...} }` is `Accept { framework_id, ...accept }`;
// an event's body is its nested object (`{ type: 'OFFERS', offers: X }` is `Offers` X).
// SCHEDULER_CALLS and SCHEDULER_EVENTS below give the HTTP layer that mapping as data.
//
// Names are the v1 type names in PascalCase, except where one would collide with another
// catalogue or read ambiguously:
// - the MESSAGE event is `FrameworkMessage` (the MESSAGE call stays `Message`);
// - an agent's status update to the master is `StatusUpdate` (agent-messages.ts), the event a
//   scheduler receives is `Update`.
// Not included (no maintenance, operation feedback or offer constraints here yet):
// ACCEPT_INVERSE_OFFERS, DECLINE_INVERSE_OFFERS, ACKNOWLEDGE_OPERATION_STATUS,
// RECONCILE_OPERATIONS, UPDATE_FRAMEWORK (a re-Subscribe changes the same fields, as in Mesos),
// and the events INVERSE_OFFERS, RESCIND_INVERSE_OFFER, UPDATE_OPERATION_STATUS.
import { Type, type Static } from '@sinclair/typebox'
import { AgentID, ExecutorID, Filters, FrameworkID, OfferID, TaskID } from './common.js'
import { FrameworkInfo } from './framework.js'
import { MasterInfo } from './master.js'
import { Offer, OfferOperation, ResourceRequest } from './offer.js'
import { KillPolicy, TaskStatus } from './task.js'

// ---- calls: framework -> master --------------------------------------------------------------

/**
 * Subscribe, or resubscribe after a failover (`framework_info.id` set). `suppressed_roles` start
 * suppressed. `force` is the early v1 API's field for a failed-over scheduler taking over from
 * a still-connected instance; later Mesos made that the only behaviour (the newest
 * subscription wins, scheduler-http-api.md "Disconnections"), so a master may ignore it.
 * v1's `offer_constraints` is carried unchecked.
 */
const Subscribe = Type.Object({
  framework_info: FrameworkInfo,
  force: Type.Optional(Type.Boolean()),
  suppressed_roles: Type.Optional(Type.Array(Type.String())),
})
export type SubscribeBody = Static<typeof Subscribe>

/** Shut down every executor and task of the framework and remove it. */
const Teardown = Type.Object({ framework_id: FrameworkID })
export type TeardownBody = Static<typeof Teardown>

/**
 * Use offers: apply `operations` (LAUNCH, LAUNCH_GROUP, RESERVE, ...) to the offers' combined
 * resources; what is left unused is declined with `filters`. Each offer id may be accepted once.
 */
const Accept = Type.Object({
  framework_id: FrameworkID,
  offer_ids: Type.Array(OfferID),
  operations: Type.Optional(Type.Array(OfferOperation)),
  filters: Type.Optional(Filters),
})
export type AcceptBody = Static<typeof Accept>

/** Decline offers; `filters.refuse_seconds` keeps them from coming back for that long. */
const Decline = Type.Object({
  framework_id: FrameworkID,
  offer_ids: Type.Array(OfferID),
  filters: Type.Optional(Filters),
})
export type DeclineBody = Static<typeof Decline>

/** Unsuppress `roles` (all of the framework's when absent) and clear their offer filters. */
const Revive = Type.Object({
  framework_id: FrameworkID,
  roles: Type.Optional(Type.Array(Type.String())),
})
export type ReviveBody = Static<typeof Revive>

/** Stop offers for `roles` (all of the framework's when absent) until Revive. */
const Suppress = Type.Object({
  framework_id: FrameworkID,
  roles: Type.Optional(Type.Array(Type.String())),
})
export type SuppressBody = Static<typeof Suppress>

/** Kill a task; an unknown task gets TASK_LOST. `kill_policy` overrides the task's own. */
const Kill = Type.Object({
  framework_id: FrameworkID,
  task_id: TaskID,
  agent_id: Type.Optional(AgentID),
  kill_policy: Type.Optional(KillPolicy),
})
export type KillBody = Static<typeof Kill>

/** Shut down one of the framework's executors on one agent. */
const Shutdown = Type.Object({
  framework_id: FrameworkID,
  executor_id: ExecutorID,
  agent_id: AgentID,
})
export type ShutdownBody = Static<typeof Shutdown>

/** Acknowledge the status update with `uuid` (base64, as received in TaskStatus.uuid). */
const Acknowledge = Type.Object({
  framework_id: FrameworkID,
  agent_id: AgentID,
  task_id: TaskID,
  uuid: Type.String(),
})
export type AcknowledgeBody = Static<typeof Acknowledge>

export const ReconcileTask = Type.Object({
  task_id: TaskID,
  agent_id: Type.Optional(AgentID),
})
export type ReconcileTask = Static<typeof ReconcileTask>

/**
 * Ask for the latest state of `tasks` (explicit reconciliation) or, when `tasks` is absent or
 * empty, of every task the master knows for the framework (implicit). Answers arrive as
 * Update events without a uuid.
 */
const Reconcile = Type.Object({
  framework_id: FrameworkID,
  tasks: Type.Optional(Type.Array(ReconcileTask)),
})
export type ReconcileBody = Static<typeof Reconcile>

/** Opaque data (base64) for one of the framework's executors; delivery is best effort. */
const Message = Type.Object({
  framework_id: FrameworkID,
  agent_id: AgentID,
  executor_id: ExecutorID,
  data: Type.String(),
})
export type MessageBody = Static<typeof Message>

/** Resource requests; accepted and ignored, as by Mesos's hierarchical allocator. */
const RequestCall = Type.Object({
  framework_id: FrameworkID,
  requests: Type.Optional(Type.Array(ResourceRequest)),
})
export type RequestBody = Static<typeof RequestCall>

// ---- events: master -> framework -------------------------------------------------------------

/** Subscription accepted; expect Heartbeat every `heartbeat_interval_seconds`. */
const Subscribed = Type.Object({
  framework_id: FrameworkID,
  heartbeat_interval_seconds: Type.Optional(Type.Number()),
  master_info: Type.Optional(MasterInfo),
})
export type SubscribedBody = Static<typeof Subscribed>

/** New offers. */
const Offers = Type.Object({ offers: Type.Array(Offer) })
export type OffersBody = Static<typeof Offers>

/** An offer is no longer valid (agent lost, offer timeout, ...); Accept on it will fail. */
const Rescind = Type.Object({ offer_id: OfferID })
export type RescindBody = Static<typeof Rescind>

/** A task status update; acknowledge it (Acknowledge) when `status.uuid` is set. */
const Update = Type.Object({ status: TaskStatus })
export type UpdateBody = Static<typeof Update>

/** Opaque data (base64) from one of the framework's executors (v1 event MESSAGE). */
const FrameworkMessage = Type.Object({
  agent_id: AgentID,
  executor_id: ExecutorID,
  data: Type.String(),
})
export type FrameworkMessageBody = Static<typeof FrameworkMessage>

/** An agent was removed (no `executor_id`) or an executor exited (`status`: its wait status). */
const Failure = Type.Object({
  agent_id: Type.Optional(AgentID),
  executor_id: Type.Optional(ExecutorID),
  status: Type.Optional(Type.Integer()),
})
export type FailureBody = Static<typeof Failure>

/** The subscription failed or was ended (e.g. a newer scheduler instance took over). */
// Named ErrorEvent in this module so it does not shadow the global Error.
const ErrorEvent = Type.Object({ message: Type.String() })
export type ErrorBody = Static<typeof ErrorEvent>

/** The master is alive and the subscription stands. */
const Heartbeat = Type.Object({})
export type HeartbeatBody = Static<typeof Heartbeat>

export const SchedulerMessages = {
  // calls
  Subscribe,
  Teardown,
  Accept,
  Decline,
  Revive,
  Suppress,
  Kill,
  Shutdown,
  Acknowledge,
  Reconcile,
  Message,
  Request: RequestCall,
  // events
  Subscribed,
  Offers,
  Rescind,
  Update,
  FrameworkMessage,
  Failure,
  Error: ErrorEvent,
  Heartbeat,
} as const

export type SchedulerMessageType = keyof typeof SchedulerMessages

/**
 * v1 Call.Type -> our message type and the Call field holding its body (null: the call has no
 * nested object, e.g. TEARDOWN). The HTTP layer builds a body as
 * `{ framework_id: call.framework_id, ...call[field] }` (Subscribe: `call.subscribe` alone).
 */
export const SCHEDULER_CALLS = {
  SUBSCRIBE: { type: 'Subscribe', field: 'subscribe' },
  TEARDOWN: { type: 'Teardown', field: null },
  ACCEPT: { type: 'Accept', field: 'accept' },
  DECLINE: { type: 'Decline', field: 'decline' },
  REVIVE: { type: 'Revive', field: 'revive' },
  SUPPRESS: { type: 'Suppress', field: 'suppress' },
  KILL: { type: 'Kill', field: 'kill' },
  SHUTDOWN: { type: 'Shutdown', field: 'shutdown' },
  ACKNOWLEDGE: { type: 'Acknowledge', field: 'acknowledge' },
  RECONCILE: { type: 'Reconcile', field: 'reconcile' },
  MESSAGE: { type: 'Message', field: 'message' },
  REQUEST: { type: 'Request', field: 'request' },
} as const satisfies Record<string, { type: SchedulerMessageType; field: string | null }>

/**
 * Our event message type -> v1 Event.Type and the Event field that holds the body (null: no
 * nested object, HEARTBEAT). The HTTP layer writes `{ type, [field]: body }`.
 */
export const SCHEDULER_EVENTS = {
  Subscribed: { type: 'SUBSCRIBED', field: 'subscribed' },
  Offers: { type: 'OFFERS', field: 'offers' },
  Rescind: { type: 'RESCIND', field: 'rescind' },
  Update: { type: 'UPDATE', field: 'update' },
  FrameworkMessage: { type: 'MESSAGE', field: 'message' },
  Failure: { type: 'FAILURE', field: 'failure' },
  Error: { type: 'ERROR', field: 'error' },
  Heartbeat: { type: 'HEARTBEAT', field: null },
} as const satisfies Partial<Record<SchedulerMessageType, { type: string; field: string | null }>>
