// JSON renderers of one agent's state: `/state` in the field names of Mesos's src/slave/http.cpp
// (Http::state, FrameworkWriter, ExecutorWriter), `/monitor/statistics` (Http::_statistics), and
// the agent's v1 operator API responses (include/mesos/v1/agent/agent.proto). An agent holds a
// few hundred tasks at most, so documents are built whole (no streaming as on the master).
import { readFileSync } from 'node:fs'
import type { AgentCore, ExecutorRecord, FrameworkRecord } from '../../actors/agent/index.js'
import { executorLatestRunPath, processGroupMembers } from '../../actors/agent/index.js'
import type { Resource, Task, TaskInfo } from '../../actors/protocol/index.js'
import { fromJson, type Resources } from '../../actors/resources/index.js'
import type { AgentHttpDeps } from './agent-http-deps.js'
import { attributesModel, ResourceSummary } from './master-state.js'

function resources(value: readonly Resource[] | undefined): Resources | undefined {
  if (!value || value.length === 0) return undefined
  try {
    return fromJson(value)
  } catch {
    return undefined
  }
}

function model(value: readonly Resource[] | undefined): Record<string, number | string> {
  const r = resources(value)
  const sum = new ResourceSummary()
  if (r) sum.add(r)
  return sum.toObject()
}

function roleOf(value: readonly Resource[] | undefined): string {
  const first = value?.[0] as { allocation_info?: { role?: string }; role?: string } | undefined
  return first?.allocation_info?.role ?? first?.role ?? '*'
}

/** Mesos `json(JSON::ObjectWriter*, const Task&)` for an agent's task. */
function taskJson(task: Task): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: task.task_id.value,
    name: task.name,
    framework_id: task.framework_id.value,
    executor_id: task.executor_id?.value ?? '',
    slave_id: task.agent_id.value,
    state: task.state,
    resources: model(task.resources),
    role: roleOf(task.resources),
    statuses: (task.statuses ?? []).map(s => {
      const st: Record<string, unknown> = { state: s.state, timestamp: s.timestamp ?? 0 }
      if (s.labels) st.labels = s.labels
      if (s.container_status) st.container_status = s.container_status
      if (s.healthy !== undefined) st.healthy = s.healthy
      return st
    }),
  }
  if (task.labels) out.labels = task.labels.labels ?? []
  if (task.container) out.container = task.container
  if (task.user) out.user = task.user
  return out
}

/** Mesos `json(JSON::ObjectWriter*, const TaskInfo&)`: a queued task, not yet given to its executor. */
function queuedTaskJson(info: TaskInfo, frameworkId: string, executorId: string): Record<string, unknown> {
  return {
    id: info.task_id.value,
    name: info.name,
    framework_id: frameworkId,
    executor_id: executorId,
    slave_id: info.agent_id.value,
    resources: model(info.resources),
    role: roleOf(info.resources),
  }
}

/** The resources an executor holds: its own plus its live tasks' (Mesos allocatedResources). */
function executorResources(ex: ExecutorRecord): Resource[] {
  const out: Resource[] = [...(ex.info.resources ?? [])]
  for (const t of ex.queued.values()) out.push(...(t.resources ?? []))
  for (const t of ex.launched.values()) out.push(...(t.resources ?? []))
  return out
}

/** Mesos ExecutorWriter; `directory` is the run's sandbox, for `/files/browse?path=`. */
function executorJson(ex: ExecutorRecord): Record<string, unknown> {
  const held = executorResources(ex)
  const out: Record<string, unknown> = {
    id: ex.id,
    name: ex.info.name ?? '',
    source: ex.info.source ?? '',
    container: ex.containerId,
    directory: ex.sandbox ?? '',
    resources: model(held),
    role: roleOf(held),
    type: ex.commandTask ? 'COMMAND' : 'CUSTOM',
    tasks: [...ex.launched.values()].map(taskJson),
    queued_tasks: [...ex.queued.values()].map(t => queuedTaskJson(t, ex.frameworkId, ex.id)),
    completed_tasks: [...ex.terminated.values()].map(taskJson),
  }
  if (ex.info.labels) out.labels = ex.info.labels.labels ?? []
  return out
}

