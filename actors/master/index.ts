export { masterMachine, type MasterInput } from './master-machine.js'
export { MasterCore, type AllocatorLink, type OfferGrant, type MasterStateEvent } from './master-core.js'
export { DEFAULT_MASTER_OPTIONS, MASTER_VERSION, type MasterOptions } from './master-options.js'
export type { AgentRecord, FrameworkRecord, OfferRecord, TaskRecord } from './records.js'
export { validateTask, idError } from './task-validation.js'
export {
  OperatorMessages,
  OperatorState,
  OPERATOR_STATUSES,
  type OperatorMessageType,
  type OperatorResultBody,
  type OperatorStatus,
  type QuotaConfigRecord,
} from './operator.js'
export {
  FENCE_KEY,
  RegistryError,
  RegistryFencedError,
  RegistryCorruptError,
  registryKey,
  parseRegistryKey,
  encodeEntry,
  deleteEntry,
  decodeEntry,
  type RegistryStore,
  type RegistryFence,
  type RegistryWrite,
  type RegistryEntry,
  type AgentEntry,
  type FrameworkEntry,
} from './registry-store.js'
export { MemoryRegistryStore } from './memory-registry-store.js'
export { RegistryWriter, type RegistryLink } from './registry.js'
export { loadRegistry, decodeRegistry, type RecoveredRegistry } from './registry-recovery.js'
export { LeaderElection, encodeLeader, decodeLeader, type LeaseStore, type LeaseEntry, type LeaderInfo, type ElectionOptions, type ElectionState } from './leader-election.js'
export { MemoryLeaseStore } from './memory-lease-store.js'
