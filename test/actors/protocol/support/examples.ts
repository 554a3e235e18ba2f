// One valid body for every protocol message type, built from realistic pieces, for the
// catalogue tests (each must validate; each is mutated into invalid variants).
import type { ProtocolBody, ProtocolMessageType } from '../../../../actors/protocol/index.js'

export const frameworkId = { value: 'f1e2d3c4-0000' }
export const agentId = { value: 'a1b2c3d4-S0' }
export const taskId = { value: 'task-1' }
export const executorId = { value: 'exec-1' }
export const offerId = { value: 'a1b2c3d4-O7' }
export const uuid = 'q83vEjRWeJCrze8SNFZ4kA==' // base64 of 16 bytes

export const cpus = { name: 'cpus', type: 'SCALAR' as const, scalar: { value: 1.5 }, role: '*' }
export const mem = { name: 'mem', type: 'SCALAR' as const, scalar: { value: 256 } }
export const ports = {
  name: 'ports',
  type: 'RANGES' as const,
  ranges: { range: [{ begin: 31000, end: 32000 }] },
  reservations: [{ type: 'DYNAMIC' as const, role: 'prod', principal: 'ops' }],
  allocation_info: { role: 'prod' },
}
export const gpusSet = { name: 'gpu_ids', type: 'SET' as const, set: { item: ['0', '1'] } }

export const frameworkInfo = {
  user: 'alice',
  name: 'batch',
  id: frameworkId,
  failover_timeout: 604800,
  checkpoint: true,
  roles: ['prod'],
  capabilities: [{ type: 'MULTI_ROLE' as const }, { type: 'PARTITION_AWARE' as const }],
  labels: { labels: [{ key: 'team', value: 'infra' }] },
}

export const agentInfo = {
  hostname: 'host1.example.com',
  port: 5051,
  resources: [cpus, mem, ports],
  attributes: [
    { name: 'rack', type: 'TEXT' as const, text: { value: 'r1' } },
    { name: 'level', type: 'SCALAR' as const, scalar: { value: 3 } },
  ],
  id: agentId,
  domain: { fault_domain: { region: { name: 'eu' }, zone: { name: 'eu-1a' } } },
}

export const masterInfo = {
  id: 'master-run-1',
  ip: 16777343,
  port: 5050,
  pid: 'master@m1',
  hostname: 'm1',
  version: '0.1.0',
  address: { hostname: 'm1', ip: '127.0.0.1', port: 5050 },
}

export const commandTask = {
  name: 'sleep',
  task_id: taskId,
  agent_id: agentId,
  resources: [cpus, mem],
  command: {
    shell: true,
    value: 'sleep 10',
    environment: { variables: [{ name: 'A', value: 'b' }] },
    uris: [{ value: 'https://example.com/app.tgz', extract: true }],
  },
  kill_policy: { grace_period: { nanoseconds: 3_000_000_000 } },
  labels: { labels: [{ key: 'k' }] },
  data: 'aGVsbG8=',
  limits: { cpus: 2, mem: 'Infinity' as const },
}

export const executorInfo = {
  type: 'DEFAULT' as const,
  executor_id: executorId,
  framework_id: frameworkId,
  resources: [cpus],
  shutdown_grace_period: { nanoseconds: 5_000_000_000 },
}

export const taskStatus = {
  task_id: taskId,
  state: 'TASK_RUNNING' as const,
  source: 'SOURCE_EXECUTOR' as const,
  reason: 'REASON_TASK_HEALTH_CHECK_STATUS_UPDATED' as const,
  message: 'running',
  agent_id: agentId,
  executor_id: executorId,
  timestamp: 1_700_000_000.25,
  uuid,
  healthy: true,
  container_status: { container_id: { value: 'c2', parent: { value: 'c1' } }, executor_pid: 4242 },
}

export const statusUpdate = {
  framework_id: frameworkId,
  executor_id: executorId,
  agent_id: agentId,
  status: taskStatus,
  timestamp: 1_700_000_000.25,
  uuid,
  latest_state: 'TASK_RUNNING' as const,
}

export const offer = {
  id: offerId,
  framework_id: frameworkId,
  agent_id: agentId,
  hostname: 'host1.example.com',
  url: { scheme: 'http', address: { hostname: 'host1.example.com', port: 5051 }, path: '/slave(1)' },
  resources: [cpus, mem, ports],
  attributes: agentInfo.attributes,
  executor_ids: [executorId],
  allocation_info: { role: 'prod' },
}

export const task = {
  name: 'sleep',
  task_id: taskId,
  framework_id: frameworkId,
  executor_id: executorId,
  agent_id: agentId,
  state: 'TASK_RUNNING' as const,
  resources: [cpus],
  statuses: [taskStatus],
  status_update_state: 'TASK_RUNNING' as const,
  status_update_uuid: uuid,
}

type Examples = { [T in ProtocolMessageType]: ProtocolBody<T> }

