// Starts and stops real nats-server processes: for integration tests, benchmarks and the
// `mesos-ts nats` command. Real processes mean real time: the waits below are deadlines on
// external processes (readiness, exit, cluster formation), not protocol timers, so they use the
// host's timers rather than the runtime clock.

import { spawn, type ChildProcess } from 'node:child_process'
import { accessSync, constants as fsConstants, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createServer, connect as netConnect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { ClosedError, TransportError, type Logger } from '../runtime/index.js'

export const NATS_SERVER_INSTALL_HINT =
  'install it with `apt-get install -y nats-server` (Debian/Ubuntu) or from https://github.com/nats-io/nats-server/releases, or set NATS_SERVER_BIN to its path'

/** Where a nats-server binary is looked for after $PATH (Debian installs it in /usr/sbin). */
const EXTRA_DIRS = ['/usr/sbin', '/usr/bin', '/usr/local/bin']

const LOG_LINES_KEPT = 200
const DEFAULT_MAX_PENDING_BYTES = 512 * 1024 * 1024
const DEFAULT_WRITE_DEADLINE = '60s'
const LOG_LINES_IN_ERRORS = 20
const MAX_PORT_ATTEMPTS = 4

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false
    accessSync(path, fsConstants.X_OK)
    return true
  } catch {
    return false
  }
}

/** The path of the nats-server binary: `NATS_SERVER_BIN`, else $PATH, else the usual sbin/bin dirs. */
export function findNatsServer(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env.NATS_SERVER_BIN
  if (explicit !== undefined && explicit !== '') {
    if (isExecutableFile(explicit)) return explicit
    throw new TransportError(`nats-server not found: NATS_SERVER_BIN=${explicit} is not an executable file; ${NATS_SERVER_INSTALL_HINT}`)
  }
  const dirs = [...(env.PATH ?? '').split(delimiter).filter((d) => d !== ''), ...EXTRA_DIRS]
  for (const dir of dirs) {
    const candidate = join(dir, 'nats-server')
    if (isExecutableFile(candidate)) return candidate
  }
  throw new TransportError(`nats-server not found on PATH or in ${EXTRA_DIRS.join(', ')}; ${NATS_SERVER_INSTALL_HINT}`)
}

/** Like findNatsServer, but undefined instead of an error: for tests that skip without it. */
export function natsServerPath(env: NodeJS.ProcessEnv = process.env): string | undefined {
  try {
    return findNatsServer(env)
  } catch {
    return undefined
  }
}

/**
 * A port that was free a moment ago: bind port 0, read it, release it. Another process can take
 * it before nats-server binds it, so callers that pick ports this way retry on "address in use".
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.unref()
    probe.once('error', reject)
    probe.listen(0, host, () => {
      const address = probe.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      probe.close((err) => (err ? reject(err) : resolve(port)))
    })
  })
}

/** True when nothing listens on host:port (a bind succeeds). */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer()
    probe.unref()
    probe.once('error', () => resolve(false))
    probe.listen(port, host, () => probe.close(() => resolve(true)))
  })
}

export interface NatsClusterSettings {
  /** `--cluster_name`; JetStream clustering needs every server to share it. */
  name: string
  /** Route listen port; a free one when omitted. */
  port?: number
  /** Route URLs to solicit (`nats://127.0.0.1:6222`), normally every other member. */
  routes?: string[]
}

