// The embedded cluster (`mesos-ts local`, tests, benchmarks): a master and N agents in one
// process. On the in-process bus by default; on NATS when given servers, so that other
// processes (frameworks, more agents) can join.
//
// HTTP: the agents have no port of their own. As in Mesos's local mode (one libprocess for
// master and agents), agent N's endpoints are served by the master's server under `/slave(N)/`
// (`agentPlugins()`), and `/api/v1/executor` at the root reaches whichever agent runs the
// executor a call names; custom executors get the master's `host:port` as MESOS_AGENT_ENDPOINT
// (`setAgentEndpoint`).
import { mkdirSync } from 'node:fs'
import { hostname as osHostname } from 'node:os'
import { join, resolve } from 'node:path'
import {
  LocalBus,
  LocalTransport,
  NatsTransport,
  Runtime,
  silentLogger,
  type ActorHandle,
  type Clock,
  type Logger,
  type MetricsRegistry,
  type Pid,
  type Transport,
} from '../runtime/index.js'
import { ProtocolMessages } from '../actors/protocol/index.js'
import { MASTER_VERSION, MemoryRegistryStore, masterMachine, type MasterCore, type MasterOptions } from '../actors/master/index.js'
import { agentMachine, defaultAgentResources, parseAttributes, PosixProcessLauncher, type AgentContext, type AgentCore, type AgentFlags } from '../actors/agent/index.js'
import { executorSpawner } from '../actors/executor/index.js'
import type { FastifyPluginAsync } from 'fastify'
import { MASTER_PID } from './node-names.js'
import { agentIp } from './host-ip.js'
import type { MasterHttpDeps } from './http/master-http-deps.js'
import type { AgentHttpDeps } from './http/agent-http-deps.js'
import { agentPrefix, agentRoutes } from './http/agent-server.js'
import { executorApiPlugin, ExecutorCallError, resolveOnAgent } from './http/executor-api.js'
import { CustomExecutors, customExecutorSpawner } from './http/executor-proxy.js'

export interface LocalClusterOptions {
  numAgents: number
  /** Each agent's `--resources` (Mesos text form); default: what the host has. */
  resources?: string
  attributes?: string
  /** Agent i works under `<workDir>/agents/<i>` (sandboxes below it, in Mesos's layout). */
  workDir: string
  executor?: 'command' | 'emulated'
  /** Subject prefix (`--cluster`). */
  prefix?: string
  /** When set, every runtime talks over these NATS servers instead of the in-process bus. */
  natsServers?: string[]
  logger?: Logger
  clock?: Clock
  masterOptions?: Partial<MasterOptions>
  agentFlags?: Partial<AgentFlags>
  /** One registry for the whole process (the HTTP layer serves it). */
  metrics?: MetricsRegistry
  /**
   * Runtime link timeout (ms, default the runtime's 5 s). Benchmarks that push 100,000 tasks
   * through one process raise it: a long burst delays the link pings of its own runtimes.
   */
  linkTimeoutMs?: number
}

export class LocalCluster {
  readonly masterPid: Pid = MASTER_PID
  readonly agentPids: Pid[] = []
  readonly bus: LocalBus | undefined
  /** The HTTP (custom) executors of every agent here. */
  readonly executors: CustomExecutors
  /** Each agent's process launcher (command agents), by agent index - 1. */
  readonly launchers: Array<PosixProcessLauncher | undefined> = []
  private master!: MasterCore
  private agentEndpoint: string | undefined

  private constructor(
    readonly options: LocalClusterOptions,
    readonly masterRuntime: Runtime,
    readonly agentRuntime: Runtime,
    private readonly agents: ActorHandle[],
    bus: LocalBus | undefined,
    executors: CustomExecutors,
  ) {
    this.bus = bus
    this.executors = executors
  }

