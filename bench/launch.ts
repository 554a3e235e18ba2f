// `npm run bench -- launch [--quick]`: master + N emulated agents + frameworks launching M short
// tasks (offer -> accept -> RUNNING -> FINISHED -> acknowledged), on the local transport (one
// process) and over NATS (master, agents and frameworks in three processes).
import { spawn, type ChildProcess } from 'node:child_process'
import { createWriteStream, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { LocalBus, LocalTransport, NatsTransport, Runtime, type Transport } from '../runtime/index.js'
import { ProtocolMessages } from '../actors/protocol/index.js'
import { masterMachine, type MasterCore } from '../actors/master/index.js'
import { agentMachine } from '../actors/agent/index.js'
import { executorSpawner } from '../actors/executor/index.js'
import { parseResources, toJson } from '../actors/resources/index.js'
import { startScheduler, type SchedulerDriver } from '../actors/scheduler/index.js'
import { freePort, startNatsServer } from '../cluster/nats-server.js'
import { MASTER_PID } from '../cluster/node-names.js'
import { LaunchFramework } from './support/launch-framework.js'
import { emitJson, progress, round, table } from './support/report.js'

const AGENT_RESOURCES = 'cpus:8;mem:16384;disk:100000;ports:[31000-32000]'
const FRAMEWORKS = 4
const BIN = fileURLToPath(new URL('../cluster/bin/mesos-ts.js', import.meta.url))
const AGENTS_SCRIPT = fileURLToPath(new URL('./support/launch-agents.ts', import.meta.url))

interface Params {
  agents: number
  tasks: number
  frameworks: number
}

/** Runs M tasks through F frameworks on a master reachable from `rt`; resolves with seconds taken. */
async function launchAll(rt: Runtime, params: Params, durationMs: number, label: string, until: 'finished' | 'running'): Promise<{ seconds: number; drivers: SchedulerDriver[] }> {
  const per = Math.ceil(params.tasks / params.frameworks)
  const frameworks = Array.from({ length: params.frameworks }, (_, i) => new LaunchFramework(`${label}-${i}`, i === params.frameworks - 1 ? params.tasks - per * (params.frameworks - 1) : per, durationMs))
  const start = performance.now()
  const drivers = frameworks.map((f, i) => startScheduler({ runtime: rt, masterPid: MASTER_PID, framework: f.framework, callbacks: f.callbacks, id: `${label}-${i}` }))
  const report = setInterval(() => {
    const launched = frameworks.reduce((s, f) => s + f.launched, 0)
    const done = frameworks.reduce((s, f) => s + (until === 'finished' ? f.finished : f.running), 0)
    progress(`${label}: launched ${launched}, ${until} ${done} of ${params.tasks}`)
  }, 2000)
  try {
    await Promise.all(frameworks.map(f => (until === 'finished' ? f.done() : f.allRunning())))
  } finally {
    clearInterval(report)
  }
  const failed = frameworks.reduce((s, f) => s + f.failed, 0)
  if (failed > 0) throw new Error(`${failed} tasks ended in another state than TASK_FINISHED`)
  return { seconds: (performance.now() - start) / 1000, drivers }
}

async function waitFor(cond: () => boolean, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let next = Date.now() + 2000
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    if (Date.now() > next) {
      progress(`waiting for ${what}`)
      next = Date.now() + 2000
    }
    await new Promise(r => setTimeout(r, 20))
  }
}

