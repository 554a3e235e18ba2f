// Tasks, executors and their statuses (mesos.proto: TaskInfo, TaskGroupInfo, TaskStatus, Task,
// ExecutorInfo, CommandInfo, ContainerInfo, KillPolicy, HealthCheck; messages.proto: the
// StatusUpdate record). Shapes follow Mesos v1 JSON; see common.ts for the rules.
import { Type, type Static } from '@sinclair/typebox'
import {
  AgentID,
  ContainerID,
  DurationInfo,
  ExecutorID,
  FrameworkID,
  Labels,
  Parameter,
  Resource,
  Scalar,
  StringEnum,
  TaskID,
  TimeInfo,
  Volume,
} from './common.js'

// ---- task states -----------------------------------------------------------------------------

/** Every Mesos TaskState, in the order mesos.proto lists them. */
export const TASK_STATES = [
  'TASK_STAGING',
  'TASK_STARTING',
  'TASK_RUNNING',
  'TASK_KILLING',
  'TASK_FINISHED',
  'TASK_FAILED',
  'TASK_KILLED',
  'TASK_ERROR',
  'TASK_LOST',
  'TASK_DROPPED',
  'TASK_UNREACHABLE',
  'TASK_GONE',
  'TASK_GONE_BY_OPERATOR',
  'TASK_UNKNOWN',
] as const
export const TaskState = StringEnum(TASK_STATES)
export type TaskState = Static<typeof TaskState>

/**
 * The states after which a task never changes again, as Mesos's protobuf::isTerminalState
 * (src/common/protobuf_utils.cpp). TASK_LOST is terminal in Mesos even though a partition-aware
 * framework may later hear TASK_RUNNING for the same task after its agent reregisters; that is
 * why PARTITION_AWARE frameworks get TASK_UNREACHABLE (not terminal) instead.
 */
export const TERMINAL_TASK_STATES = [
  'TASK_FINISHED',
  'TASK_FAILED',
  'TASK_KILLED',
  'TASK_ERROR',
  'TASK_LOST',
  'TASK_DROPPED',
  'TASK_GONE',
  'TASK_GONE_BY_OPERATOR',
] as const satisfies readonly TaskState[]

const terminal: ReadonlySet<string> = new Set(TERMINAL_TASK_STATES)

export function isTerminalState(state: TaskState): boolean {
  return terminal.has(state)
}

// ---- status sources and reasons --------------------------------------------------------------

export const TASK_STATUS_SOURCES = ['SOURCE_MASTER', 'SOURCE_AGENT', 'SOURCE_EXECUTOR'] as const
export const TaskStatusSource = StringEnum(TASK_STATUS_SOURCES)
export type TaskStatusSource = Static<typeof TaskStatusSource>

/** Every Mesos TaskStatus.Reason, in the order mesos.proto lists them. */
export const TASK_STATUS_REASONS = [
  'REASON_COMMAND_EXECUTOR_FAILED',
  'REASON_CONTAINER_LAUNCH_FAILED',
  'REASON_CONTAINER_LIMITATION',
  'REASON_CONTAINER_LIMITATION_DISK',
  'REASON_CONTAINER_LIMITATION_MEMORY',
  'REASON_CONTAINER_PREEMPTED',
  'REASON_CONTAINER_UPDATE_FAILED',
  'REASON_MAX_COMPLETION_TIME_REACHED',
  'REASON_EXECUTOR_REGISTRATION_TIMEOUT',
  'REASON_EXECUTOR_REREGISTRATION_TIMEOUT',
  'REASON_EXECUTOR_TERMINATED',
  'REASON_EXECUTOR_UNREGISTERED',
  'REASON_FRAMEWORK_REMOVED',
  'REASON_GC_ERROR',
  'REASON_INVALID_FRAMEWORKID',
  'REASON_INVALID_OFFERS',
  'REASON_IO_SWITCHBOARD_EXITED',
  'REASON_MASTER_DISCONNECTED',
  'REASON_RECONCILIATION',
  'REASON_RESOURCES_UNKNOWN',
  'REASON_AGENT_DISCONNECTED',
  'REASON_AGENT_DRAINING',
  'REASON_AGENT_REMOVED',
  'REASON_AGENT_REMOVED_BY_OPERATOR',
  'REASON_AGENT_REREGISTERED',
  'REASON_AGENT_RESTARTED',
  'REASON_AGENT_UNKNOWN',
  'REASON_TASK_KILLED_DURING_LAUNCH',
  'REASON_TASK_CHECK_STATUS_UPDATED',
  'REASON_TASK_HEALTH_CHECK_STATUS_UPDATED',
  'REASON_TASK_GROUP_INVALID',
  'REASON_TASK_GROUP_UNAUTHORIZED',
  'REASON_TASK_INVALID',
  'REASON_TASK_UNAUTHORIZED',
  'REASON_TASK_UNKNOWN',
] as const
export const TaskStatusReason = StringEnum(TASK_STATUS_REASONS)
export type TaskStatusReason = Static<typeof TaskStatusReason>

