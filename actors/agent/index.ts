// The public face of actors/agent: the agent actor, its pure parts, and what executors and
// cluster code need (launcher, sandbox layout, ids, executor wiring types).
export { agentMachine, type AgentMachineInput, type AgentEvent, type AgentContext, type NewMasterDetectedEvent } from './agent-machine.js'
export { AgentCore, type ExecutorRecord, type FrameworkRecord } from './agent-core.js'
export { DEFAULT_AGENT_FLAGS, AGENT_VERSION, type AgentFlags } from './flags.js'
export type { ExecutorKind, ExecutorLaunch, ExecutorHandle, SpawnExecutor, RecoveredExecutorRun } from './executors.js'
export {
  FileCheckpointStore,
  MemoryCheckpointStore,
  CheckpointError,
  writeFileAtomic,
  readUpdates,
  type CheckpointStore,
  type RecoveredState,
  type RecoveredFramework,
  type RecoveredExecutor,
  type RecoveredRun,
  type RecoveredTask,
  type StreamRecord,
} from './checkpoint-store.js'
export { readCheckpoint, cleanupCheckpoint, replayTask } from './recovery.js'
export { RecoveredProcess, readExitStatus, readForkedPid, isWrapperAlive, RECOVERED_POLL_INTERVAL_MS, type RecoverSpec } from './recovered-process.js'
export {
  StatusUpdateManager,
  StatusUpdateError,
  STATUS_UPDATE_RETRY_INTERVAL_MIN_MS,
  STATUS_UPDATE_RETRY_INTERVAL_MAX_MS,
  type StatusUpdateManagerOptions,
  type UpdateResult,
  type AckResult,
} from './status-update-manager.js'
export {
  PosixProcessLauncher,
  LaunchError,
  describeExit,
  processGroupMembers,
  HOST_DEFAULT_PATH,
  type ProcessLauncher,
  type LaunchedProcess,
  type LaunchSpec,
  type LaunchCommand,
  type ProcessExit,
} from './process-launcher.js'
export {
  createSandbox,
  executorRunPath,
  executorLatestRunPath,
  frameworkPath,
  metaRunPath,
  forkedPidPath,
  exitStatusPath,
  SandboxError,
  LATEST_SYMLINK,
  type RunPathIds,
  type ExecutorPathIds,
  type CreatedSandbox,
} from './sandbox-layout.js'
export { defaultAgentResources, localHost, type HostProbe } from './default-resources.js'
export { parseAttributes, AttributeParseError } from './attributes.js'
export { newStatusUuid, newContainerId, type RandomSource } from './ids.js'