/**
 * Executors gone from the agent whose tasks the framework still lists as completed: Mesos's
 * `completed_executors`, rebuilt from the completed tasks (the agent forgets an executor once its
 * tasks are acknowledged). `directory` is the executor's `runs/latest`, its newest sandbox.
 */
function completedExecutorsJson(deps: AgentHttpDeps, agentId: string, fw: FrameworkRecord): Record<string, unknown>[] {
  const byExecutor = new Map<string, Task[]>()
  for (const task of fw.completed) {
    const id = task.executor_id?.value ?? task.task_id.value
    if (fw.executors.has(id)) continue
    let list = byExecutor.get(id)
    if (!list) byExecutor.set(id, (list = []))
    list.push(task)
  }
  return [...byExecutor].map(([id, tasks]) => {
    let directory = ''
    try {
      directory = executorLatestRunPath(deps.workDir, { agentId, frameworkId: fw.id, executorId: id })
    } catch {
      // An id that cannot be a path component has no sandbox to show.
    }
    return { id, name: '', source: '', container: '', directory, resources: model(undefined), role: '*', tasks: [], queued_tasks: [], completed_tasks: tasks.map(taskJson) }
  })
}

function frameworkJson(deps: AgentHttpDeps, agentId: string, fw: FrameworkRecord): Record<string, unknown> {
  const info = fw.info
  const out: Record<string, unknown> = {
    id: fw.id,
    name: info.name,
    user: info.user,
    failover_timeout: info.failover_timeout ?? 0,
    checkpoint: info.checkpoint ?? false,
    hostname: info.hostname ?? '',
  }
  if (info.principal) out.principal = info.principal
  const multiRole = (info.capabilities ?? []).some(c => c.type === 'MULTI_ROLE')
  if (multiRole) out.roles = info.roles ?? []
  else out.role = info.role ?? '*'
  out.executors = [...fw.executors.values()].map(executorJson)
  out.completed_executors = completedExecutorsJson(deps, agentId, fw)
  return out
}

/** The agent's `/state` (Mesos Http::state). */
export function agentStateJson(deps: AgentHttpDeps, core: AgentCore): Record<string, unknown> {
  const info = core.info
  const agentId = core.agentId ?? ''
  const total = resources(info.resources)
  const reserved: Record<string, unknown> = {}
  const reservedFull: Record<string, unknown> = {}
  if (total) {
    for (const [role, r] of total.reservations()) {
      reserved[role] = new ResourceSummary().add(r).toObject()
      reservedFull[role] = (info.resources ?? []).filter(x => roleOf([x]) === role)
    }
  }
  const out: Record<string, unknown> = {
    version: deps.version,
    build_date: '',
    build_time: 0,
    build_user: '',
    start_time: deps.startedAt / 1000,
    id: agentId,
    pid: deps.agentPid,
    hostname: info.hostname,
    port: info.port ?? 5051,
    capabilities: ['MULTI_ROLE', 'HIERARCHICAL_ROLE', 'RESERVATION_REFINEMENT'],
    resources: model(info.resources),
    attributes: attributesModel(info.attributes),
    master_hostname: core.registered ? core.masterPid.split('@')[1] ?? '' : '',
    log_dir: deps.flags.log_dir ?? '',
    flags: deps.flags,
    frameworks: [...core.frameworks.values()].map(fw => frameworkJson(deps, agentId, fw)),
    completed_frameworks: core.completedFrameworks.map(fw => frameworkJson(deps, agentId, fw)),
    reserved_resources: reserved,
    unreserved_resources: total ? new ResourceSummary().add(total.unreserved()).toObject() : model(undefined),
    reserved_resources_full: reservedFull,
    unreserved_resources_full: (info.resources ?? []).filter(x => roleOf([x]) === '*'),
  }
  if (info.domain) out.domain = info.domain
  return out
}

// ---- /monitor/statistics -------------------------------------------------------------------

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on every Linux port). */
const USER_HZ = 100
const PAGE_SIZE = 4096

interface ProcUsage {
  userSecs: number
  systemSecs: number
  rssBytes: number
  processes: number
  threads: number
}

