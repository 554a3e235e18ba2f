// The embedded cluster (`mesos-ts local`, tests, benchmarks): a master and N agents in one
// process. On the in-process bus by default; on NATS when given servers, so that other
// processes (frameworks, more agents) can join.
import { mkdirSync } from 'node:fs'
import { hostname as osHostname } from 'node:os'
import { join } from 'node:path'
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
import { MASTER_VERSION, masterMachine, type MasterCore, type MasterOptions } from '../actors/master/index.js'
import { agentMachine, defaultAgentResources, parseAttributes, type AgentFlags } from '../actors/agent/index.js'
import { executorSpawner } from '../actors/executor/index.js'
import { MASTER_PID } from './node-names.js'
import { agentIp } from './host-ip.js'
import type { MasterHttpDeps } from './http/master-http-deps.js'

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
  private master!: MasterCore

  private constructor(
    readonly options: LocalClusterOptions,
    readonly masterRuntime: Runtime,
    readonly agentRuntime: Runtime,
    private readonly agents: ActorHandle[],
    bus: LocalBus | undefined,
  ) {
    this.bus = bus
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
    masterRuntime.spawn(masterMachine, { name: 'master', input: { options: options.masterOptions, onCore: (c: MasterCore) => (core = c) } })

    const host = osHostname()
    const ip = agentIp()
    const attributes = options.attributes ? parseAttributes(options.attributes) : []
    const spawnExecutor = executorSpawner(agentRuntime)
    const agents: ActorHandle[] = []
    for (let i = 1; i <= options.numAgents; i++) {
      const workDir = join(options.workDir, 'agents', String(i))
      mkdirSync(workDir, { recursive: true })
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
          },
        }),
      )
    }
    const cluster = new LocalCluster(options, masterRuntime, agentRuntime, agents, bus)
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
