// `npm run bench -- http [--quick]`: the master's HTTP layer at scale. An embedded cluster with
// 10,000 emulated agents and 100,000 running tasks (quick: 1,000 and 10,000) is built by a
// framework on the in-process bus; then, over a real socket:
//   - latency of /master/state, /master/state-summary and /metrics/snapshot (full body read), by
//     a client in its own process (bench/support/http-client.ts), as a real client is, so that
//     reading the body costs the master's process nothing; /master/state is also fetched by an
//     in-process client (`state_in_process_client_ms`, how this bench measured it before),
//   - the master's event latency while /master/state is being served: a request the master
//     actor itself answers (an operator UPDATE_WEIGHTS with no weights: a no-op round trip
//     through the master's mailbox and machine) is due every millisecond during the fetch, and
//     each latency runs from when its probe was due, so a stall counts against every probe it
//     delays (no coordinated omission); plus the event loop's delay (monitorEventLoopDelay),
//   - the v1 scheduler API's event throughput over one SUBSCRIBE stream (events/s), when the
//     scheduler API plugin is in this build.
// Baselines, measured in the same run: the round trip with the master idle, and /master/state
// built the plain way (an object tree and JSON.stringify, blocking) in the master's process.
import { fork, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { PerformanceObserver, monitorEventLoopDelay } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LocalTransport, Runtime, type Pid } from '../runtime/index.js'
import { ProtocolMessages } from '../actors/protocol/index.js'
import { startScheduler } from '../actors/scheduler/index.js'
import { LocalCluster } from '../cluster/local-cluster.js'
import { startMasterServer } from '../cluster/http/master-server.js'
import { jsonStream, masterIdentity, stateDocument } from '../cluster/http/master-state.js'
import { stateReference } from '../cluster/http/master-state-reference.js'
import { OperatorMessages } from '../actors/master/index.js'
import { LaunchFramework } from './support/launch-framework.js'
import { acceptTasks, subscribeV1 } from './support/v1-framework.js'
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

interface ClientReply {
  id: number
  ms: number
  bytes: number
  agents?: number
  tasks?: number
  error?: string
}

/** GETs through the client process (bench/support/http-client.ts). */
class RemoteClient {
  private readonly child: ChildProcess
  private seq = 0
  private readonly waiting = new Map<number, (r: ClientReply) => void>()

  constructor() {
    this.child = fork(fileURLToPath(new URL('./support/http-client.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx'] })
    this.child.on('message', (r: ClientReply) => {
      this.waiting.get(r.id)?.(r)
      this.waiting.delete(r.id)
    })
  }

  async get(url: string, parse = false): Promise<ClientReply> {
    const id = ++this.seq
    const reply = await new Promise<ClientReply>(resolve => {
      this.waiting.set(id, resolve)
      this.child.send({ id, url, parse })
    })
    if (reply.error) throw new Error(reply.error)
    return reply
  }

  close(): void {
    this.child.disconnect()
  }
}

/** A probe is due every PROBE_INTERVAL_MS while the master is measured. */
const PROBE_INTERVAL_MS = 1

/**
 * Master round trips due every PROBE_INTERVAL_MS until `stop` resolves; latencies in ms, each
 * from when its probe was due. The prober shares the master's event loop: when that loop is
 * blocked, probes are sent late, in a burst, and still count from when they were due.
 */
async function masterLatencies(rt: Runtime, master: Pid, stop: Promise<unknown>): Promise<number[]> {
  const out: number[] = []
  const inFlight: Promise<void>[] = []
  let done = false
  void stop.finally(() => (done = true))
  const start = performance.now()
  let k = 0
  while (!done) {
    const now = performance.now()
    for (let due = start + k * PROBE_INTERVAL_MS; due <= now; due = start + ++k * PROBE_INTERVAL_MS) {
      const dueAt = due
      inFlight.push(rt.request(master, 'OperatorUpdateWeights', { weight_infos: [] }, { timeoutMs: 300_000 }).then(() => void out.push(performance.now() - dueAt)))
    }
    await new Promise(r => setTimeout(r, PROBE_INTERVAL_MS))
  }
  await Promise.all(inFlight)
  return out
}

/**
 * One v1 HTTP framework on /api/v1/scheduler: launches `tasks` tasks that end at once and
 * acknowledges every update; events/s is what arrived on its SUBSCRIBE stream over the time
 * from its first OFFERS to its last expected UPDATE.
 */