/** Sums /proc/<pid>/stat over the members of process groups (the container's processes). */
function procUsage(pgids: readonly number[]): ProcUsage {
  const u: ProcUsage = { userSecs: 0, systemSecs: 0, rssBytes: 0, processes: 0, threads: 0 }
  for (const pgid of pgids) {
    for (const pid of processGroupMembers(pgid) ?? []) {
      let stat: string
      try {
        stat = readFileSync(`/proc/${pid}/stat`, 'latin1')
      } catch {
        continue
      }
      // Fields after "(comm) ": state is field 3 of stat(5), so index i here is field i + 3.
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      u.userSecs += Number(f[11]) / USER_HZ
      u.systemSecs += Number(f[12]) / USER_HZ
      u.threads += Number(f[17])
      u.rssBytes += Number(f[21]) * PAGE_SIZE
      u.processes++
    }
  }
  return u
}

function scalarSum(value: readonly Resource[], name: string): number {
  let sum = 0
  for (const r of value) if (r.name === name && r.scalar) sum += r.scalar.value
  return sum
}

/** Mesos ResourceStatistics of one executor's container (posix isolation: /proc sums). */
export function executorStatistics(deps: AgentHttpDeps, ex: ExecutorRecord, now: number): Record<string, unknown> {
  const held = executorResources(ex)
  const u = procUsage(deps.processGroups?.(ex.containerId) ?? [])
  return {
    timestamp: now / 1000,
    cpus_user_time_secs: u.userSecs,
    cpus_system_time_secs: u.systemSecs,
    cpus_limit: scalarSum(held, 'cpus'),
    mem_rss_bytes: u.rssBytes,
    mem_limit_bytes: scalarSum(held, 'mem') * 1024 * 1024,
    processes: u.processes,
    threads: u.threads,
  }
}

/** `/monitor/statistics`: one entry per live executor. */
export function monitorStatistics(deps: AgentHttpDeps, core: AgentCore): unknown[] {
  const now = Date.now()
  const out: unknown[] = []
  for (const fw of core.frameworks.values()) {
    for (const ex of fw.executors.values()) {
      if (ex.state === 'TERMINATED') continue
      out.push({ framework_id: fw.id, executor_id: ex.id, executor_name: ex.info.name ?? '', source: ex.info.source ?? '', statistics: executorStatistics(deps, ex, now) })
    }
  }
  return out
}

// ---- v1 agent operator API (agent.proto Response) -------------------------------------------

export function v1GetFrameworks(core: AgentCore): unknown {
  return {
    frameworks: [...core.frameworks.values()].map(fw => ({ framework_info: fw.info })),
    completed_frameworks: core.completedFrameworks.map(fw => ({ framework_info: fw.info })),
  }
}

export function v1GetExecutors(core: AgentCore): unknown {
  const executors: unknown[] = []
  for (const fw of core.frameworks.values()) for (const ex of fw.executors.values()) executors.push({ executor_info: ex.info })
  return { executors, completed_executors: [] }
}

export function v1GetTasks(core: AgentCore): unknown {
  const queued: unknown[] = []
  const launched: Task[] = []
  const terminated: Task[] = []
  const completed: Task[] = []
  for (const fw of core.frameworks.values()) {
    for (const ex of fw.executors.values()) {
      for (const t of ex.queued.values()) queued.push(t)
      launched.push(...ex.launched.values())
      terminated.push(...ex.terminated.values())
    }
    completed.push(...fw.completed)
  }
  for (const fw of core.completedFrameworks) completed.push(...fw.completed)
  return { pending_tasks: [], queued_tasks: queued, launched_tasks: launched, terminated_tasks: terminated, completed_tasks: completed }
}

export function v1GetState(core: AgentCore): unknown {
  return { get_tasks: v1GetTasks(core), get_executors: v1GetExecutors(core), get_frameworks: v1GetFrameworks(core) }
}

export function v1GetContainers(deps: AgentHttpDeps, core: AgentCore): unknown {
  const now = Date.now()
  const containers: unknown[] = []
  for (const fw of core.frameworks.values()) {
    for (const ex of fw.executors.values()) {
      if (ex.state === 'TERMINATED') continue
      containers.push({
        framework_id: { value: fw.id },
        executor_id: { value: ex.id },
        executor_name: ex.info.name ?? '',
        container_id: { value: ex.containerId },
        resource_statistics: executorStatistics(deps, ex, now),
      })
    }
  }
  return { containers }
}