/** Everything in one process on the in-process bus. */
async function runLocal(params: Params): Promise<{ tasksPerSecond: number; msgsPerTask: number }> {
  const bus = new LocalBus()
  const make = (node: string, transport: Transport = new LocalTransport(bus)): Runtime => {
    const rt = new Runtime({ transport, node, linkTimeoutMs: 60_000 })
    rt.registerMessages(ProtocolMessages)
    return rt
  }
  const masterRt = make('master')
  const agentsRt = make('bench-agents')
  const fwRt = make('bench-fw')
  let core: MasterCore | undefined
  masterRt.spawn(masterMachine, { name: 'master', input: { onCore: (c: MasterCore) => (core = c) } })
  const resources = toJson(parseResources(AGENT_RESOURCES))
  const spawnExecutor = executorSpawner(agentsRt)
  for (let i = 0; i < params.agents; i++) {
    agentsRt.spawn(agentMachine, { name: `agent-${i}`, input: { masterPid: MASTER_PID, info: { hostname: `host${i}`, port: 5051, resources }, workDir: '/nonexistent', executor: 'emulated', spawnExecutor } })
  }
  await waitFor(() => core!.agents.size === params.agents, `${params.agents} agents to register (local)`, 120_000)
  const before = masterRt.metrics.snapshot()
  const { seconds, drivers } = await launchAll(fwRt, params, 0, 'local', 'finished')
  const after = masterRt.metrics.snapshot()
  const msgs = after['runtime/messages_received']! + after['runtime/messages_sent']! - (before['runtime/messages_received']! + before['runtime/messages_sent']!)
  for (const d of drivers) await d.stop()
  await fwRt.close()
  await agentsRt.close()
  await masterRt.close()
  return { tasksPerSecond: params.tasks / seconds, msgsPerTask: msgs / params.tasks }
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Number(m[1]) / 1024 : NaN
}

interface Child {
  proc: ChildProcess
  ready: Promise<void>
  /** Rejects if the process exits before stopChild() asks it to: the run is then void. */
  died: Promise<never>
}

const stopping = new WeakSet<ChildProcess>()

