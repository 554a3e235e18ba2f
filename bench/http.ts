// `npm run bench -- http [--quick]`: the master's HTTP layer at scale. An embedded cluster with
// 10,000 emulated agents and 100,000 running tasks (quick: 1,000 and 10,000) is built by a
// framework on the in-process bus; then, over a real socket:
//   - latency of /master/state, /master/state-summary and /metrics/snapshot (full body read),
//   - the master's event latency while /master/state is being served: a request the master
//     actor itself answers (an operator UPDATE_WEIGHTS with no weights: a no-op round trip
//     through the master's mailbox and machine) is sent every millisecond during the fetch, so
//     its latency is what any master message waits for while the state is serialized,
//   - the v1 scheduler API's event throughput over one SUBSCRIBE stream (events/s), when the
//     scheduler API plugin is in this build.
// Baseline, measured in the same run: the same round trip with the master idle.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LocalTransport, Runtime, type Pid } from '../runtime/index.js'
import { ProtocolMessages } from '../actors/protocol/index.js'
import { startScheduler } from '../actors/scheduler/index.js'
import { EMULATED_DURATION_LABEL } from '../actors/executor/index.js'
import { LocalCluster } from '../cluster/local-cluster.js'
import { startMasterServer } from '../cluster/http/master-server.js'
import { RecordIoDecoder } from '../cluster/http/recordio.js'
import { OperatorMessages } from '../actors/master/index.js'
import { LaunchFramework } from './support/launch-framework.js'
import { emitJson, median, percentile, progress, round, table } from './support/report.js'

interface Params {
  agents: number
  tasks: number
  repeats: number
  schedulerTasks: number
}

async function until(condition: () => boolean, what: string, timeoutMs: number, report?: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let lastReport = Date.now()
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    if (report && Date.now() - lastReport > 2000) {
      progress(report())
      lastReport = Date.now()
    }
    await new Promise(r => setTimeout(r, 20))
  }
}

async function timedGet(url: string): Promise<{ ms: number; bytes: number; body: Buffer }> {
  const started = performance.now()
  const res = await fetch(url)
  const body = Buffer.from(await res.arrayBuffer())
  if (res.status !== 200) throw new Error(`${url}: HTTP ${res.status}: ${body.toString().slice(0, 200)}`)
  return { ms: performance.now() - started, bytes: body.length, body }
}

/** Master round trips every ~1 ms until `stop` resolves; latencies in ms. */
async function masterLatencies(rt: Runtime, master: Pid, stop: Promise<unknown>): Promise<number[]> {
  const out: number[] = []
  let done = false
  void stop.finally(() => (done = true))
  let seq = 0
  while (!done) {
    const t0 = performance.now()
    seq++
    await rt.request(master, 'OperatorUpdateWeights', { weight_infos: [] }, { timeoutMs: 300_000 })
    out.push(performance.now() - t0)
    await new Promise(r => setTimeout(r, 1))
  }
  return out
}

/**
 * One v1 HTTP framework on /api/v1/scheduler: launches `tasks` tasks that end at once and
 * acknowledges every update; events/s is what arrived on its SUBSCRIBE stream over the time
 * from its first OFFERS to its last expected UPDATE.
 */