export interface NatsServerOptions {
  /** Client port; a free one when omitted (retried if another process takes it first). */
  port?: number
  /** `-a`: the address to listen on. Default 127.0.0.1: a test server is not for the network. */
  host?: string
  /** `-m`: HTTP monitoring port; `true` picks a free one. Off by default. */
  monitorPort?: number | true
  /** `-js`, on by default: the leader lease and registry live in JetStream KV. */
  jetstream?: boolean
  /** `-sd`: JetStream store. Default: a fresh temp dir, removed by stop(). A given dir is kept. */
  storeDir?: string
  /** `--server_name`; JetStream clustering needs unique names. Default `nats-<port>`. */
  serverName?: string
  /** `--user`/`--pass`: clients must authenticate. */
  user?: string
  password?: string
  /** `--auth`: token authentication. */
  token?: string
  /** `-c`: a nats-server config file (accounts, permissions, ...); command-line options win over it. */
  configFile?: string
  /**
   * How far the server lets a client fall behind before it disconnects it as a slow consumer:
   * bytes buffered for it (`max_pending`, nats-server's default 64 MB) and how long one write to it
   * may block (`write_deadline`, default 10s). A master digesting a burst of 100,000 status
   * updates stops reading its socket for seconds; being cut off then loses messages and forces
   * every agent to re-register, so the servers we start tolerate more: 512 MB and 60s. Written
   * to a config file in the store dir; not applied when `configFile` is given (set them there).
   */
  maxPendingBytes?: number
  writeDeadline?: string
  cluster?: NatsClusterSettings
  /** `-D`: debug logging (kept in logs()). */
  debug?: boolean
  /** Further nats-server arguments, appended last. */
  extraArgs?: string[]
  /** How long to wait for "Server is ready" before giving up. Default 15 s. */
  readyTimeoutMs?: number
  /** How long stop() waits after SIGTERM before SIGKILL. Default 5 s. */
  stopGraceMs?: number
  /** The binary; default findNatsServer(env). */
  bin?: string
  /** Environment used to find the binary (NATS_SERVER_BIN, PATH). Default process.env. */
  env?: NodeJS.ProcessEnv
  logger?: Logger
}

export interface NatsServer {
  /** `nats://host:port` (without credentials). */
  readonly url: string
  readonly host: string
  readonly port: number
  /** The current process id; changes on restart(). */
  readonly pid: number
  readonly storeDir: string
  readonly serverName: string
  readonly monitorPort: number | undefined
  /** `http://host:monitorPort`, when monitoring is on. */
  readonly monitorUrl: string | undefined
  readonly clusterPort: number | undefined
  /** `nats://host:clusterPort`: what other members put in their routes. */
  readonly clusterUrl: string | undefined
  readonly user: string | undefined
  readonly password: string | undefined
  /** True while the process runs. */
  readonly running: boolean
  /** The last lines the server logged (stderr), oldest first. */
  logs(): string[]
  /** SIGTERM, wait for exit (SIGKILL after the grace period), remove the temp store dir. Final. */
  stop(): Promise<void>
  /** SIGKILL (a crash, for fault tests) and wait for exit. The store dir stays for restart(). */
  kill(): Promise<void>
  /** Start again on the same ports and store dir (stopping it first if it runs). */
  restart(): Promise<void>
  /** Resolves once a subscription matching `subject` is known to this server (its own or a route's). */
  waitForInterest(subject: string, timeoutMs?: number): Promise<void>
}

interface ResolvedPorts {
  client: number
  monitor: number | undefined
  cluster: number | undefined
}

/** Servers still running or holding a temp dir: reaped if this process exits. */
const live = new Set<NatsServerProcess>()
let reaperInstalled = false

function installReaper(): void {
  if (reaperInstalled) return
  reaperInstalled = true
  process.on('exit', () => {
    for (const server of live) server.reapSync()
    live.clear()
  })
}

/**
 * A process 'exit' handler does not run when this process is killed by a signal (or SIGKILLed by
 * a test runner's timeout), and a signal handler of ours would change how the host process
 * reacts to that signal. So each server also gets a tiny shell watchdog that reads a pipe from
 * us: when we die, however we die, the pipe closes and the watchdog kills the server and removes
 * its temp dir. It ignores the terminal's signals so a Ctrl-C to the group cannot skip the cleanup.
 */
