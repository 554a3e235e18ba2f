// `mesos-ts nats`: a nats-server with JetStream in the foreground, for a cluster that has no NATS
// yet; with --cluster_size=3, three routed servers, so the leader lease and the registry (KV with
// replicas=3) survive the loss of one (DESIGN.md §4). Ctrl-C stops them.

import { mkdirSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { commands, ConfigError } from '../config/index.js'
import { findNatsServer, freePort, startNatsServer, type NatsServer, type NatsServerOptions } from '../nats-server.js'
import { TransportError, type Logger } from '../../runtime/index.js'
import { CommandError, type CommandContext, type CommandModule, type ParsedFlags } from './command.js'

type NatsFlags = ParsedFlags<'nats'>

/** How often the foreground loop checks that the servers still run (real processes, real time). */
const WATCH_INTERVAL_MS = 500
/** How long a cluster may take to elect a JetStream meta leader and bring its peers current. */
const FORM_TIMEOUT_MS = 30_000

export const command: CommandModule<'nats'> = {
  name: 'nats',
  summary: commands.nats.summary,
  run,
}

async function run(flags: NatsFlags, ctx: CommandContext): Promise<number> {
  checkFlags(flags)
  const servers = await startServers(flags, ctx)
  try {
    if (ctx.signal.aborted) return 0
    const urls = servers.map((s) => advertisedUrl(s, flags.ip))
    const auth = flags.user !== undefined ? `; clients authenticate as user '${flags.user}'` : ''
    ctx.stdout.write(`NATS ready: ${urls.join(',')}  (pass it as --master to agents and frameworks, as --nats to masters${auth})\n`)
    ctx.log.info(
      {
        urls,
        storeDirs: servers.map((s) => s.storeDir),
        monitor: flags.http_port !== undefined ? servers.map((s) => s.monitorUrl) : undefined,
        pids: servers.map((s) => s.pid),
      },
      servers.length > 1 ? `nats-server cluster '${flags.cluster_name}' of ${servers.length} running; Ctrl-C stops it` : 'nats-server running; Ctrl-C stops it',
    )
    const outcome = await untilStoppedOrDead(servers, ctx.signal)
    if (outcome !== undefined) {
      throw new CommandError(`nats-server ${outcome.serverName} exited unexpectedly; its last log lines:\n${outcome.logs().slice(-10).join('\n')}`)
    }
    return 0
  } finally {
    await stopAll(servers, ctx.log)
  }
}

function checkFlags(flags: NatsFlags): void {
  const last = flags.port + flags.cluster_size - 1
  if (last > 65535) {
    throw new ConfigError('INVALID_VALUE', `--port: ${flags.cluster_size} servers need client ports ${flags.port}-${last}, past 65535`, { key: 'port' })
  }
  if (flags.http_port !== undefined && flags.http_port + flags.cluster_size - 1 > 65535) {
    throw new ConfigError('INVALID_VALUE', `--http_port: ${flags.cluster_size} servers need monitoring ports up to ${flags.http_port + flags.cluster_size - 1}, past 65535`, { key: 'http_port' })
  }
  if ((flags.user === undefined) !== (flags.password === undefined)) {
    const missing = flags.user === undefined ? 'user' : 'password'
    throw new ConfigError('MISSING_REQUIRED', `--user and --password go together: set --${missing} too`, { key: missing })
  }
}

/**
 * One server on --port with its store in --store_dir; or --cluster_size routed servers on
 * consecutive client ports, each storing under --store_dir/<cluster_name>-<i>. The harness's
 * startNatsCluster would pick random ports and temporary stores, so a restarted cluster would
 * come back at new URLs with an empty registry; the flags promise fixed ones, hence this.
 */
async function startServers(flags: NatsFlags, ctx: CommandContext): Promise<NatsServer[]> {
  const common: NatsServerOptions = {
    // Found first, so a missing binary fails before any store directory is made.
    bin: findNatsServer(ctx.env),
    host: flags.ip,
    user: flags.user,
    password: flags.password,
    configFile: flags.nats_config,
    logger: ctx.log,
  }
  const n = flags.cluster_size
  if (n === 1) {
    makeStoreDir(flags.store_dir)
    return [await startNatsServer({ ...common, port: flags.port, storeDir: flags.store_dir, monitorPort: flags.http_port })]
  }

  const routePorts: number[] = []
  while (routePorts.length < n) {
    const port = await freePort(flags.ip)
    if (!routePorts.includes(port) && (port < flags.port || port >= flags.port + n)) routePorts.push(port)
  }
  const routeHost = flags.ip === '0.0.0.0' || flags.ip === '::' ? '127.0.0.1' : flags.ip.includes(':') ? `[${flags.ip}]` : flags.ip
  const options = routePorts.map((routePort, i): NatsServerOptions => {
    const name = `${flags.cluster_name}-${i + 1}`
    const storeDir = join(flags.store_dir, name)
    makeStoreDir(storeDir)
    return {
      ...common,
      port: flags.port + i,
      storeDir,
      serverName: name,
      // Formation is read from the monitoring endpoints, so every member has one.
      monitorPort: flags.http_port !== undefined ? flags.http_port + i : true,
      cluster: { name: flags.cluster_name, port: routePort, routes: routePorts.filter((_, j) => j !== i).map((p) => `nats://${routeHost}:${p}`) },
    }
  })
  const results = await Promise.allSettled(options.map((o) => startNatsServer(o)))
  const servers = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
  if (failed !== undefined) {
    await stopAll(servers, ctx.log)
    throw failed.reason
  }
  try {
    await waitKvReady(servers, ctx.signal)
  } catch (err) {
    await stopAll(servers, ctx.log)
    throw err
  }
  return servers
}

function makeStoreDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true })
  } catch (err) {
    throw new CommandError(`--store_dir: cannot create '${dir}': ${(err as Error).message}`)
  }
}