async function schedulerThroughput(base: string, tasks: number): Promise<{ eventsPerS: number; events: number } | undefined> {
  const url = `${base}/api/v1/scheduler`
  const controller = new AbortController()
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ type: 'SUBSCRIBE', subscribe: { framework_info: { user: 'bench', name: 'http-bench', failover_timeout: 0 } } }),
    signal: controller.signal,
  })
  if (res.status === 404) return undefined
  if (res.status !== 200) throw new Error(`scheduler SUBSCRIBE: HTTP ${res.status}: ${await res.text()}`)
  const streamId = res.headers.get('mesos-stream-id') ?? ''
  let frameworkId = ''
  let launched = 0
  let terminal = 0
  let events = 0
  let first = 0
  let last = 0
  const pending = new Set<Promise<unknown>>()
  const call = (body: Record<string, unknown>): void => {
    const p = fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Mesos-Stream-Id': streamId },
      body: JSON.stringify({ framework_id: { value: frameworkId }, ...body }),
    })
      .then(r => r.arrayBuffer())
      .catch(() => undefined)
    pending.add(p)
    void p.finally(() => pending.delete(p))
  }
  const decoder = new RecordIoDecoder()
  const reading = (async () => {
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        for (const e of decoder.push(Buffer.from(chunk)) as any[]) {
          events++
          if (first > 0) last = performance.now()
          if (e.type === 'SUBSCRIBED') frameworkId = e.subscribed.framework_id.value
          else if (e.type === 'OFFERS') {
            if (first === 0) first = performance.now()
            for (const offer of e.offers.offers) {
              const n = Math.min(Math.max(0, tasks - launched), 20)
              if (n === 0) {
                call({ type: 'DECLINE', decline: { offer_ids: [offer.id], filters: { refuse_seconds: 3600 } } })
                continue
              }
              const infos = Array.from({ length: n }, (_, i) => ({
                name: `t${launched + i}`,
                task_id: { value: `t${launched + i}` },
                agent_id: offer.agent_id,
                resources: [
                  { name: 'cpus', type: 'SCALAR', scalar: { value: 0.01 } },
                  { name: 'mem', type: 'SCALAR', scalar: { value: 1 } },
                ],
                command: { value: 'true' },
                labels: { labels: [{ key: EMULATED_DURATION_LABEL, value: '0' }] },
              }))
              launched += n
              call({ type: 'ACCEPT', accept: { offer_ids: [offer.id], operations: [{ type: 'LAUNCH', launch: { task_infos: infos } }], filters: { refuse_seconds: 0 } } })
            }
          } else if (e.type === 'UPDATE') {
            const s = e.update.status
            if (s.uuid) call({ type: 'ACKNOWLEDGE', acknowledge: { agent_id: s.agent_id, task_id: s.task_id, uuid: s.uuid } })
            if (['TASK_FINISHED', 'TASK_FAILED', 'TASK_LOST', 'TASK_ERROR', 'TASK_DROPPED'].includes(s.state)) terminal++
          }
        }
      }
    } catch {
      // aborted
    }
  })()
  await until(() => terminal >= tasks, `${tasks} scheduler API tasks to finish`, 300_000, () => `scheduler API: ${launched} launched, ${terminal} finished, ${events} events`)
  const elapsed = (last - first) / 1000
  controller.abort()
  await reading
  await Promise.allSettled([...pending])
  return { eventsPerS: elapsed > 0 ? events / elapsed : 0, events }
}

