// AgentInfo (mesos.proto), in the Mesos v1 JSON shape; see common.ts for the rules.
import { Type, type Static } from '@sinclair/typebox'
import { AgentID, Attribute, DomainInfo, Resource, StringEnum } from './common.js'

/** Every AgentInfo.Capability.Type Mesos defines (sent in RegisterAgent.agent_capabilities). */
export const AGENT_CAPABILITY_TYPES = [
  'UNKNOWN',
  'MULTI_ROLE',
  'HIERARCHICAL_ROLE',
  'RESERVATION_REFINEMENT',
  'RESOURCE_PROVIDER',
  'RESIZE_VOLUME',
  'AGENT_OPERATION_FEEDBACK',
  'AGENT_DRAINING',
  'TASK_RESOURCE_LIMITS',
] as const
export const AgentCapabilityType = StringEnum(AGENT_CAPABILITY_TYPES)
export type AgentCapabilityType = Static<typeof AgentCapabilityType>

export const AgentCapability = Type.Object({ type: AgentCapabilityType })
export type AgentCapability = Static<typeof AgentCapability>

/**
 * An agent's description: what it offers (`resources`, from `--resources` or probed) and what
 * describes its host (`attributes`, from `--attributes`). `id` is absent on first registration
 * and set when reregistering. `port` is the agent's HTTP port (default 5051).
 */
export const AgentInfo = Type.Object(
  {
    hostname: Type.String(),
    port: Type.Optional(Type.Integer()),
    resources: Type.Optional(Type.Array(Resource)),
    attributes: Type.Optional(Type.Array(Attribute)),
    id: Type.Optional(AgentID),
    domain: Type.Optional(DomainInfo),
  },
  { title: 'AgentInfo' },
)
export type AgentInfo = Static<typeof AgentInfo>
