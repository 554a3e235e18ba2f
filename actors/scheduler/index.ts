// The public face of actors/scheduler: the scheduler SDK ("scheduler driver"). See README.md.
export {
  SchedulerDriver,
  startScheduler,
  connectScheduler,
  type SchedulerCallbacks,
  type SchedulerOptions,
  type StartSchedulerOptions,
  type ConnectSchedulerOptions,
  type MasterLocation,
  type DriverStatus,
  type DriverOutcome,
  type OfferRef,
} from './scheduler-driver.js'
export type { SchedulerState, SchedulerStats, SchedulerFailure, SubscribedInfo, MasterEvent as MasterToFrameworkEvent } from './scheduler-machine.js'
export { type MasterDetector, StaticMasterDetector } from './master-detector.js'
export {
  nativeConnection,
  type SchedulerConnection,
  type ConnectionFactory,
  type ConnectionSink,
  type SchedulerCall,
  type SchedulerCallType,
  type SchedulerEventType,
} from './connection.js'
export {
  httpConnection,
  connectHttpScheduler,
  schedulerEndpoint,
  toV1Call,
  fromV1Event,
  RecordIoReader,
  type HttpConnectionOptions,
  type ConnectHttpSchedulerOptions,
} from './http-connection.js'
export { SchedulerConfigError, SchedulerUsageError } from './errors.js'
export {
  subscribeRetry,
  DEFAULT_REGISTRATION_BACKOFF_FACTOR_MS,
  REGISTRATION_RETRY_INTERVAL_MAX_MS,
  type BackoffSettings,
  type RetryPlan,
} from './backoff.js'