/** Where clients reach a server: a wildcard address is advertised as this host's name. */
function advertisedUrl(server: NatsServer, ip: string): string {
  if (ip === '0.0.0.0' || ip === '::') return `nats://${hostname()}:${server.port}`
  return server.url
}

interface Jsz {
  meta_cluster?: { leader?: string; replicas?: Array<{ name?: string; current?: boolean; offline?: boolean }> }
}
interface Routez {
  routes?: Array<{ remote_id?: string }>
}

/**
 * Until KV buckets with replicas=N can be created: every member routed to every other, one
 * JetStream meta leader agreed by all, and the leader seeing its followers current (the same
 * test as the harness's NatsCluster.waitFormed). Stops early, without error, on abort.
 */
async function waitKvReady(servers: readonly NatsServer[], signal: AbortSignal): Promise<void> {
  const deadline = Date.now() + FORM_TIMEOUT_MS
  let reason = 'not checked'
  while (!signal.aborted) {
    try {
      const state = await formation(servers, signal)
      if (state === true) return
      reason = state
    } catch (err) {
      if (signal.aborted) return
      reason = (err as Error).message
    }
    if (Date.now() >= deadline) {
      const logs = servers.map((s) => `--- ${s.serverName}:\n${s.logs().slice(-10).join('\n')}`).join('\n')
      throw new TransportError(`NATS cluster did not form within ${FORM_TIMEOUT_MS} ms: ${reason}\n${logs}`)
    }
    await delay(100, signal)
  }
}

async function formation(servers: readonly NatsServer[], signal: AbortSignal): Promise<true | string> {
  const get = async <T>(url: string): Promise<T> => {
    const response = await fetch(url, { signal: AbortSignal.any([signal, AbortSignal.timeout(2_000)]) })
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`)
    return (await response.json()) as T
  }
  const leaders = new Set<string>()
  for (const server of servers) {
    const routes = await get<Routez>(`${server.monitorUrl}/routez`)
    const peers = new Set((routes.routes ?? []).map((r) => r.remote_id)).size
    if (peers < servers.length - 1) return `${server.serverName} has routes to ${peers} of ${servers.length - 1} peers`
    const leader = (await get<Jsz>(`${server.monitorUrl}/jsz`)).meta_cluster?.leader
    if (!leader) return `${server.serverName} has no JetStream meta leader yet`
    leaders.add(leader)
  }
  if (leaders.size !== 1) return `members disagree on the JetStream meta leader (${[...leaders].join(', ')})`
  const leader = servers.find((s) => s.serverName === [...leaders][0])
  if (leader === undefined) return `the meta leader ${[...leaders][0]} is not one of ours`
  const replicas = (await get<Jsz>(`${leader.monitorUrl}/jsz`)).meta_cluster?.replicas ?? []
  const current = replicas.filter((r) => r.current === true && r.offline !== true).length
  return current >= servers.length - 1 ? true : `the meta leader sees ${current} of ${servers.length - 1} peers current`
}

/**
 * Resolves undefined when `signal` aborts, or with the first server found dead. A Ctrl-C at a
 * terminal reaches nats-server too (same process group), and it may exit a moment before our
 * own handler runs: a server counts as dead only if it is still gone, with no abort, one watch
 * interval later.
 */
function untilStoppedOrDead(servers: readonly NatsServer[], signal: AbortSignal): Promise<NatsServer | undefined> {
  return new Promise((resolve) => {
    let suspect: NatsServer | undefined
    const finish = (result: NatsServer | undefined) => {
      clearInterval(timer)
      signal.removeEventListener('abort', onAbort)
      resolve(result)
    }
    const onAbort = () => finish(undefined)
    const timer = setInterval(() => {
      const dead = servers.find((s) => !s.running)
      if (dead !== undefined && dead === suspect) finish(dead)
      suspect = dead
    }, WATCH_INTERVAL_MS)
    if (signal.aborted) onAbort()
    else signal.addEventListener('abort', onAbort, { once: true })
  })
}

async function stopAll(servers: readonly NatsServer[], log: Logger): Promise<void> {
  const results = await Promise.allSettled(servers.map((s) => s.stop()))
  for (const [i, r] of results.entries()) {
    if (r.status === 'rejected') log.warn({ err: r.reason as Error, server: servers[i].serverName }, 'stopping nats-server failed')
  }
  if (servers.length > 0) log.info({ servers: servers.map((s) => s.serverName) }, 'nats-server stopped')
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms)
    function done() {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    signal.addEventListener('abort', done, { once: true })
  })
}