async function schedulerThroughput(base: string, tasks: number): Promise<{ eventsPerS: number; events: number } | undefined> {
  let launched = 0
  let terminal = 0
  let events = 0
  let first = 0
  let last = 0
  const pending = new Set<Promise<unknown>>()
  const call = (body: Record<string, unknown>): void => {
    const p = framework!.post(body)
    pending.add(p)
    void p.finally(() => pending.delete(p))
  }
  const framework = await subscribeV1(base, 'http-bench', e => {
    events++
    if (first > 0) last = performance.now()
    if (e.type === 'OFFERS') {
      if (first === 0) first = performance.now()
      for (const offer of e.offers.offers) {
        const n = Math.min(Math.max(0, tasks - launched), 20)
        if (n === 0) {
          call({ type: 'DECLINE', decline: { offer_ids: [offer.id], filters: { refuse_seconds: 3600 } } })
          continue
        }
        call(acceptTasks(offer, 't', launched, n, 0, 0))
        launched += n
      }
    } else if (e.type === 'UPDATE') {
      const s = e.update.status
      if (s.uuid) call({ type: 'ACKNOWLEDGE', acknowledge: { agent_id: s.agent_id, task_id: s.task_id, uuid: s.uuid } })
      if (['TASK_FINISHED', 'TASK_FAILED', 'TASK_LOST', 'TASK_ERROR', 'TASK_DROPPED'].includes(s.state)) terminal++
    }
  })
  if (!framework) return undefined
  await until(() => terminal >= tasks, `${tasks} scheduler API tasks to finish`, 300_000, () => `scheduler API: ${launched} launched, ${terminal} finished, ${events} events`)
  const elapsed = (last - first) / 1000
  await framework.close()
  await Promise.allSettled([...pending])
  return { eventsPerS: elapsed > 0 ? events / elapsed : 0, events }
}

/**
 * The SUBSCRIBE stream's own delivery rate, without acknowledgement round trips: a v1 HTTP
 * framework launches `tasks` long-running tasks, then sends `rounds` implicit RECONCILE calls at
 * once; the master answers each with one UPDATE per task (no uuid: nothing to acknowledge), so
 * rounds x tasks events cross master -> per-subscription proxy actor -> RecordIO -> socket as
 * fast as that path goes. Events/s is over the time from the first RECONCILE to the last UPDATE.
 */