const WATCHDOG_SCRIPT = [
  "trap '' INT TERM HUP",
  'read _ignored',
  'kill -KILL "$1" 2>/dev/null',
  // Wait (at most 5 s) until it is dead, or a zombie no one reaps, before removing its store.
  'i=0',
  'while kill -0 "$1" 2>/dev/null && [ "$(cut -d " " -f 3 /proc/$1/stat 2>/dev/null)" != Z ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done',
  'if [ -n "$2" ]; then rm -rf -- "$2"; fi',
].join('\n')

function startWatchdog(serverPid: number, dirToRemove: string | undefined): ChildProcess {
  const watchdog = spawn('/bin/sh', ['-c', WATCHDOG_SCRIPT, 'mesos-ts-nats-watchdog', String(serverPid), dirToRemove ?? ''], {
    stdio: ['pipe', 'ignore', 'ignore'],
  })
  watchdog.on('error', () => {
    // No /bin/sh: the 'exit' handler still covers normal exits.
  })
  // The watchdog must never keep this process alive.
  watchdog.unref()
  ;(watchdog.stdin as unknown as Socket | null)?.unref()
  return watchdog
}

/** Errors from a launch that failed because a port was taken: worth retrying on other ports. */
const portConflicts = new WeakSet<Error>()

function tail(lines: readonly string[]): string {
  const last = lines.slice(-LOG_LINES_IN_ERRORS)
  return last.length === 0 ? '(no output)' : last.join('\n')
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `was killed by ${signal}` : `exited with code ${code}`
}

class NatsServerProcess implements NatsServer {
  readonly host: string
  readonly storeDir: string
  readonly user: string | undefined
  readonly password: string | undefined
  private ports: ResolvedPorts = { client: 0, monitor: undefined, cluster: undefined }
  private name = ''
  private readonly ownsStoreDir: boolean
  private child: ChildProcess | undefined
  private exited: Promise<void> = Promise.resolve()
  private readonly lines: string[] = []
  private stopped = false

  constructor(
    private readonly bin: string,
    private readonly options: NatsServerOptions,
  ) {
    this.host = options.host ?? '127.0.0.1'
    this.user = options.user
    this.password = options.password
    this.ownsStoreDir = options.storeDir === undefined
    this.storeDir = options.storeDir ?? mkdtempSync(join(tmpdir(), 'mesos-ts-nats-'))
  }

