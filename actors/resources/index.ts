export { ResourceError, ResourceParseError } from './errors.js'
export { SCALE, formatMilli, fromMilli, toMilli } from './fixed-point.js'
export {
  normalizeRanges,
  rangesContain,
  rangesDifference,
  rangesEqual,
  rangesSize,
  rangesUnion,
  splitRanges,
  type Range,
  type Ranges,
} from './ranges.js'
export { normalizeSet, setContains, setDifference, setUnion, type ValueSet } from './sets.js'
export {
  isAllocatableTo,
  isDynamicallyReserved,
  isEmptyResource,
  isReserved,
  isStrictAncestorRole,
  isUnreserved,
  makeResource,
  ranges,
  reservationRole,
  scalar,
  set,
  withMeta,
  withValue,
  type ReservationInfo,
  type ReservationType,
  type Resource,
  type ResourceMeta,
  type ValueType,
} from './resource.js'
export { Resources } from './resources.js'
export { DEFAULT_MIN_ALLOCATABLE, Quantities, parseMinAllocatable } from './quantities.js'
export { formatResource, formatResources, parseResources } from './parse.js'
export { fromJson, resourceToJson, toJson, type ResourceJson } from './json.js'
export { isValidRole, parentRole, roleAncestors, roleError } from './roles.js'