async function schedulerStreamRate(base: string, tasks: number, rounds: number): Promise<{ eventsPerS: number; events: number } | undefined> {
  let launched = 0
  let running = 0
  let reconciled = 0
  let last = 0
  const framework = await subscribeV1(base, 'http-stream-bench', e => {
    if (e.type === 'OFFERS') {
      for (const offer of e.offers.offers) {
        const n = Math.min(Math.max(0, tasks - launched), 20)
        if (n === 0) {
          void framework!.post({ type: 'DECLINE', decline: { offer_ids: [offer.id], filters: { refuse_seconds: 3600 } } })
          continue
        }
        void framework!.post(acceptTasks(offer, 's', launched, n, 24 * 3600 * 1000, 3600))
        launched += n
      }
    } else if (e.type === 'UPDATE') {
      const s = e.update.status
      if (s.uuid) {
        void framework!.post({ type: 'ACKNOWLEDGE', acknowledge: { agent_id: s.agent_id, task_id: s.task_id, uuid: s.uuid } })
        if (s.state === 'TASK_RUNNING') running++
      } else if (s.reason === 'REASON_RECONCILIATION') {
        reconciled++
        last = performance.now()
      }
    }
  })
  if (!framework) return undefined
  const post = framework.post
  // All running, or as many as will be (a launch can fail): no new one for 3 s.
  let seen = 0
  let progressAt = Date.now()
  await until(
    () => {
      if (running !== seen) [seen, progressAt] = [running, Date.now()]
      return running >= tasks || (running > 0 && Date.now() - progressAt > 3000)
    },
    `${tasks} stream bench tasks to run`,
    300_000,
    () => `scheduler stream: ${launched} launched, ${running} running`,
  )
  const expected = rounds * running
  const first = performance.now()
  await Promise.all(Array.from({ length: rounds }, () => post({ type: 'RECONCILE', reconcile: { tasks: [] } })))
  // Counted as they come; a round whose answers stop coming for 3 s is not waited for (reported).
  let heard = 0
  let heardAt = Date.now()
  await until(
    () => {
      if (reconciled !== heard) [heard, heardAt] = [reconciled, Date.now()]
      return reconciled >= expected || (reconciled > 0 && Date.now() - heardAt > 3000)
    },
    `${expected} reconciliation updates`,
    300_000,
    () => `scheduler stream: ${reconciled}/${expected} reconciliation updates`,
  )
  if (reconciled < expected) progress(`scheduler stream: ${reconciled} of ${expected} reconciliation updates arrived; the rate counts those`)
  await post({ type: 'TEARDOWN' })
  await framework.close()
  return { eventsPerS: reconciled / ((last - first) / 1000), events: reconciled }
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

  // Baseline: round-trip latency and event loop delay with the master idle (on a shared machine
  // the process also waits for a CPU: that shows here too).
  const idleLoop = monitorEventLoopDelay({ resolution: 1 })
  idleLoop.enable()
  const idle = await masterLatencies(rt, cluster.masterPid, new Promise(r => setTimeout(r, 500)))
  idleLoop.disable()
  // Garbage collection pauses while /master/state is served (part of the event loop's delay).
  const gcEntries: Array<{ start: number; duration: number }> = []
  const fetchWindows: Array<[number, number]> = []
  const gcObserver = new PerformanceObserver(list => {
    for (const e of list.getEntries()) gcEntries.push({ start: e.startTime, duration: e.duration })
  })
  gcObserver.observe({ entryTypes: ['gc'] })

  const client = new RemoteClient()
  const first = await client.get(`${base}/master/state`, true)
  if (first.agents !== p.agents || first.tasks !== p.tasks) throw new Error(`/master/state shows ${first.agents} agents and ${first.tasks} tasks`)
  progress(`/master/state: ${(first.bytes / 1e6).toFixed(1)} MB, first fetch ${first.ms.toFixed(0)} ms`)

  const stateMs: number[] = []
  const during: number[] = []
  const loopDelay = monitorEventLoopDelay({ resolution: 1 })
  for (let i = 0; i < p.repeats; i++) {
    const fetching = client.get(`${base}/master/state`)
    loopDelay.enable()
    const from = performance.now()
    const lat = masterLatencies(rt, cluster.masterPid, fetching)
    stateMs.push((await fetching).ms)
    fetchWindows.push([from, performance.now()])
    loopDelay.disable()
    during.push(...(await lat))
  }
  // How this bench measured it before: the client shares the master's process.
  const inProcessMs: number[] = []
  for (let i = 0; i < Math.min(3, p.repeats); i++) inProcessMs.push((await timedGet(`${base}/master/state`)).ms)

  // Same-run baselines in the master's process, no socket: the streaming writer drained, and the
  // plain object tree + JSON.stringify.
  const id = masterIdentity(cluster.httpDeps({ version: 'bench' }), core)
  const renderMs: number[] = []
  const referenceMs: number[] = []
  for (let i = 0; i < 3; i++) {
    let t0 = performance.now()
    for await (const chunk of jsonStream(stateDocument(core, id))) void chunk
    renderMs.push(performance.now() - t0)
    t0 = performance.now()
    JSON.stringify(stateReference(core, id))
    referenceMs.push(performance.now() - t0)
  }

  const summaryMs: number[] = []
  let summaryBytes = 0
  for (let i = 0; i < p.repeats; i++) {
    const r = await client.get(`${base}/master/state-summary`)
    summaryMs.push(r.ms)
    summaryBytes = r.bytes
  }
  const metricsMs: number[] = []
  for (let i = 0; i < p.repeats; i++) metricsMs.push((await client.get(`${base}/metrics/snapshot`)).ms)
  client.close()
  gcObserver.disconnect()
  progress('scheduler API throughput')
  const sched = await schedulerThroughput(base, p.schedulerTasks)
  progress('scheduler API stream rate (reconciliation)')
  const stream = await schedulerStreamRate(base, p.schedulerTasks, 10)

  const gcPauses = gcEntries.filter(g => fetchWindows.some(([a, b]) => g.start >= a && g.start <= b)).map(g => g.duration)
  const results = {
    state_ms: round(median(stateMs), 1),
    state_first_ms: round(first.ms, 1),
    state_bytes: first.bytes,
    state_in_process_client_ms: round(median(inProcessMs), 1),
    state_render_ms: round(median(renderMs), 1),
    baseline_state_reference_ms: round(median(referenceMs), 1),
    state_ms_over_reference: round(median(stateMs) / median(referenceMs), 3),
    state_summary_ms: round(median(summaryMs), 1),
    state_summary_bytes: summaryBytes,
    metrics_ms: round(median(metricsMs), 2),
    scheduler_events_per_s: sched ? Math.round(sched.eventsPerS) : null,
    scheduler_events: sched?.events ?? null,
    scheduler_stream_events_per_s: stream ? Math.round(stream.eventsPerS) : null,
    scheduler_stream_events: stream?.events ?? null,
    master_latency_during_state_ms: { p50: round(percentile(during, 50), 2), p99: round(percentile(during, 99), 2), max: round(Math.max(...during), 2), samples: during.length },
    event_loop_delay_during_state_ms: { p50: round(loopDelay.percentile(50) / 1e6, 2), p99: round(loopDelay.percentile(99) / 1e6, 2), max: round(loopDelay.max / 1e6, 2) },
    gc_during_state_ms: { total: round(gcPauses.reduce((a, b) => a + b, 0), 1), max: round(Math.max(0, ...gcPauses), 2), count: gcPauses.length },
    baseline_event_loop_delay_idle_ms: { p99: round(idleLoop.percentile(99) / 1e6, 2), max: round(idleLoop.max / 1e6, 2) },
    baseline_master_latency_idle_ms: { p50: round(percentile(idle, 50), 2), p99: round(percentile(idle, 99), 2), max: round(Math.max(...idle), 2) },
  }
  table([
    ['agents / tasks', `${p.agents} / ${p.tasks}`],
    ['/master/state (median ms)', results.state_ms],
    ['/master/state size (MB)', first.bytes / 1e6],
    ['/master/state, client in the master process (median ms)', results.state_in_process_client_ms],
    ['/master/state writer drained in process, no socket (median ms)', results.state_render_ms],
    ['baseline: object tree + JSON.stringify (median ms)', results.baseline_state_reference_ms],
    ['/master/state-summary (median ms)', results.state_summary_ms],
    ['/metrics/snapshot (median ms)', results.metrics_ms],
    ['master round trip during /master/state p50/p99/max (ms)', `${results.master_latency_during_state_ms.p50} / ${results.master_latency_during_state_ms.p99} / ${results.master_latency_during_state_ms.max}`],
    ['event loop delay during /master/state p50/p99/max (ms)', `${results.event_loop_delay_during_state_ms.p50} / ${results.event_loop_delay_during_state_ms.p99} / ${results.event_loop_delay_during_state_ms.max}`],
    ['GC during /master/state total/max (ms)', `${results.gc_during_state_ms.total} / ${results.gc_during_state_ms.max}`],
    ['event loop delay idle p99/max (ms)', `${results.baseline_event_loop_delay_idle_ms.p99} / ${results.baseline_event_loop_delay_idle_ms.max}`],
    ['master round trip idle p50/p99 (ms)', `${results.baseline_master_latency_idle_ms.p50} / ${results.baseline_master_latency_idle_ms.p99}`],
    ['scheduler API events/s (one SUBSCRIBE stream, acknowledged)', sched ? Math.round(sched.eventsPerS) : 'n/a (no scheduler API in this build)'],
    ['scheduler API stream events/s (reconciliation burst, no acks)', stream ? Math.round(stream.eventsPerS) : 'n/a'],
  ])
  emitJson({ bench: 'http', params: { agents: p.agents, tasks: p.tasks, repeats: p.repeats, scheduler_tasks: p.schedulerTasks, quick }, results })
  // Teardown writes only to stderr, so the JSON stays the last stdout line; at full scale closing
  // the HTTP server once hung on a connection, so it gets a deadline.
  const teardown = (async () => {
    await server.close()
    await rt.close()
    await cluster.stop(5_000).catch(() => undefined)
  })()
  const hung = await Promise.race([teardown.then(() => false), new Promise<boolean>(r => setTimeout(() => r(true), 20_000).unref())])
  if (hung) progress('teardown did not finish within 20 s; exiting anyway')
  rmSync(workDir, { recursive: true, force: true })
  process.exit(0)
}