// ---- commands --------------------------------------------------------------------------------

/** A file the fetcher downloads into the sandbox before the command runs. */
export const CommandURI = Type.Object({
  value: Type.String(),
  executable: Type.Optional(Type.Boolean()),
  extract: Type.Optional(Type.Boolean()),
  cache: Type.Optional(Type.Boolean()),
  output_file: Type.Optional(Type.String()),
})
export type CommandURI = Static<typeof CommandURI>

export const ENVIRONMENT_VARIABLE_TYPES = ['UNKNOWN', 'VALUE', 'SECRET'] as const
export const EnvironmentVariableType = StringEnum(ENVIRONMENT_VARIABLE_TYPES)
export type EnvironmentVariableType = Static<typeof EnvironmentVariableType>

/** `secret` (a Mesos Secret) is carried unchecked: no secret store here yet. */
export const EnvironmentVariable = Type.Object({
  name: Type.String(),
  type: Type.Optional(EnvironmentVariableType),
  value: Type.Optional(Type.String()),
})
export type EnvironmentVariable = Static<typeof EnvironmentVariable>

export const Environment = Type.Object({
  variables: Type.Optional(Type.Array(EnvironmentVariable)),
})
export type Environment = Static<typeof Environment>

/**
 * What to run. With `shell` (the default, true) `value` runs as `/bin/sh -c value`; with
 * `shell: false`, `value` is the executable and `arguments` its argv (argv[0] included).
 */
export const CommandInfo = Type.Object(
  {
    uris: Type.Optional(Type.Array(CommandURI)),
    environment: Type.Optional(Environment),
    shell: Type.Optional(Type.Boolean()),
    value: Type.Optional(Type.String()),
    arguments: Type.Optional(Type.Array(Type.String())),
    user: Type.Optional(Type.String()),
  },
  { title: 'CommandInfo' },
)
export type CommandInfo = Static<typeof CommandInfo>

// ---- containers ------------------------------------------------------------------------------

export const IMAGE_TYPES = ['APPC', 'DOCKER'] as const
export const ImageType = StringEnum(IMAGE_TYPES)
export type ImageType = Static<typeof ImageType>

export const Image = Type.Object({
  type: ImageType,
  appc: Type.Optional(Type.Object({ name: Type.String(), id: Type.Optional(Type.String()) })),
  docker: Type.Optional(Type.Object({ name: Type.String() })),
  cached: Type.Optional(Type.Boolean()),
})
export type Image = Static<typeof Image>

export const NETWORK_PROTOCOLS = ['IPv4', 'IPv6'] as const
export const NetworkProtocol = StringEnum(NETWORK_PROTOCOLS)
export type NetworkProtocol = Static<typeof NetworkProtocol>

export const PortMapping = Type.Object({
  host_port: Type.Integer(),
  container_port: Type.Integer(),
  protocol: Type.Optional(Type.String()),
})
export type PortMapping = Static<typeof PortMapping>

export const NetworkInfo = Type.Object({
  ip_addresses: Type.Optional(
    Type.Array(
      Type.Object({
        protocol: Type.Optional(NetworkProtocol),
        ip_address: Type.Optional(Type.String()),
      }),
    ),
  ),
  name: Type.Optional(Type.String()),
  groups: Type.Optional(Type.Array(Type.String())),
  labels: Type.Optional(Labels),
  port_mappings: Type.Optional(Type.Array(PortMapping)),
})
export type NetworkInfo = Static<typeof NetworkInfo>

export const CONTAINER_TYPES = ['DOCKER', 'MESOS'] as const
export const ContainerType = StringEnum(CONTAINER_TYPES)
export type ContainerType = Static<typeof ContainerType>

export const DOCKER_NETWORKS = ['HOST', 'BRIDGE', 'NONE', 'USER'] as const
export const DockerNetwork = StringEnum(DOCKER_NETWORKS)
export type DockerNetwork = Static<typeof DockerNetwork>

/**
 * Container settings, minimal: this project runs MESOS containers with no image (a process
 * tree in its own session). Linux, rlimit and tty settings are carried unchecked.
 */