  static async start(options: LocalClusterOptions): Promise<LocalCluster> {
    const log = options.logger ?? silentLogger()
    const bus = options.natsServers ? undefined : new LocalBus()
    const transport = async (name: string): Promise<Transport> =>
      bus ? new LocalTransport(bus) : NatsTransport.connect({ servers: options.natsServers!, name: `mesos-ts local ${name}` })
    const common = { prefix: options.prefix, clock: options.clock, metrics: options.metrics, linkTimeoutMs: options.linkTimeoutMs }
    const masterRuntime = new Runtime({ ...common, transport: await transport('master'), node: 'master', logger: log.child({ component: 'master' }) })
    const agentRuntime = new Runtime({ ...common, transport: await transport('agents'), node: 'local', logger: log.child({ component: 'agents' }) })
    for (const rt of [masterRuntime, agentRuntime]) rt.registerMessages(ProtocolMessages)

    let core: MasterCore | undefined
    // The embedded master persists to an in-memory registry: the same persist-then-act path as
    // with JetStream, though nothing outlives the process (there is no standby to recover it).
    const registryStore = new MemoryRegistryStore()
    const registry = {
      store: registryStore,
      fence: await registryStore.fence(1),
      onFenced: (err: Error) => log.error({ err: err.message }, err.message),
    }
    masterRuntime.spawn(masterMachine, { name: 'master', input: { options: options.masterOptions, onCore: (c: MasterCore) => (core = c), registry } })

    const host = osHostname()
    const ip = agentIp()
    const attributes = options.attributes ? parseAttributes(options.attributes) : []
    const executors = new CustomExecutors()
    let cluster: LocalCluster | undefined
    const spawnExecutor = customExecutorSpawner(agentRuntime, executorSpawner(agentRuntime), { executors, endpointFor: () => cluster?.agentEndpoint })
    const agents: ActorHandle[] = []
    const launchers: Array<PosixProcessLauncher | undefined> = []
    for (let i = 1; i <= options.numAgents; i++) {
      // Absolute, so that sandbox paths in /state work in /files/browse?path= from anywhere.
      const workDir = join(resolve(options.workDir), 'agents', String(i))
      mkdirSync(workDir, { recursive: true })
      const launcher = (options.executor ?? 'command') === 'command' ? new PosixProcessLauncher() : undefined
      launchers.push(launcher)
      agents.push(
        agentRuntime.spawn(agentMachine, {
          name: `agent-${i}`,
          input: {
            masterPid: MASTER_PID,
            info: { hostname: host, port: 5050 + i, resources: defaultAgentResources(workDir, options.resources), attributes },
            ip,
            workDir,
            executor: options.executor ?? 'command',
            spawnExecutor,
            flags: options.agentFlags,
            ...(launcher ? { launcher } : {}),
          },
        }),
      )
    }
    cluster = new LocalCluster(options, masterRuntime, agentRuntime, agents, bus, executors)
    cluster.launchers.push(...launchers)
    cluster.agentPids.push(...agents.map(a => a.pid))
    cluster.master = core!
    return cluster
  }

  /** The master's state, for in-process readers (the HTTP layer, tests). */
  get masterCore(): MasterCore {
    return this.master
  }

  /**
   * What the master's HTTP server needs (`startMasterServer(cluster.httpDeps(...), ...)`): this
   * process hosts the only master, so it is always the leader.
   */
  httpDeps(settings: { flags?: Record<string, string>; version?: string; log?: Logger; startedAt?: number } = {}): MasterHttpDeps {
    return {
      runtime: this.masterRuntime,
      masterPid: this.masterPid,
      core: () => this.master,
      leader: () => undefined,
      flags: settings.flags ?? {},
      log: settings.log ?? this.options.logger ?? silentLogger(),
      startedAt: settings.startedAt ?? Date.now(),
      version: settings.version ?? MASTER_VERSION,
    }
  }

  /** Agent `index`'s state (1-based, as in `/slave(N)/`), undefined once it has stopped. */
  agentCore(index: number): AgentCore | undefined {
    const handle = this.agents[index - 1]
    return handle?.alive ? (handle.getSnapshot().context as AgentContext).core : undefined
  }

