// MasterInfo (mesos.proto), in the Mesos v1 JSON shape; see common.ts for the rules.
import { Type, type Static } from '@sinclair/typebox'
import { Address, DomainInfo, StringEnum } from './common.js'

export const MASTER_CAPABILITY_TYPES = ['UNKNOWN', 'AGENT_UPDATE', 'AGENT_DRAINING', 'QUOTA_V2'] as const
export const MasterCapabilityType = StringEnum(MASTER_CAPABILITY_TYPES)
export type MasterCapabilityType = Static<typeof MasterCapabilityType>

export const MasterCapability = Type.Object({ type: MasterCapabilityType })
export type MasterCapability = Static<typeof MasterCapability>

/**
 * The leading master, as schedulers (Subscribed) and agents (AgentRegistered) learn it. `id`
 * is unique per master run; `ip` is the IPv4 address as a uint32 in network order (Mesos's
 * legacy field, still required) and `address` the readable form; `pid` is the master's actor
 * pid (`master@node`).
 */
export const MasterInfo = Type.Object(
  {
    id: Type.String(),
    ip: Type.Integer(),
    port: Type.Integer(),
    pid: Type.Optional(Type.String()),
    hostname: Type.Optional(Type.String()),
    version: Type.Optional(Type.String()),
    address: Type.Optional(Address),
    domain: Type.Optional(DomainInfo),
    capabilities: Type.Optional(Type.Array(MasterCapability)),
  },
  { title: 'MasterInfo' },
)
export type MasterInfo = Static<typeof MasterInfo>
