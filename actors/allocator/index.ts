export { allocatorMachine, type AllocatorEvent, type AllocatorMachineInput, type AllocatorOp } from './allocator-machine.js'
export { AllocatorOpQueue } from './allocator-op-queue.js'
export { HierarchicalAllocator, type AgentView, type CycleStats, type FrameworkView, type RoleView } from './hierarchical-allocator.js'
export { DrfSorter, SorterTotal } from './drf-sorter.js'
export { OfferFilters, type OfferFilter } from './offer-filters.js'
export {
  NO_QUOTA,
  isDefaultQuota,
  limitsMinus,
  quotaScalars,
  reservedScalars,
  shrinkToLimits,
  shrinkToQuantities,
  tighterLimits,
  type Quota,
} from './quota.js'
export {
  AllocatorError,
  DEFAULT_ALLOCATION_INTERVAL_MS,
  DEFAULT_REFUSE_SECONDS,
  MAX_REFUSE_SECONDS,
  type AllocatorOptions,
  type Filters,
  type FrameworkSpec,
  type Offer,
  type QuotaSpec,
} from './types.js'
