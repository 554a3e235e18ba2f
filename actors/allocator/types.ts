import type { Quantities, Resources } from '../resources/index.js'

/** Resources to offer: one framework, one of its roles, one agent (Mesos's offerCallback entry). */
export interface Offer {
  readonly frameworkId: string
  readonly role: string
  readonly agentId: string
  /** Allocated to `role` (each entry's allocationRole is set). */
  readonly resources: Resources
}

export interface FrameworkSpec {
  /** FrameworkInfo.roles (MULTI_ROLE); a single-role framework passes one. */
  readonly roles: readonly string[]
  /** Roles to start suppressed (FrameworkInfo suppressed_roles on SUBSCRIBE). */
  readonly suppressedRoles?: readonly string[]
  /** Defaults to true. */
  readonly active?: boolean
}

/** Scheduler `Filters`: how long declined resources stay away from the framework on that agent. */
export interface Filters {
  /** Default 5 s (mesos.proto `Filters.refuse_seconds`); 0 installs no filter. */
  readonly refuseSeconds?: number
}

export interface QuotaSpec {
  readonly guarantees?: Quantities
  /** Absent names are unlimited. */
  readonly limits?: Quantities | ReadonlyMap<string, number>
}

export interface AllocatorOptions {
  /** Seeds the per-cycle agent shuffle. */
  readonly seed?: number
  /** `--min_allocatable_resources` (default `cpus:0.01|mem:32`): an offer must hold one of these. */
  readonly minAllocatableResources?: readonly Quantities[] | string
  /** `--allocation_interval` (default 1000 ms): a filter lives at least this long (MESOS-4302). */
  readonly allocationIntervalMs?: number
}

export const DEFAULT_REFUSE_SECONDS = 5
export const MAX_REFUSE_SECONDS = 365 * 24 * 3600
export const DEFAULT_ALLOCATION_INTERVAL_MS = 1000

/** A framework, agent or role the allocator was not told about, or an impossible bookkeeping step. */
export class AllocatorError extends Error {
  readonly code = 'ALLOCATOR'
  constructor(message: string) {
    super(message)
    this.name = 'AllocatorError'
  }
}
