// Offers and the operations a framework applies to them (mesos.proto Offer, Offer.Operation,
// Request), in the Mesos v1 JSON shape; see common.ts for the rules.
import { Type, type Static } from '@sinclair/typebox'
import {
  AgentID,
  AllocationInfo,
  Attribute,
  DomainInfo,
  ExecutorID,
  FrameworkID,
  OfferID,
  OperationID,
  Resource,
  StringEnum,
  Unavailability,
  URL,
} from './common.js'
import { ExecutorInfo, TaskGroupInfo, TaskInfo } from './task.js'

/** Every Offer.Operation.Type Mesos defines; the six before GROW_VOLUME have fields below. */
export const OFFER_OPERATION_TYPES = [
  'UNKNOWN',
  'LAUNCH',
  'LAUNCH_GROUP',
  'RESERVE',
  'UNRESERVE',
  'CREATE',
  'DESTROY',
  'GROW_VOLUME',
  'SHRINK_VOLUME',
  'CREATE_DISK',
  'DESTROY_DISK',
] as const
export const OfferOperationType = StringEnum(OFFER_OPERATION_TYPES)
export type OfferOperationType = Static<typeof OfferOperationType>

export const LaunchOperation = Type.Object({ task_infos: Type.Optional(Type.Array(TaskInfo)) })
export type LaunchOperation = Static<typeof LaunchOperation>

/** Launches `task_group` (all or none) in `executor`, normally a DEFAULT executor. */
export const LaunchGroupOperation = Type.Object({
  executor: ExecutorInfo,
  task_group: TaskGroupInfo,
})
export type LaunchGroupOperation = Static<typeof LaunchGroupOperation>

/** `source` (the resources before a refinement) is only set with RESERVATION_REFINEMENT. */
export const ReserveOperation = Type.Object({
  source: Type.Optional(Type.Array(Resource)),
  resources: Type.Optional(Type.Array(Resource)),
})
export type ReserveOperation = Static<typeof ReserveOperation>

export const UnreserveOperation = Type.Object({ resources: Type.Optional(Type.Array(Resource)) })
export type UnreserveOperation = Static<typeof UnreserveOperation>

/** Persistent volumes to create (disk resources with `disk.persistence`). */
export const CreateOperation = Type.Object({ volumes: Type.Optional(Type.Array(Resource)) })
export type CreateOperation = Static<typeof CreateOperation>

export const DestroyOperation = Type.Object({ volumes: Type.Optional(Type.Array(Resource)) })
export type DestroyOperation = Static<typeof DestroyOperation>

/**
 * One operation of an Accept. Kept as Mesos's flat message (`type` plus one field named after
 * it) rather than a union, so v1 JSON passes unchanged and errors name the field. `type` is
 * required (optional in mesos.proto only for proto2 enum parsing; Mesos rejects an operation
 * without one). That the field matching `type` is present is checked by the master.
 * GROW_VOLUME, SHRINK_VOLUME, CREATE_DISK, DESTROY_DISK are named but their fields are carried
 * unchecked: this project has no resource providers.
 */
export const OfferOperation = Type.Object(
  {
    type: OfferOperationType,
    id: Type.Optional(OperationID),
    launch: Type.Optional(LaunchOperation),
    launch_group: Type.Optional(LaunchGroupOperation),
    reserve: Type.Optional(ReserveOperation),
    unreserve: Type.Optional(UnreserveOperation),
    create: Type.Optional(CreateOperation),
    destroy: Type.Optional(DestroyOperation),
  },
  { title: 'Offer.Operation' },
)
export type OfferOperation = Static<typeof OfferOperation>

/**
 * Resources on one agent, offered to one framework for one of its roles (`allocation_info`).
 * `hostname` and `attributes` are the agent's, so a scheduler can place work without asking;
 * `executor_ids` lists the framework's executors already running there; `url` is the agent's
 * HTTP API.
 */
export const Offer = Type.Object(
  {
    id: OfferID,
    framework_id: FrameworkID,
    agent_id: AgentID,
    hostname: Type.String(),
    url: Type.Optional(URL),
    domain: Type.Optional(DomainInfo),
    resources: Type.Optional(Type.Array(Resource)),
    attributes: Type.Optional(Type.Array(Attribute)),
    executor_ids: Type.Optional(Type.Array(ExecutorID)),
    unavailability: Type.Optional(Unavailability),
    allocation_info: Type.Optional(AllocationInfo),
  },
  { title: 'Offer' },
)
export type Offer = Static<typeof Offer>

/**
 * A framework's request for resources (mesos.proto Request). Mesos's hierarchical allocator
 * ignores these, and so does this project's; the type exists so the REQUEST call parses.
 */
export const ResourceRequest = Type.Object({
  agent_id: Type.Optional(AgentID),
  resources: Type.Optional(Type.Array(Resource)),
})
export type ResourceRequest = Static<typeof ResourceRequest>