export const ContainerInfo = Type.Object(
  {
    type: ContainerType,
    volumes: Type.Optional(Type.Array(Volume)),
    hostname: Type.Optional(Type.String()),
    docker: Type.Optional(
      Type.Object({
        image: Type.String(),
        network: Type.Optional(DockerNetwork),
        port_mappings: Type.Optional(Type.Array(PortMapping)),
        privileged: Type.Optional(Type.Boolean()),
        parameters: Type.Optional(Type.Array(Parameter)),
        force_pull_image: Type.Optional(Type.Boolean()),
      }),
    ),
    mesos: Type.Optional(Type.Object({ image: Type.Optional(Image) })),
    network_infos: Type.Optional(Type.Array(NetworkInfo)),
  },
  { title: 'ContainerInfo' },
)
export type ContainerInfo = Static<typeof ContainerInfo>

/** What the agent reports about a task's container in its status updates. */
export const ContainerStatus = Type.Object({
  container_id: Type.Optional(ContainerID),
  network_infos: Type.Optional(Type.Array(NetworkInfo)),
  executor_pid: Type.Optional(Type.Integer()),
})
export type ContainerStatus = Static<typeof ContainerStatus>

// ---- kill policy and health checks -----------------------------------------------------------

/** How long to wait between the graceful kill (SIGTERM) and the forcible one (SIGKILL). */
export const KillPolicy = Type.Object({ grace_period: Type.Optional(DurationInfo) })
export type KillPolicy = Static<typeof KillPolicy>

export const HEALTH_CHECK_TYPES = ['UNKNOWN', 'COMMAND', 'HTTP', 'TCP'] as const
export const HealthCheckType = StringEnum(HEALTH_CHECK_TYPES)
export type HealthCheckType = Static<typeof HealthCheckType>

export const HealthCheck = Type.Object({
  type: Type.Optional(HealthCheckType),
  delay_seconds: Type.Optional(Type.Number()),
  interval_seconds: Type.Optional(Type.Number()),
  timeout_seconds: Type.Optional(Type.Number()),
  consecutive_failures: Type.Optional(Type.Integer()),
  grace_period_seconds: Type.Optional(Type.Number()),
  command: Type.Optional(CommandInfo),
  http: Type.Optional(
    Type.Object({
      protocol: Type.Optional(NetworkProtocol),
      scheme: Type.Optional(Type.String()),
      port: Type.Integer(),
      path: Type.Optional(Type.String()),
      statuses: Type.Optional(Type.Array(Type.Integer())),
    }),
  ),
  tcp: Type.Optional(
    Type.Object({ protocol: Type.Optional(NetworkProtocol), port: Type.Integer() }),
  ),
})
export type HealthCheck = Static<typeof HealthCheck>

// ---- executors -------------------------------------------------------------------------------

/** DEFAULT is Mesos's default executor (it runs task groups); CUSTOM is the framework's own. */
export const EXECUTOR_TYPES = ['UNKNOWN', 'DEFAULT', 'CUSTOM'] as const
export const ExecutorType = StringEnum(EXECUTOR_TYPES)
export type ExecutorType = Static<typeof ExecutorType>

/** `data` is base64 (bytes.ts). `framework_id` is filled in by the master when absent. */
export const ExecutorInfo = Type.Object(
  {
    type: Type.Optional(ExecutorType),
    executor_id: ExecutorID,
    framework_id: Type.Optional(FrameworkID),
    command: Type.Optional(CommandInfo),
    container: Type.Optional(ContainerInfo),
    resources: Type.Optional(Type.Array(Resource)),
    name: Type.Optional(Type.String()),
    source: Type.Optional(Type.String()),
    data: Type.Optional(Type.String()),
    shutdown_grace_period: Type.Optional(DurationInfo),
    labels: Type.Optional(Labels),
  },
  { title: 'ExecutorInfo' },
)
export type ExecutorInfo = Static<typeof ExecutorInfo>

// ---- tasks -----------------------------------------------------------------------------------

/**
 * A TaskInfo.limits value. mesos.proto types it Value.Scalar (`{ value }`), while Mesos's own
 * scheduler docs write a bare number or "Infinity" (unlimited; JSON has no infinite number and
 * the schemas reject non-finite numbers). All three are accepted; the agent normalises.
 */
export const TaskResourceLimit = Type.Union([Type.Number(), Type.Literal('Infinity'), Scalar])
export type TaskResourceLimit = Static<typeof TaskResourceLimit>