export async function run(args: string[]): Promise<void> {
  const quick = args.includes('--quick')
  const p: Params = quick ? { agents: 1000, tasks: 10_000, repeats: 5, schedulerTasks: 500 } : { agents: 10_000, tasks: 100_000, repeats: 5, schedulerTasks: 2000 }
  const workDir = mkdtempSync(join(tmpdir(), 'mesos-ts-bench-http-'))
  const started = Date.now()
  progress(`starting ${p.agents} emulated agents`)
  const cluster = await LocalCluster.start({
    numAgents: p.agents,
    workDir,
    executor: 'emulated',
    resources: 'cpus:16;mem:65536;disk:100000;ports:[31000-32000]',
    attributes: 'rack:r1',
    masterOptions: { allocationIntervalMs: 200, agentPingTimeoutMs: 600_000 },
    linkTimeoutMs: 600_000,
  })
  const rt = new Runtime({ transport: new LocalTransport(cluster.bus!), node: 'bench', linkTimeoutMs: 600_000, requestTimeoutMs: 30_000 })
  rt.registerMessages(ProtocolMessages)
  rt.registerMessages(OperatorMessages)
  cluster.masterRuntime.registerMessages(OperatorMessages)
  const core = cluster.masterCore
  await until(() => core.agents.size >= p.agents, 'agents to register', 600_000, () => `agents registered: ${core.agents.size}/${p.agents}`)
  progress(`${p.agents} agents registered in ${((Date.now() - started) / 1000).toFixed(1)} s; launching ${p.tasks} tasks`)

  const framework = new LaunchFramework('state-bench', p.tasks, 24 * 3600 * 1000)
  startScheduler({ runtime: rt, masterPid: cluster.masterPid, framework: framework.framework, callbacks: framework.callbacks })
  await until(() => framework.running >= p.tasks, 'tasks to run', 900_000, () => {
    const states = new Map<string, number>()
    for (const f of core.frameworks.values()) for (const t of f.tasks.values()) states.set(t.state, (states.get(t.state) ?? 0) + 1)
    return `tasks launched ${framework.launched}, running ${framework.running}/${p.tasks}, failed ${framework.failed}; master: ${[...states].map(([k, v]) => `${k} ${v}`).join(', ')}`
  })
  progress(`${p.tasks} tasks running after ${((Date.now() - started) / 1000).toFixed(1)} s`)

  // Let the launch settle (acknowledgements, allocation) before measuring.
  const settleStart = Date.now()
  for (let i = 0; i < 300; i++) {
    const probe = await masterLatencies(rt, cluster.masterPid, new Promise(r => setTimeout(r, 100)))
    if (median(probe) < 2) break
    if (i % 10 === 0) progress(`waiting for the master to settle: round trip ${median(probe).toFixed(1)} ms`)
  }
  progress(`master settled after ${((Date.now() - settleStart) / 1000).toFixed(1)} s`)
  const server = await startMasterServer(cluster.httpDeps({ version: 'bench' }), { port: 0, host: '127.0.0.1' })
  const base = server.url

  // Baseline: round-trip latency with the master idle.
  const idle = await masterLatencies(rt, cluster.masterPid, new Promise(r => setTimeout(r, 500)))

  const first = await timedGet(`${base}/master/state`)
  const parsed = JSON.parse(first.body.toString()) as { slaves: unknown[]; frameworks: Array<{ tasks: unknown[] }> }
  const taskCount = parsed.frameworks.reduce((n, f) => n + f.tasks.length, 0)
  if (parsed.slaves.length !== p.agents || taskCount !== p.tasks) throw new Error(`/master/state shows ${parsed.slaves.length} agents and ${taskCount} tasks`)
  progress(`/master/state: ${(first.bytes / 1e6).toFixed(1)} MB, first fetch ${first.ms.toFixed(0)} ms`)

  const stateMs: number[] = []
  const during: number[] = []
  for (let i = 0; i < p.repeats; i++) {
    const fetching = timedGet(`${base}/master/state`)
    const lat = masterLatencies(rt, cluster.masterPid, fetching)
    stateMs.push((await fetching).ms)
    during.push(...(await lat))
  }
  const summaryMs: number[] = []
  let summaryBytes = 0
  for (let i = 0; i < p.repeats; i++) {
    const r = await timedGet(`${base}/master/state-summary`)
    summaryMs.push(r.ms)
    summaryBytes = r.bytes
  }
  const metricsMs: number[] = []
  for (let i = 0; i < p.repeats; i++) metricsMs.push((await timedGet(`${base}/metrics/snapshot`)).ms)
  progress('scheduler API throughput')
  const sched = await schedulerThroughput(base, p.schedulerTasks)

  const results = {
    state_ms: round(median(stateMs), 1),
    state_first_ms: round(first.ms, 1),
    state_bytes: first.bytes,
    state_summary_ms: round(median(summaryMs), 1),
    state_summary_bytes: summaryBytes,
    metrics_ms: round(median(metricsMs), 2),
    scheduler_events_per_s: sched ? Math.round(sched.eventsPerS) : null,
    scheduler_events: sched?.events ?? null,
    master_latency_during_state_ms: { p50: round(percentile(during, 50), 2), p99: round(percentile(during, 99), 2), max: round(Math.max(...during), 2), samples: during.length },
    baseline_master_latency_idle_ms: { p50: round(percentile(idle, 50), 2), p99: round(percentile(idle, 99), 2), max: round(Math.max(...idle), 2) },
  }
  table([
    ['agents / tasks', `${p.agents} / ${p.tasks}`],
    ['/master/state (median ms)', results.state_ms],
    ['/master/state size (MB)', first.bytes / 1e6],
    ['/master/state-summary (median ms)', results.state_summary_ms],
    ['/metrics/snapshot (median ms)', results.metrics_ms],
    ['master round trip during /master/state p50/p99/max (ms)', `${results.master_latency_during_state_ms.p50} / ${results.master_latency_during_state_ms.p99} / ${results.master_latency_during_state_ms.max}`],
    ['master round trip idle p50/p99 (ms)', `${results.baseline_master_latency_idle_ms.p50} / ${results.baseline_master_latency_idle_ms.p99}`],
    ['scheduler API events/s (one SUBSCRIBE stream)', sched ? Math.round(sched.eventsPerS) : 'n/a (no scheduler API in this build)'],
  ])
  await server.close()
  await rt.close()
  await cluster.stop(5_000).catch(() => undefined)
  rmSync(workDir, { recursive: true, force: true })
  emitJson({ bench: 'http', params: { agents: p.agents, tasks: p.tasks, repeats: p.repeats, scheduler_tasks: p.schedulerTasks, quick }, results })
  process.exit(0)
}