/** Typed against the schemas, so a drift between example and schema fails `tsc` too. */
export const examples: Examples = {
  // master <-> agent
  RegisterAgent: { agent: { ...agentInfo, id: undefined }, version: '0.1.0', agent_capabilities: [{ type: 'MULTI_ROLE' }] },
  ReregisterAgent: {
    agent: agentInfo,
    version: '0.1.0',
    checkpointed_resources: [ports],
    executor_infos: [executorInfo],
    tasks: [task],
    frameworks: [frameworkInfo],
    completed_frameworks: [{ framework_info: frameworkInfo, pid: 'scheduler-1@h7', tasks: [{ ...task, state: 'TASK_FINISHED' }] }],
  },
  UnregisterAgent: { agent_id: agentId },
  Pong: {},
  ExitedExecutor: { agent_id: agentId, framework_id: frameworkId, executor_id: executorId, status: 256 },
  UpdateAgent: { agent_id: agentId, update_oversubscribed_resources: true, oversubscribed_resources: [cpus] },
  StatusUpdate: { update: statusUpdate, pid: 'agent-1@host1' },
  ExecutorToFrameworkMessage: { agent_id: agentId, framework_id: frameworkId, executor_id: executorId, data: 'cGluZw==' },
  AgentRegistered: { agent_id: agentId, connection: { total_ping_timeout_seconds: 75 }, master_info: masterInfo, epoch: 12 },
  AgentReregistered: {
    agent_id: agentId,
    reconciliations: [{ framework_id: frameworkId, statuses: [taskStatus], framework: frameworkInfo }],
    master_info: masterInfo,
    epoch: 13,
  },
  Ping: { connected: true },
  RunTask: { framework: frameworkInfo, framework_id: frameworkId, task: commandTask, pid: 'scheduler-1@h7', launch_executor: true },
  RunTaskGroup: {
    framework: frameworkInfo,
    framework_id: frameworkId,
    executor: executorInfo,
    task_group: { tasks: [commandTask, { ...commandTask, task_id: { value: 'task-2' } }] },
  },
  KillTask: { framework_id: frameworkId, task_id: taskId, kill_policy: { grace_period: { nanoseconds: 0 } } },
  ShutdownExecutor: { executor_id: executorId, framework_id: frameworkId },
  ShutdownFramework: { framework_id: frameworkId },
  ShutdownAgent: { message: 'agent was removed' },
  StatusUpdateAcknowledgement: { agent_id: agentId, framework_id: frameworkId, task_id: taskId, uuid },
  FrameworkToExecutorMessage: { agent_id: agentId, framework_id: frameworkId, executor_id: executorId, data: 'cG9uZw==' },
  ReconcileTasks: { framework_id: frameworkId, statuses: [taskStatus] },
  UpdateFramework: { framework_id: frameworkId, pid: 'scheduler-2@h8', framework_info: frameworkInfo },
  CheckpointResources: { resources: [ports] },
  // framework <-> master
  Subscribe: { framework_info: { ...frameworkInfo, id: undefined }, suppressed_roles: ['prod'] },
  Teardown: { framework_id: frameworkId },
  Accept: {
    framework_id: frameworkId,
    offer_ids: [offerId],
    operations: [
      { type: 'RESERVE', reserve: { resources: [ports] } },
      { type: 'LAUNCH', launch: { task_infos: [commandTask] } },
      { type: 'LAUNCH_GROUP', launch_group: { executor: executorInfo, task_group: { tasks: [commandTask] } } },
      { type: 'CREATE', create: { volumes: [{ ...mem, name: 'disk', disk: { persistence: { id: 'v1' }, volume: { mode: 'RW', container_path: 'data' } } }] } },
      { type: 'UNRESERVE', unreserve: { resources: [ports] } },
      { type: 'DESTROY', destroy: { volumes: [] } },
    ],
    filters: { refuse_seconds: 30 },
  },
  Decline: { framework_id: frameworkId, offer_ids: [offerId], filters: { refuse_seconds: 5 } },
  Revive: { framework_id: frameworkId, roles: ['prod'] },
  Suppress: { framework_id: frameworkId },
  Kill: { framework_id: frameworkId, task_id: taskId, agent_id: agentId },
  Shutdown: { framework_id: frameworkId, executor_id: executorId, agent_id: agentId },
  Acknowledge: { framework_id: frameworkId, agent_id: agentId, task_id: taskId, uuid },
  Reconcile: { framework_id: frameworkId, tasks: [{ task_id: taskId, agent_id: agentId }, { task_id: { value: 't9' } }] },
  Message: { framework_id: frameworkId, agent_id: agentId, executor_id: executorId, data: 'aGk=' },
  Request: { framework_id: frameworkId, requests: [{ agent_id: agentId, resources: [cpus] }] },
  Subscribed: { framework_id: frameworkId, heartbeat_interval_seconds: 15, master_info: masterInfo },
  Offers: { offers: [offer] },
  Rescind: { offer_id: offerId },
  Update: { status: taskStatus },
  FrameworkMessage: { agent_id: agentId, executor_id: executorId, data: 'aGk=' },
  Failure: { agent_id: agentId, executor_id: executorId, status: 1 },
  Error: { message: 'Framework is not authorized' },
  Heartbeat: {},
  // agent <-> executor
  RegisterExecutor: { framework_id: frameworkId, executor_id: executorId },
  ReregisterExecutor: { executor_id: executorId, framework_id: frameworkId, tasks: [commandTask], updates: [statusUpdate] },
  ExecutorRegistered: {
    executor_info: executorInfo,
    framework_id: frameworkId,
    framework_info: frameworkInfo,
    agent_id: agentId,
    agent_info: agentInfo,
    container_id: { value: 'c1' },
  },
  ExecutorReregistered: { agent_id: agentId, agent_info: agentInfo },
  ReconnectExecutor: { agent_id: agentId },
}