function child(args: string[], name: string): Child {
  // BENCH_CHILD_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"): node flags for the master and
  // agents processes, for profiling them (NODE_OPTIONS refuses --cpu-prof).
  const extra = (process.env.BENCH_CHILD_NODE_ARGS ?? '').split(/\s+/).filter(Boolean)
  const proc = spawn(process.execPath, ['--max-semi-space-size=64', ...extra, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  // Its whole log, for the post-mortem of a run that went wrong.
  const logFile = join(tmpdir(), `mesos-ts-bench-launch-${name}-${proc.pid}.log`)
  const log = createWriteStream(logFile)
  let err = ''
  proc.stderr!.on('data', d => {
    log.write(d)
    err = (err + d).slice(-4000)
    const line = String(d).trim().split('\n').at(-1)
    if (line && name === 'agents') progress(`${name}: ${line}`)
  })
  proc.once('exit', () => log.end())
  const ready = new Promise<void>((resolve, reject) => {
    let out = ''
    proc.stdout!.on('data', d => {
      out += d
      if (/ready|is up/.test(out)) resolve()
    })
    proc.stderr!.on('data', () => /is up/.test(err) && resolve())
    proc.on('exit', code => reject(new Error(`${name} exited with ${code}: ${err}`)))
  })
  const died = new Promise<never>((_resolve, reject) => {
    proc.on('exit', (code, signal) => {
      if (!stopping.has(proc)) reject(new Error(`${name} (pid ${proc.pid}) died mid-run (${signal ?? `exit ${code}`}); its log: ${logFile}\n${err.slice(-1500)}`))
    })
  })
  died.catch(() => {})
  return { proc, ready, died }
}

/** SIGTERM (so a profiled child writes its profile), SIGKILL if it has not gone within 10 s. */
function stopChild(proc: ChildProcess): Promise<void> {
  stopping.add(proc)
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve()
  return new Promise(resolve => {
    const kill = setTimeout(() => proc.kill('SIGKILL'), 10_000)
    proc.once('exit', () => {
      clearTimeout(kill)
      resolve()
    })
    proc.kill('SIGTERM')
  })
}

/** Master, agents and frameworks in three processes over a real nats-server. */
async function runNats(params: Params): Promise<{ tasksPerSecond: number; masterRssMb: number }> {
  const server = await startNatsServer({ jetstream: false })
  const procs: ChildProcess[] = []
  try {
    const master = child([BIN, 'master', `--nats=${server.url}`, `--port=${await freePort()}`, '--registry=in_memory'], 'master')
    procs.push(master.proc)
    await master.ready
    const agents = child(['--import', 'tsx', AGENTS_SCRIPT, server.url, String(params.agents), AGENT_RESOURCES], 'agents')
    procs.push(agents.proc)
    await agents.ready
    const fwRt = new Runtime({ transport: await NatsTransport.connect({ servers: server.url, name: 'bench-frameworks' }), node: 'bench-fw', linkTimeoutMs: 60_000 })
    fwRt.registerMessages(ProtocolMessages)
    const died = Promise.race([master.died, agents.died])
    const short = await Promise.race([launchAll(fwRt, params, 0, 'nats', 'finished'), died])
    for (const d of short.drivers) await d.stop()
    // The master's memory with every task of the run known to it at once: long tasks, all running.
    const long = await Promise.race([launchAll(fwRt, params, 3_600_000, 'nats-rss', 'running'), died])
    const masterRssMb = rssMb(master.proc.pid!)
    for (const d of long.drivers) await d.stop()
    await fwRt.close()
    return { tasksPerSecond: params.tasks / short.seconds, masterRssMb }
  } finally {
    await Promise.all(procs.map(stopChild))
    // A client the server cut off lost messages: the figures of such a run are not comparable.
    const slow = server.logs().filter(l => /slow consumer/i.test(l))
    if (slow.length > 0) progress(`nats-server disconnected slow consumers ${slow.length} times, e.g. ${slow[0]}`)
    await server.stop()
  }
}

export async function run(args: string[]): Promise<void> {
  const quick = args.includes('--quick')
  const params: Params = quick ? { agents: 1000, tasks: 10_000, frameworks: FRAMEWORKS } : { agents: 10_000, tasks: 100_000, frameworks: FRAMEWORKS }
  progress(`launch bench (${quick ? 'quick' : 'full'}): ${params.agents} agents, ${params.tasks} tasks, ${params.frameworks} frameworks`)
  // --local-only / --nats-only: one half, for profiling; the JSON line needs both.
  if (args.includes('--nats-only')) {
    const nats = await runNats(params)
    progress(`nats: ${Math.round(nats.tasksPerSecond)} tasks/s, master RSS ${nats.masterRssMb.toFixed(0)} MB`)
    return
  }
  const local = await runLocal(params)
  progress(`local: ${Math.round(local.tasksPerSecond)} tasks/s, ${local.msgsPerTask.toFixed(1)} master messages per task`)
  if (args.includes('--local-only')) return
  const nats = await runNats(params)
  progress(`nats: ${Math.round(nats.tasksPerSecond)} tasks/s, master RSS ${nats.masterRssMb.toFixed(0)} MB`)
  const results = {
    tasks_per_s_local: Math.round(local.tasksPerSecond),
    tasks_per_s_nats: Math.round(nats.tasksPerSecond),
    msgs_per_task: round(local.msgsPerTask, 2),
    master_rss_mb: Math.round(nats.masterRssMb),
  }
  table([
    ['tasks/s, local transport (1 process)', results.tasks_per_s_local],
    ['tasks/s, NATS (3 processes)', results.tasks_per_s_nats],
    ['  target at 10,000 agents', '>= 5000 (Nomad C1M: 3,750)'],
    ['master messages per task', results.msgs_per_task],
    ['master RSS MB, all tasks running', results.master_rss_mb],
    ['  target', '<= 500 with 100,000 tasks'],
  ])
  emitJson({ bench: 'launch', params: { ...params, agent_resources: AGENT_RESOURCES, task_resources: 'cpus:0.1;mem:32', executor: 'emulated' }, results })
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await run(process.argv.slice(2))
