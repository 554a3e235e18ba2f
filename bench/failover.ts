// `npm run bench -- failover [--quick]`: two masters contending on the JetStream lease, N
// emulated agents with M running tasks; SIGKILL the leader and time the way back: the standby
// elected, its registry recovered from JetStream KV (fence + load of N agents and the
// frameworks), agents told, every agent re-registered, offers flowing again; count lost tasks.
import { spawn, type ChildProcess } from 'node:child_process'
import { appendFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { NatsTransport, Runtime } from '../runtime/index.js'
import { ProtocolMessages } from '../actors/protocol/index.js'
import { startScheduler, type SchedulerDriver } from '../actors/scheduler/index.js'
import { freePort, startNatsServer } from '../cluster/nats-server.js'
import { detectMaster } from '../cluster/lease-detector.js'
import { LaunchFramework } from './support/launch-framework.js'
import { emitJson, progress, table } from './support/report.js'

const BIN = fileURLToPath(new URL('../cluster/bin/mesos-ts.js', import.meta.url))
const AGENTS_SCRIPT = fileURLToPath(new URL('./support/launch-agents.ts', import.meta.url))
const AGENT_RESOURCES = 'cpus:8;mem:16384;disk:100000;ports:[31000-32000]'
/** The masters' --master_lease; `--lease=<duration>` overrides it (the README explains the trade-off). */
const DEFAULT_LEASE = '3secs'

interface Watched {
  proc: ChildProcess
  lines: string[]
  /** The first line matching, among those seen so far unless `fresh` (then only lines still to come). */
  waitFor(pattern: RegExp, timeoutMs: number, fresh?: boolean): Promise<string>
}

function watch(args: string[], name: string): Watched {
  // BENCH_CHILD_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"): node flags for the masters and
  // the agents process; the teardown stops them with SIGTERM first, so their profiles get written.
  const extra = (process.env.BENCH_CHILD_NODE_ARGS ?? '').split(/\s+/).filter(Boolean)
  const proc = spawn(process.execPath, ['--max-semi-space-size=64', ...extra, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  const lines: string[] = []
  const waiters: Array<{ pattern: RegExp; resolve(line: string): void }> = []
  const onData = (d: Buffer): void => {
    for (const line of String(d).split('\n')) {
      if (!line) continue
      // BENCH_LOG_DIR=<dir> keeps every line of each process (to see why a leader changed).
      if (process.env.BENCH_LOG_DIR) appendFileSync(join(process.env.BENCH_LOG_DIR, `${name}.log`), `${line}\n`)
      lines.push(line)
      if (lines.length > 5000) lines.splice(0, 1000)
      for (const w of [...waiters]) if (w.pattern.test(line)) (waiters.splice(waiters.indexOf(w), 1), w.resolve(line))
      if (name === 'agents' && line.startsWith('agents registered')) progress(`agents: ${line}`)
    }
  }
  proc.stdout!.on('data', onData)
  proc.stderr!.on('data', onData)
  return {
    proc,
    lines,
    waitFor(pattern, timeoutMs, fresh = false) {
      const seen = fresh ? undefined : lines.find(l => pattern.test(l))
      if (seen) return Promise.resolve(seen)
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${name}: timed out waiting for ${pattern}\n${lines.slice(-20).join('\n')}`)), timeoutMs)
        waiters.push({ pattern, resolve: line => (clearTimeout(timer), resolve(line)) })
        proc.on('exit', code => reject(new Error(`${name} exited with ${code}\n${lines.slice(-20).join('\n')}`)))
      })
    },
  }
}

/** SIGTERM, then SIGKILL if it is still there after 5 s. */
async function stopGently(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return
  const exited = new Promise<void>(r => proc.once('exit', () => r()))
  proc.kill('SIGTERM')
  const timer = setTimeout(() => proc.kill('SIGKILL'), 5000)
  await exited
  clearTimeout(timer)
}

/** The `time` of a pino JSON log line (ms since the epoch). */
function logTime(line: string): number {
  try {
    return (JSON.parse(line) as { time: number }).time
  } catch {
    return Date.now()
  }
}

export async function run(args: string[]): Promise<void> {
  const quick = args.includes('--quick')
  const params = quick ? { agents: 1000, tasks: 10_000 } : { agents: 10_000, tasks: 100_000 }
  const LEASE = args.find(a => a.startsWith('--lease='))?.slice('--lease='.length) ?? DEFAULT_LEASE
  progress(`failover bench (${quick ? 'quick' : 'full'}): ${params.agents} agents, ${params.tasks} running tasks, lease ${LEASE}`)
  const server = await startNatsServer()
  const procs: ChildProcess[] = []
  try {
    const httpPorts = [await freePort(), await freePort()]
    const masters = [1, 2].map(i => watch([BIN, 'master', `--nats=${server.url}`, '--registry=jetstream', `--master_lease=${LEASE}`, `--hostname=bm${i}`, `--port=${httpPorts[i - 1]}`], `master${i}`))
    procs.push(...masters.map(m => m.proc))
    await Promise.race(masters.map(m => m.waitFor(/elected leading master/, 30_000)))
    const agents = watch(['--import', 'tsx', AGENTS_SCRIPT, server.url, String(params.agents), AGENT_RESOURCES], 'agents')
    procs.push(agents.proc)
    await agents.waitFor(/^ready$/, 600_000)

    const rt = new Runtime({ transport: await NatsTransport.connect({ servers: server.url }), node: 'bench-fw', linkTimeoutMs: 3000, linkPingIntervalMs: 500 })
    rt.registerMessages(ProtocolMessages)
    const detection = await detectMaster({ servers: [server.url], prefix: 'mesos', clock: rt.clock, pollMs: 100 })
    const workers = [0, 1, 2, 3].map(i => new LaunchFramework(`fo-${i}`, params.tasks / 4, 3_600_000))
    const drivers: SchedulerDriver[] = workers.map((f, i) => startScheduler({ runtime: rt, detector: detection.detector, framework: f.framework, callbacks: f.callbacks, id: `fo-${i}` }))
    const started = Date.now()
    const report = setInterval(() => progress(`running ${workers.reduce((s, f) => s + f.running, 0)} of ${params.tasks}`), 3000)
    await Promise.all(workers.map(f => f.allRunning()))
    clearInterval(report)
    progress(`${params.tasks} tasks running after ${((Date.now() - started) / 1000).toFixed(1)} s`)

    // A probe framework that takes no tasks: its first offer from the new leader marks "offers flowing".
    let killedAt = Infinity
    let firstOfferAfter = 0
    let flowing!: () => void
    const offersFlowing = new Promise<void>(r => (flowing = r))
    const probe = startScheduler({
      runtime: rt,
      detector: detection.detector,
      framework: { user: 'bench', name: 'probe' },
      callbacks: {
        offers: (driver, offers) => {
          // A long filter: a short one had the leader offer 10,000 agents again every allocation
          // cycle, and the probe's declines competed with the reregistrations being measured.
          driver.decline(offers, { refuse_seconds: 3600 })
          if (Date.now() > killedAt && !firstOfferAfter) {
            firstOfferAfter = Date.now()
            flowing()
            // Seen what it came for: as a framework with nothing to run, it asks for no more
            // (otherwise the new leader offers it, and it declines, each agent as it comes back).
            driver.suppress()
          }
        },
      },
    })
    await new Promise(r => setTimeout(r, 2000))
    const failedBefore = workers.reduce((s, f) => s + f.failed, 0)

    // Whoever leads now: on a loaded machine the lease may have changed hands during setup.
    const leaderPid = detection.detector.current() ?? ''
    const leaderIndex = [1, 2].findIndex(i => leaderPid.startsWith(`master@bm${i}-`))
    if (leaderIndex < 0) throw new Error(`no leading master known (the lease names '${leaderPid}')`)
    const standby = masters[1 - leaderIndex]!
    const changesBefore = masters.reduce((n, m) => n + m.lines.filter(l => l.includes('no longer the leading master')).length, 0)
    progress(`killing the leading master ${leaderPid}`)
    // Only what happens from here on counts (a change of leader during setup printed lines too).
    const electedAfter = standby.waitFor(/elected leading master/, 60_000, true)
    const recoveredAfter = standby.waitFor(/recovered the registry in/, 120_000, true)
    const detectedAfter = agents.waitFor(/^event detected /, 60_000, true)
    const reregisteredAfter = agents.waitFor(/^event reregistered /, 600_000, true)
    for (const p of [electedAfter, recoveredAfter, detectedAfter, reregisteredAfter]) p.catch(() => {})
    killedAt = Date.now()
    masters[leaderIndex]!.proc.kill('SIGKILL')
    const electedLine = await electedAfter
    const recoveredLine = await recoveredAfter
    const detectedLine = await detectedAfter
    const reregisteredLine = await reregisteredAfter
    await offersFlowing
    await new Promise(r => setTimeout(r, 3000))
    const tasksLost = workers.reduce((s, f) => s + f.failed, 0) - failedBefore

    const elected = logTime(electedLine)
    const recovered = JSON.parse(recoveredLine) as { ms: number; agents: number; frameworks: number }
    const detected = Number(detectedLine.split(' ')[2])
    const reregistered = Number(reregisteredLine.split(' ')[2])
    const reregisterMessages = Number(reregisteredLine.split(' ')[4])
    const results = {
      // Done when every agent is back with the new leader and offers flow again: the later of the two.
      failover_ms: Math.max(firstOfferAfter, reregistered) - killedAt,
      detect_ms: elected - killedAt,
      elect_ms: detected - elected,
      recover_ms: recovered.ms,
      recovered_agents: recovered.agents,
      recovered_frameworks: recovered.frameworks,
      reregister_ms: reregistered - detected,
      tasks_lost: tasksLost,
      reregister_messages: reregisterMessages,
      leader_changes_before_kill: changesBefore,
    }
    table([
      ['leader killed -> standby elected (lease expiry + poll)', results.detect_ms],
      ['elected -> agents told (detector poll)', results.elect_ms],
      [`registry recovery (fence + load ${recovered.agents} agents, ${recovered.frameworks} frameworks)`, results.recover_ms],
      ['agents told -> all re-registered', results.reregister_ms],
      ['  ReregisterAgent messages sent (retries included)', results.reregister_messages],
      ['leader killed -> all agents back and offers flowing', results.failover_ms],
      ['  target', '< 5000 ms at 10,000 agents'],
      ['tasks lost', results.tasks_lost],
    ])
    for (const d of [...drivers, probe]) await d.stop({ failover: true })
    await detection.close()
    await rt.close()
    emitJson({ bench: 'failover', params: { ...params, lease: LEASE, masters: 2, executor: 'emulated' }, results })
  } finally {
    await Promise.all(procs.map(p => stopGently(p)))
    await server.stop()
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await run(process.argv.slice(2))