  get port(): number {
    return this.ports.client
  }
  get monitorPort(): number | undefined {
    return this.ports.monitor
  }
  get clusterPort(): number | undefined {
    return this.ports.cluster
  }
  get serverName(): string {
    return this.name
  }
  get url(): string {
    return `nats://${this.urlHost}:${this.ports.client}`
  }
  get monitorUrl(): string | undefined {
    return this.ports.monitor === undefined ? undefined : `http://${this.urlHost}:${this.ports.monitor}`
  }
  get clusterUrl(): string | undefined {
    return this.ports.cluster === undefined ? undefined : `nats://${this.urlHost}:${this.ports.cluster}`
  }
  get pid(): number {
    return this.child?.pid ?? -1
  }
  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null
  }
  logs(): string[] {
    return [...this.lines]
  }

  /** Where a client reaches a server bound to every interface. */
  private get urlHost(): string {
    if (this.host === '0.0.0.0' || this.host === '::') return '127.0.0.1'
    return this.host.includes(':') ? `[${this.host}]` : this.host
  }

  /** First start: pick the ports that were not given, retrying if one is taken meanwhile. */
  async start(retryPortConflicts: boolean): Promise<void> {
    live.add(this)
    installReaper()
    const o = this.options
    const autoPicked = o.port === undefined || o.monitorPort === true || (o.cluster !== undefined && o.cluster.port === undefined)
    const attempts = retryPortConflicts && autoPicked ? MAX_PORT_ATTEMPTS : 1
    for (let attempt = 1; ; attempt++) {
      this.ports = {
        client: o.port ?? (await freePort(this.host)),
        monitor: o.monitorPort === true ? await freePort(this.host) : o.monitorPort,
        cluster: o.cluster ? (o.cluster.port ?? (await freePort(this.host))) : undefined,
      }
      this.name = o.serverName ?? `nats-${this.ports.client}`
      try {
        await this.launch()
        return
      } catch (err) {
        if (err instanceof Error && portConflicts.has(err) && attempt < attempts) {
          o.logger?.debug({ port: this.ports.client, attempt }, 'nats-server port taken, retrying on other ports')
          continue
        }
        this.stopped = true
        this.removeStoreDir()
        live.delete(this)
        throw err
      }
    }
  }

  private args(): string[] {
    const o = this.options
    const args = ['-a', this.host, '-p', String(this.ports.client), '--server_name', this.name]
    args.unshift('-c', o.configFile ?? this.writeLimitsConfig())
    if (o.jetstream ?? true) args.push('-js', '-sd', this.storeDir)
    if (this.ports.monitor !== undefined) args.push('-m', String(this.ports.monitor))
    if (o.user !== undefined) args.push('--user', o.user)
    if (o.password !== undefined) args.push('--pass', o.password)
    if (o.token !== undefined) args.push('--auth', o.token)
    if (o.cluster) {
      args.push('--cluster_name', o.cluster.name, '--cluster', `nats://${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.ports.cluster}`)
      if (o.cluster.routes && o.cluster.routes.length > 0) args.push('--routes', o.cluster.routes.join(','))
    }
    if (o.debug) args.push('-D')
    if (o.extraArgs) args.push(...o.extraArgs)
    return args
  }

  /** The slow-consumer limits as a config file (nats-server has no command-line flags for them). */
  private writeLimitsConfig(): string {
    const o = this.options
    mkdirSync(this.storeDir, { recursive: true })
    const file = join(this.storeDir, 'mesos-ts-limits.conf')
    const deadline = o.writeDeadline ?? DEFAULT_WRITE_DEADLINE
    if (!/^\d+(ms|s|m)$/.test(deadline)) throw new Error(`writeDeadline '${deadline}' is not a duration like 60s`)
    writeFileSync(file, `max_pending: ${o.maxPendingBytes ?? DEFAULT_MAX_PENDING_BYTES}\nwrite_deadline: "${deadline}"\n`)
    return file
  }

  /** Spawn on the resolved ports and wait for "Server is ready" (or exit, or the deadline). */
  private launch(): Promise<void> {
    const timeoutMs = this.options.readyTimeoutMs ?? 15_000
    this.lines.length = 0
    const child = spawn(this.bin, this.args(), { stdio: ['ignore', 'ignore', 'pipe'] })
    this.child = child
    const watchdog = child.pid === undefined ? undefined : startWatchdog(child.pid, this.ownsStoreDir ? this.storeDir : undefined)
    this.exited = new Promise((resolve) => {
      const done = () => {
        // The server is gone: its pid may be reused, so the watchdog must not outlive it.
        watchdog?.kill('SIGKILL')
        resolve()
      }
      child.once('exit', done)
      child.once('error', done)
    })
    let portInUse = false
    let partial = ''
    const keep = (line: string) => {
      this.lines.push(line)
      if (this.lines.length > LOG_LINES_KEPT) this.lines.shift()
    }

    return new Promise<void>((resolve, reject) => {
      let settled = false
      let probe: NodeJS.Timeout | undefined
      const settle = (err?: Error) => {
        if (settled) return
        settled = true
        clearTimeout(deadline)
        clearTimeout(probe)
        if (err) reject(err)
        else resolve()
      }
      const failure = (message: string, conflict: boolean) => {
        const err = new TransportError(message)
        if (conflict) portConflicts.add(err)
        return err
      }

      child.stderr?.setEncoding('utf8')
      child.stderr?.on('data', (chunk: string) => {
        const parts = (partial + chunk).split('\n')
        partial = parts.pop() ?? ''
        for (const line of parts) {
          keep(line)
          if (line.includes('address already in use')) portInUse = true
          if (line.includes('Server is ready')) settle()
        }
      })

      child.once('error', (err) => {
        settle(failure(`cannot start ${this.bin}: ${err.message}; ${NATS_SERVER_INSTALL_HINT}`, false))
      })
      // 'close' comes after 'exit' once stderr is drained, so the error quotes the last words.
      child.once('close', (code, signal) => {
        if (partial !== '') keep(partial)
        partial = ''
        settle(failure(`nats-server on port ${this.ports.client} ${describeExit(code, signal)} before it was ready; last log lines:\n${tail(this.lines)}`, portInUse))
      })

      const deadline = setTimeout(() => {
        settle(failure(`nats-server on port ${this.ports.client} was not ready within ${timeoutMs} ms; last log lines:\n${tail(this.lines)}`, false))
      }, timeoutMs)

      // A config file may send the log to a file, so "Server is ready" never reaches stderr:
      // then readiness is the client port accepting connections.
      if (this.options.configFile !== undefined) {
        const tryConnect = () => {
          if (settled) return
          const socket = netConnect(this.ports.client, this.urlHost.replace(/^\[|\]$/g, ''))
          socket.once('connect', () => {
            socket.destroy()
            settle()
          })
          socket.once('error', () => {
            socket.destroy()
            if (!settled) probe = setTimeout(tryConnect, 50)
          })
        }
        tryConnect()
      }
    }).then(
      () => this.options.logger?.info({ url: this.url, pid: child.pid, storeDir: this.storeDir }, 'nats-server ready'),
      async (err: unknown) => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
        await this.exited
        throw err
      },
    )
  }

  /** Send `signal`, wait for exit, SIGKILL if it outlives the grace period. */
  private async terminate(signal: NodeJS.Signals): Promise<void> {
    const child = this.child
    if (!child || !this.running) return
    const graceMs = this.options.stopGraceMs ?? 5_000
    child.kill(signal)
    if (signal === 'SIGKILL') {
      await this.exited
      return
    }
    let timer: NodeJS.Timeout | undefined
    const overdue = new Promise<'overdue'>((resolve) => {
      timer = setTimeout(() => resolve('overdue'), graceMs)
    })
    const outcome = await Promise.race([this.exited.then(() => 'exited' as const), overdue])
    clearTimeout(timer)
    if (outcome === 'overdue') {
      this.options.logger?.warn({ pid: child.pid, graceMs }, 'nats-server ignored SIGTERM, sending SIGKILL')
      child.kill('SIGKILL')
      await this.exited
    }
  }

  async stop(): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    await this.terminate('SIGTERM')
    this.removeStoreDir()
    live.delete(this)
  }

  async kill(): Promise<void> {
    await this.terminate('SIGKILL')
  }

  async restart(): Promise<void> {
    if (this.stopped) throw new ClosedError(`nats-server ${this.name} (stopped)`)
    await this.terminate('SIGTERM')
    await this.launch()
  }

  async waitForInterest(subject: string, timeoutMs = 10_000): Promise<void> {
    const monitor = this.monitorUrl
    if (monitor === undefined) throw new TransportError(`waitForInterest needs monitoring: start nats-server ${this.name} with monitorPort`)
    await pollUntil(
      async () => {
        // subsz lists this server's own clients' subscriptions; routez those its routes forwarded.
        const own = await getJson<{ subscriptions_list?: Array<{ subject: string }> }>(`${monitor}/subsz?subs=1&limit=100000`)
        if ((own.subscriptions_list ?? []).some((sub) => subjectMatches(sub.subject, subject))) return true
        const routez = await getJson<{ routes?: Array<{ subscriptions_list?: string[] }> }>(`${monitor}/routez?subs=1`)
        const routed = (routez.routes ?? []).some((route) => (route.subscriptions_list ?? []).some((filter) => subjectMatches(filter, subject)))
        return routed ? true : `no subscription matches '${subject}' yet`
      },
      timeoutMs,
      `interest in '${subject}' on ${this.name}`,
    )
  }

  /** Synchronous last resort from the process 'exit' handler: no awaiting possible there. */
  reapSync(): void {
    if (this.running && this.child?.pid !== undefined) {
      try {
        process.kill(this.child.pid, 'SIGKILL')
      } catch {
        // Already gone.
      }
    }
    this.removeStoreDir()
  }

  private removeStoreDir(): void {
    if (this.ownsStoreDir) rmSync(this.storeDir, { recursive: true, force: true })
  }
}

