// `/master/state` the plain way: one object tree built from the master's records, for
// JSON.stringify. The streaming writer in master-state.ts (cached UTF-8 fragments, hand-written
// task JSON, pauses) must produce the same document; tests compare the two, and
// `npm run bench -- http` measures the writer against this as its same-run baseline.
import type { FrameworkRecord, MasterCore, TaskRecord } from '../../actors/master/index.js'
import { isTerminalState } from '../../actors/protocol/index.js'
import {
  ResourceSummary,
  agentFields,
  executorFields,
  frameworkSummaryFields,
  leaderInfo,
  statusJson,
  type MasterIdentity,
} from './master-state.js'

function task(t: TaskRecord): Record<string, unknown> {
  const info = t.info as TaskRecord['info'] & { discovery?: unknown }
  const out: Record<string, unknown> = {
    id: info.task_id.value,
    name: info.name,
    framework_id: t.frameworkId,
    executor_id: info.executor?.executor_id.value ?? '',
    slave_id: t.agentId,
    state: t.state,
    resources: new ResourceSummary().add(t.resources).toObject(),
    role: t.role,
    statuses: [statusJson(t.status)],
  }
  if (info.labels) out.labels = info.labels
  if (info.container) out.container = info.container
  if (info.health_check) out.health_check = info.health_check
  if (info.discovery) out.discovery = info.discovery
  return out
}

function framework(core: MasterCore, f: FrameworkRecord): Record<string, unknown> {
  const info = f.info
  const out: Record<string, unknown> = {
    ...frameworkSummaryFields(f),
    user: info.user,
    failover_timeout: info.failover_timeout ?? 0,
    checkpoint: info.checkpoint ?? false,
    registered_time: f.registeredAt / 1000,
    unregistered_time: f.unregisteredAt === undefined ? 0 : f.unregisteredAt / 1000,
  }
  if (info.principal !== undefined) out.principal = info.principal
  if (f.reregisteredAt !== undefined) out.reregistered_time = f.reregisteredAt / 1000
  if (f.roles.length > 0 && (info.capabilities ?? []).some(c => c.type === 'MULTI_ROLE')) out.roles = f.roles
  else out.role = info.role ?? '*'
  if (info.labels) out.labels = info.labels
  out.offer_constraints = {}
  const tasks = [...f.tasks.values()]
  out.tasks = tasks.map(task)
  out.unreachable_tasks = []
  out.completed_tasks = f.completedTasks.toArray().map(task)
  const offers = [...f.offers].map(id => core.offers.get(id)).filter(o => o !== undefined)
  out.offers = offers.map(o => ({ id: o.id, framework_id: o.frameworkId, allocation_info: { role: o.role }, slave_id: o.agentId, resources: new ResourceSummary().add(o.resources).toObject() }))
  const executors = new Map<string, unknown>()
  for (const t of tasks) {
    if (t.executor && !executors.has(`${t.agentId}/${t.executor.executor_id.value}`)) {
      executors.set(`${t.agentId}/${t.executor.executor_id.value}`, { ...executorFields(t, f.id), slave_id: t.agentId })
    }
  }
  out.executors = [...executors.values()]
  const used = new ResourceSummary()
  for (const t of tasks) if (!isTerminalState(t.state)) used.add(t.resources)
  const offered = new ResourceSummary()
  for (const o of offers) offered.add(o.resources)
  const usedObj = used.toObject()
  const offeredObj = offered.toObject()
  const total = new ResourceSummary()
  for (const obj of [usedObj, offeredObj]) for (const [k, v] of Object.entries(obj)) if (typeof v === 'number') total.addScalar(k, v)
  out.used_resources = usedObj
  out.offered_resources = offeredObj
  out.resources = total.toObject()
  return out
}

/** The `/master/state` document as one object. */
export function stateReference(core: MasterCore, id: MasterIdentity): Record<string, unknown> {
  const agents = [...core.agents.values()]
  const active = agents.filter(a => a.connected).length
  const out: Record<string, unknown> = {
    version: id.version,
    start_time: id.startTime / 1000,
    elected_time: id.electedTime / 1000,
    id: id.id,
    pid: id.pid,
    hostname: id.hostname,
    capabilities: [],
    activated_slaves: active,
    deactivated_slaves: agents.length - active,
    unreachable_slaves: core.removedAgents.size,
    leader: id.pid,
    leader_info: leaderInfo(id),
  }
  if (id.cluster) out.cluster = id.cluster
  if (id.logDir) out.log_dir = id.logDir
  out.flags = id.flags
  out.slaves = agents.map(a => agentFields(core, a))
  out.recovered_slaves = []
  out.frameworks = [...core.frameworks.values()].map(f => framework(core, f))
  out.completed_frameworks = core.completedFrameworks.toArray().map(f => framework(core, f))
  out.orphan_tasks = []
  out.unregistered_frameworks = []
  return out
}
