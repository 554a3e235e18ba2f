// FrameworkInfo (mesos.proto), in the Mesos v1 JSON shape; see common.ts for the rules.
import { Type, type Static } from '@sinclair/typebox'
import { FrameworkID, Labels, StringEnum } from './common.js'
import { Task } from './task.js'

/** Every FrameworkInfo.Capability.Type Mesos defines. */
export const FRAMEWORK_CAPABILITY_TYPES = [
  'UNKNOWN',
  'REVOCABLE_RESOURCES',
  'TASK_KILLING_STATE',
  'GPU_RESOURCES',
  'SHARED_RESOURCES',
  'PARTITION_AWARE',
  'MULTI_ROLE',
  'RESERVATION_REFINEMENT',
  'REGION_AWARE',
] as const
export const FrameworkCapabilityType = StringEnum(FRAMEWORK_CAPABILITY_TYPES)
export type FrameworkCapabilityType = Static<typeof FrameworkCapabilityType>

/**
 * `type` is optional in mesos.proto only so that proto2 can parse enum values it does not know;
 * a capability without a type means nothing, and every Mesos name is listed, so it is required.
 */
export const FrameworkCapability = Type.Object({ type: FrameworkCapabilityType })
export type FrameworkCapability = Static<typeof FrameworkCapability>

/**
 * A framework's description. `id` is absent on first subscription and set (to the id the
 * master assigned) when a scheduler fails over. `failover_timeout` is in seconds (default 0:
 * tear down as soon as the scheduler disconnects). `role` is the deprecated single role
 * (default "*"); a framework using `roles` must have the MULTI_ROLE capability, which the
 * master validates. `offer_filters` is carried unchecked.
 */
export const FrameworkInfo = Type.Object(
  {
    user: Type.String(),
    name: Type.String(),
    id: Type.Optional(FrameworkID),
    failover_timeout: Type.Optional(Type.Number()),
    checkpoint: Type.Optional(Type.Boolean()),
    role: Type.Optional(Type.String()),
    roles: Type.Optional(Type.Array(Type.String())),
    hostname: Type.Optional(Type.String()),
    principal: Type.Optional(Type.String()),
    webui_url: Type.Optional(Type.String()),
    capabilities: Type.Optional(Type.Array(FrameworkCapability)),
    labels: Type.Optional(Labels),
  },
  { title: 'FrameworkInfo' },
)
export type FrameworkInfo = Static<typeof FrameworkInfo>

/** A completed framework an agent still remembers (messages.proto Archive.Framework). */
export const ArchivedFramework = Type.Object({
  framework_info: FrameworkInfo,
  pid: Type.Optional(Type.String()),
  tasks: Type.Optional(Type.Array(Task)),
})
export type ArchivedFramework = Static<typeof ArchivedFramework>