/** Start one nats-server (JetStream on, loopback, free port) and wait until it is ready. */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServer> {
  const server = new NatsServerProcess(options.bin ?? findNatsServer(options.env), options)
  await server.start(true)
  return server
}

/** NATS subject matching: `*` matches one token, a trailing `>` one or more. */
export function subjectMatches(filter: string, subject: string): boolean {
  const f = filter.split('.')
  const s = subject.split('.')
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '>') return s.length > i
    if (i >= s.length) return false
    if (f[i] !== '*' && f[i] !== s[i]) return false
  }
  return f.length === s.length
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url, { signal: AbortSignal.timeout(2_000) })
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`)
  return (await response.json()) as T
}

/**
 * Calls `check` every `intervalMs` until it returns true or the deadline passes. A string
 * result (or a thrown error) is the reason it is not there yet, quoted in the timeout error.
 */
async function pollUntil(check: () => Promise<true | string>, timeoutMs: number, what: string, intervalMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let reason = 'not checked'
  for (;;) {
    try {
      const result = await check()
      if (result === true) return
      reason = result
    } catch (err) {
      reason = (err as Error).message
    }
    if (Date.now() >= deadline) throw new TransportError(`timed out after ${timeoutMs} ms waiting for ${what}: ${reason}`)
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
}

export interface NatsClusterOptions extends Omit<NatsServerOptions, 'port' | 'monitorPort' | 'storeDir' | 'serverName' | 'cluster'> {
  /** `--cluster_name` and the prefix of the server names (`<name>-1`, ...). Default `mesos-ts`. */
  name?: string
  /** How long to wait for routes and the JetStream meta leader. Default 30 s. */
  formTimeoutMs?: number
}

export interface NatsCluster {
  readonly name: string
  readonly servers: readonly NatsServer[]
  /** Every member's client URL, to hand to a client as its server list. */
  readonly urls: string[]
  /**
   * Resolves when every running member has a route to every other running member and all agree
   * on one JetStream meta leader that sees its peers as current. Call it after restart() too.
   */
  waitFormed(timeoutMs?: number): Promise<void>
  stop(): Promise<void>
}

interface Routez {
  routes?: Array<{ remote_id?: string }>
}
interface Jsz {
  meta_cluster?: { leader?: string; cluster_size?: number; replicas?: Array<{ name?: string; current?: boolean; offline?: boolean }> }
}

class NatsClusterHandle implements NatsCluster {
  constructor(
    readonly name: string,
    readonly servers: readonly NatsServer[],
    private readonly options: NatsClusterOptions,
  ) {}

  get urls(): string[] {
    return this.servers.map((s) => s.url)
  }

  async waitFormed(timeoutMs = 30_000): Promise<void> {
    if (this.servers.length < 2) return
    const members = this.servers.filter((s) => s.running)
    try {
      await pollUntil(() => this.formed(members), timeoutMs, `NATS cluster '${this.name}' to form`, 100)
    } catch (err) {
      const logs = this.servers.map((s) => `--- ${s.serverName} (${s.running ? 'running' : 'not running'}):\n${tail(s.logs())}`).join('\n')
      throw new TransportError(`${(err as Error).message}\n${logs}`)
    }
  }

  private async formed(members: readonly NatsServer[]): Promise<true | string> {
    const leaders = new Set<string>()
    for (const server of members) {
      const routez = await getJson<Routez>(`${server.monitorUrl}/routez`)
      const peers = new Set((routez.routes ?? []).map((r) => r.remote_id))
      if (peers.size < members.length - 1) return `${server.serverName} has routes to ${peers.size} of ${members.length - 1} peers`
      if (this.options.jetstream === false) continue
      const jsz = await getJson<Jsz>(`${server.monitorUrl}/jsz`)
      const leader = jsz.meta_cluster?.leader
      if (!leader) return `${server.serverName} has no JetStream meta leader yet`
      leaders.add(leader)
    }
    if (this.options.jetstream === false) return true
    if (leaders.size !== 1) return `members disagree on the JetStream meta leader (${[...leaders].join(', ')})`
    const leaderName = [...leaders][0]
    const leader = members.find((s) => s.serverName === leaderName)
    if (!leader) return `meta leader ${leaderName} is not a running member`
    // Only the leader lists its followers; an R3 stream can be placed once they are current.
    const replicas = (await getJson<Jsz>(`${leader.monitorUrl}/jsz`)).meta_cluster?.replicas
    if (replicas !== undefined) {
      const current = replicas.filter((r) => r.current === true && r.offline !== true).length
      if (current < members.length - 1) return `meta leader ${leaderName} sees ${current} of ${members.length - 1} peers current`
    }
    return true
  }

  async stop(): Promise<void> {
    await Promise.all(this.servers.map((s) => s.stop()))
  }
}

/**
 * Start `n` nats-servers on loopback, each with JetStream, routed to each other as one cluster,
 * and wait until the cluster has formed (routes up, one JetStream meta leader). With n = 1 it is
 * a single unclustered server. Ports are picked free; on a port race the whole cluster is retried
 * with new ports, because every member's routes name the others' cluster ports.
 */
export async function startNatsCluster(n = 3, options: NatsClusterOptions = {}): Promise<NatsCluster> {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`startNatsCluster: n must be a positive integer, got ${n}`)
  const name = options.name ?? 'mesos-ts'
  const bin = options.bin ?? findNatsServer(options.env)
  if (n === 1) {
    const only = new NatsServerProcess(bin, { ...options, monitorPort: true, serverName: `${name}-1` })
    await only.start(true)
    return new NatsClusterHandle(name, [only], options)
  }
  const host = options.host ?? '127.0.0.1'
  for (let attempt = 1; ; attempt++) {
    const clusterPorts: number[] = []
    while (clusterPorts.length < n) {
      const port = await freePort(host)
      if (!clusterPorts.includes(port)) clusterPorts.push(port)
    }
    const urlHost = host === '0.0.0.0' ? '127.0.0.1' : host
    const servers = clusterPorts.map(
      (port, i) =>
        new NatsServerProcess(bin, {
          ...options,
          monitorPort: true,
          serverName: `${name}-${i + 1}`,
          cluster: { name, port, routes: clusterPorts.filter((_, j) => j !== i).map((p) => `nats://${urlHost}:${p}`) },
        }),
    )
    const results = await Promise.allSettled(servers.map((s) => s.start(false)))
    const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []))
    const handle = new NatsClusterHandle(name, servers, options)
    if (failures.length > 0) {
      await handle.stop()
      const portRace = failures.every((f) => f instanceof Error && portConflicts.has(f))
      if (portRace && attempt < MAX_PORT_ATTEMPTS) continue
      throw failures[0]
    }
    try {
      await handle.waitFormed(options.formTimeoutMs)
    } catch (err) {
      await handle.stop()
      throw err
    }
    return handle
  }
}
