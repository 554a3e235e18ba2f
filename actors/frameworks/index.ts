// The public face of actors/frameworks: example frameworks built only on the scheduler SDK.
export {
  ExecuteFramework,
  runExecute,
  exitCodeOf,
  describeUpdate,
  parseTaskResources,
  DEFAULT_EXECUTE_RESOURCES,
  DEFAULT_DECLINE_SECONDS,
  type ExecuteOptions,
  type ExecuteEvent,
  type ExecuteResult,
  type ExecuteConnection,
} from './execute-framework.js'
export { BusyFramework, type BusyOptions, type BusyStats } from './busy-framework.js'
export { takeResources, packTasks, offerResources, resourcesJson } from './offer-packing.js'
export { FrameworkInputError } from './errors.js'
