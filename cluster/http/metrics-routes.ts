// `/metrics/snapshot` (Mesos key style, docs/monitoring.md) and `/metrics/prometheus` (the same
// values in Prometheus text). The runtime's registry holds what the actors record; this adds the
// names Mesos uses for them (the allocator's under `allocator/mesos/`, a timer's latest value
// under its bare key), the derived percentages, and zeros for counters not yet incremented, so a
// dashboard built for Mesos finds every key from the start.
import type { FastifyPluginAsync } from 'fastify'
import type { MasterCore } from '../../actors/master/index.js'
import type { MasterHttpDeps } from './master-http-deps.js'

/** Mesos counters that exist (at 0) from the master's start. */
const MESOS_COUNTERS = [
  'master/dropped_messages',
  'master/invalid_executor_to_framework_messages',
  'master/invalid_framework_to_executor_messages',
  'master/invalid_status_update_acknowledgements',
  'master/invalid_status_updates',
  'master/messages_decline_offers',
  'master/messages_kill_task',
  'master/messages_launch_tasks',
  'master/messages_reconcile_tasks',
  'master/messages_revive_offers',
  'master/messages_status_update',
  'master/messages_status_update_acknowledgement',
  'master/slave_registrations',
  'master/slave_removals',
  'master/slave_reregistrations',
  'master/slave_unreachable_completed',
  'master/tasks_dropped',
  'master/tasks_error',
  'master/tasks_failed',
  'master/tasks_finished',
  'master/tasks_gone',
  'master/tasks_gone_by_operator',
  'master/tasks_killed',
  'master/tasks_lost',
  'master/tasks_unreachable',
  'master/valid_executor_to_framework_messages',
  'master/valid_framework_to_executor_messages',
  'master/valid_status_update_acknowledgements',
  'master/valid_status_updates',
  'allocator/mesos/allocation_runs',
]

/** Mesos's names for our keys: `allocator/x` -> `allocator/mesos/x`, `timer/latest` -> `timer`. */
function mesosKey(key: string): string {
  let k = key
  if (k.startsWith('allocator/') && !k.startsWith('allocator/mesos/')) k = `allocator/mesos/${k.slice('allocator/'.length)}`
  if (k.endsWith('/latest')) k = k.slice(0, -'/latest'.length)
  return k
}

export function metricsSnapshot(deps: MasterHttpDeps, extra?: (out: Record<string, number>) => void): Record<string, number> {
  const raw = deps.runtime.metrics.snapshot()
  const out: Record<string, number> = {}
  for (const k of MESOS_COUNTERS) out[k] = 0
  for (const [k, v] of Object.entries(raw)) out[mesosKey(k)] = v
  const core = deps.core()
  out['master/elected'] = core ? 1 : 0
  out['master/uptime_secs'] ??= (Date.now() - deps.startedAt) / 1000
  if (core) derived(core, out)
  extra?.(out)
  return out
}

function derived(core: MasterCore, out: Record<string, number>): void {
  for (const name of ['cpus', 'mem', 'disk', 'gpus']) {
    const total = out[`master/${name}_total`] ?? 0
    const used = out[`master/${name}_used`] ?? 0
    out[`master/${name}_percent`] = total > 0 ? used / total : 0
    out[`master/${name}_revocable_total`] = 0
    out[`master/${name}_revocable_used`] = 0
    out[`master/${name}_revocable_percent`] = 0
  }
  let inactive = 0
  for (const f of core.frameworks.values()) if (!f.active) inactive++
  out['master/frameworks_inactive'] = inactive
  out['master/slaves_inactive'] = 0
  out['master/slaves_unreachable'] = core.removedAgents.size
  out['master/operator_event_stream_subscribers'] = core.observerCount
}

/** Prometheus text exposition: `master/cpus_total` -> `mesos_master_cpus_total`. */
export function prometheusText(snapshot: Record<string, number>): string {
  const lines: string[] = []
  const seen = new Set<string>()
  for (const key of Object.keys(snapshot).sort()) {
    const value = snapshot[key]!
    let name = `mesos_${key.replace(/[^a-zA-Z0-9_]/g, '_')}`
    if (seen.has(name)) continue
    seen.add(name)
    name = name.replace(/_+/g, '_')
    lines.push(`# TYPE ${name} gauge`, `${name} ${Number.isFinite(value) ? value : 0}`)
  }
  return `${lines.join('\n')}\n`
}

export function metricsRoutes(deps: MasterHttpDeps): FastifyPluginAsync {
  return async app => {
    app.get('/metrics/snapshot', async (_request, reply) => {
      reply.header('Content-Type', 'application/json')
      return JSON.stringify(metricsSnapshot(deps))
    })
    app.get('/metrics/prometheus', async (_request, reply) => {
      reply.header('Content-Type', 'text/plain; version=0.0.4')
      return prometheusText(metricsSnapshot(deps))
    })
  }
}