  /** MESOS_AGENT_ENDPOINT (`host:port`) for custom executors started from now on. */
  setAgentEndpoint(endpoint: string | undefined): void {
    this.agentEndpoint = endpoint
  }

  /** What agent `index`'s HTTP routes need (1-based). */
  agentHttpDeps(index: number, settings: { flags?: Record<string, string>; version?: string; log?: Logger; startedAt?: number } = {}): AgentHttpDeps {
    const launcher = this.launchers[index - 1]
    return {
      runtime: this.agentRuntime,
      agentPid: this.agentPids[index - 1]!,
      core: () => this.agentCore(index),
      workDir: join(resolve(this.options.workDir), 'agents', String(index)),
      flags: settings.flags ?? {},
      log: settings.log ?? this.options.logger ?? silentLogger(),
      startedAt: settings.startedAt ?? Date.now(),
      version: settings.version ?? MASTER_VERSION,
      executors: this.executors,
      ...(launcher ? { processGroups: (containerId: string) => launcher.processGroups(containerId) } : {}),
    }
  }

  /**
   * Every agent's routes for the master's server: agent N under `/slave(N)`, and the executor
   * API at the root, for executors whose MESOS_AGENT_ENDPOINT is this server.
   */
  agentPlugins(settings: Parameters<LocalCluster['agentHttpDeps']>[1] = {}): Array<{ plugin: FastifyPluginAsync; prefix?: string }> {
    const plugins: Array<{ plugin: FastifyPluginAsync; prefix?: string }> = this.agents.map((_a, i) => ({ plugin: agentRoutes(this.agentHttpDeps(i + 1, settings)), prefix: agentPrefix(i + 1) }))
    const log = settings.log ?? this.options.logger ?? silentLogger()
    plugins.push({
      plugin: executorApiPlugin({
        log: log.child({ component: 'executor-api' }),
        metrics: this.agentRuntime.metrics,
        resolve: call => {
          // The agent whose proxy it is; else Mesos's lookups on an agent that has the framework.
          const owners = this.agentPids.map((pid, i) => ({ i: i + 1, proxy: this.executors.get(pid, call.frameworkId, call.executorId) })).filter(o => o.proxy)
          if (owners.length > 1) {
            const where = owners.map(o => `${agentPrefix(o.i)}/api/v1/executor`).join(' or ')
            return { error: new ExecutorCallError(400, `Executor '${call.executorId}' of framework ${call.frameworkId} runs on ${owners.length} agents of this process: call ${where}`) }
          }
          const index = owners[0]?.i ?? this.agentPids.findIndex((_p, i) => this.agentCore(i + 1)?.frameworks.has(call.frameworkId)) + 1
          const pid = this.agentPids[index - 1]
          return resolveOnAgent(index > 0 ? this.agentCore(index) : this.agentCore(1), (fw, ex) => (pid ? this.executors.get(pid, fw, ex) : undefined), call)
        },
      }),
    })
    return plugins
  }

  /** Resolves once every agent of this cluster is registered with the master. */
  async waitForAgents(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (this.master.agents.size < this.agents.length) {
      if (Date.now() > deadline) throw new Error(`only ${this.master.agents.size} of ${this.agents.length} agents registered within ${timeoutMs} ms`)
      await new Promise(r => setTimeout(r, 20))
    }
  }

  /**
   * Ctrl-C: every agent kills its tasks (as when the master shuts it down) and stops; sandboxes
   * stay on disk. Then both runtimes close.
   */
  async stop(timeoutMs = 15_000): Promise<void> {
    for (const agent of this.agents) {
      if (agent.alive) agent.send({ type: 'ShutdownAgent', from: this.masterPid, body: { message: 'the local cluster is stopping' } })
    }
    const deadline = Date.now() + timeoutMs
    while (this.agents.some(a => a.alive) && Date.now() < deadline) await new Promise(r => setTimeout(r, 20))
    await this.agentRuntime.flush()
    await this.agentRuntime.close()
    await this.masterRuntime.close()
  }
}