/**
 * A task to launch: exactly one of `command` (run by the built-in command executor) or
 * `executor` (run by that executor) is set, which the master validates (REASON_TASK_INVALID).
 * `data` is base64. `check` and `discovery` are carried unchecked.
 */
export const TaskInfo = Type.Object(
  {
    name: Type.String(),
    task_id: TaskID,
    agent_id: AgentID,
    resources: Type.Optional(Type.Array(Resource)),
    executor: Type.Optional(ExecutorInfo),
    command: Type.Optional(CommandInfo),
    container: Type.Optional(ContainerInfo),
    health_check: Type.Optional(HealthCheck),
    kill_policy: Type.Optional(KillPolicy),
    data: Type.Optional(Type.String()),
    labels: Type.Optional(Labels),
    max_completion_time: Type.Optional(DurationInfo),
    limits: Type.Optional(Type.Record(Type.String(), TaskResourceLimit)),
  },
  { title: 'TaskInfo' },
)
export type TaskInfo = Static<typeof TaskInfo>

/** Tasks launched together in one executor, all or none (LAUNCH_GROUP). */
export const TaskGroupInfo = Type.Object({ tasks: Type.Optional(Type.Array(TaskInfo)) })
export type TaskGroupInfo = Static<typeof TaskGroupInfo>

/** Why a container limitation killed a task (which resources it outgrew). */
export const TaskResourceLimitation = Type.Object({
  resources: Type.Optional(Type.Array(Resource)),
})
export type TaskResourceLimitation = Static<typeof TaskResourceLimitation>

/**
 * The state of a task as reported to its framework. `uuid` and `data` are base64 (bytes.ts);
 * a status with a `uuid` is retried until the framework acknowledges that uuid, one without
 * (e.g. from reconciliation) must not be acknowledged. `timestamp` is seconds since the epoch.
 * `check_status` is carried unchecked.
 */
export const TaskStatus = Type.Object(
  {
    task_id: TaskID,
    state: TaskState,
    message: Type.Optional(Type.String()),
    source: Type.Optional(TaskStatusSource),
    reason: Type.Optional(TaskStatusReason),
    data: Type.Optional(Type.String()),
    agent_id: Type.Optional(AgentID),
    executor_id: Type.Optional(ExecutorID),
    timestamp: Type.Optional(Type.Number()),
    uuid: Type.Optional(Type.String()),
    healthy: Type.Optional(Type.Boolean()),
    labels: Type.Optional(Labels),
    container_status: Type.Optional(ContainerStatus),
    unreachable_time: Type.Optional(TimeInfo),
    limitation: Type.Optional(TaskResourceLimitation),
  },
  { title: 'TaskStatus' },
)
export type TaskStatus = Static<typeof TaskStatus>

/**
 * A task as the master and agents know it (mesos.Task): what an agent reports when it
 * reregisters and what the master's state endpoints list. `status_update_state` and
 * `status_update_uuid` describe the latest update not yet acknowledged by the framework.
 */
export const Task = Type.Object(
  {
    name: Type.String(),
    task_id: TaskID,
    framework_id: FrameworkID,
    executor_id: Type.Optional(ExecutorID),
    agent_id: AgentID,
    state: TaskState,
    resources: Type.Optional(Type.Array(Resource)),
    statuses: Type.Optional(Type.Array(TaskStatus)),
    status_update_state: Type.Optional(TaskState),
    status_update_uuid: Type.Optional(Type.String()),
    labels: Type.Optional(Labels),
    container: Type.Optional(ContainerInfo),
    health_check: Type.Optional(HealthCheck),
    kill_policy: Type.Optional(KillPolicy),
    user: Type.Optional(Type.String()),
    limits: Type.Optional(Type.Record(Type.String(), TaskResourceLimit)),
  },
  { title: 'Task' },
)
export type Task = Static<typeof Task>

/**
 * One status update as the agent's status update manager sends, retries and checkpoints it
 * (messages.proto StatusUpdate). `uuid` (base64) identifies it for acknowledgement and equals
 * `status.uuid`; `timestamp` is seconds since the epoch; `latest_state` is the task's latest
 * state at the agent, which may be newer than `status.state` while older updates wait for
 * acknowledgement.
 */
export const StatusUpdate = Type.Object(
  {
    framework_id: FrameworkID,
    executor_id: Type.Optional(ExecutorID),
    agent_id: Type.Optional(AgentID),
    status: TaskStatus,
    timestamp: Type.Number(),
    uuid: Type.Optional(Type.String()),
    latest_state: Type.Optional(TaskState),
  },
  { title: 'StatusUpdate' },
)
export type StatusUpdate = Static<typeof StatusUpdate>
