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
