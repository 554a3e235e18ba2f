// A sim world for agent tests: a fake master (a recording actor on its own node), the agent on
// another, both on a SimClock; a fake process launcher the test drives by hand.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setup } from 'xstate'
import { Prng, Runtime, SimClock, SimNetwork, type ActorHandle, type ActorPort } from '../../../../runtime/index.js'
import { ProtocolMessages } from '../../../../actors/protocol/index.js'
import {
  agentMachine,
  type AgentContext,
  type AgentFlags,
  type CheckpointStore,
  type LaunchSpec,
  type LaunchedProcess,
  type ProcessExit,
  type ProcessLauncher,
  type RecoveredState,
  type RecoverSpec,
  type SpawnExecutor,
} from '../../../../actors/agent/index.js'
import { executorSpawner } from '../../../../actors/executor/index.js'

export interface Seen {
  type: string
  from: string
  body: any
  at: number
}

/** Records every message it receives. */
export const recorderMachine = setup({
  types: { context: {} as { port: ActorPort; seen: Seen[] }, input: {} as { port: ActorPort } },
}).createMachine({
  context: ({ input }) => ({ port: input.port, seen: [] }),
  on: {
    '*': {
      actions: ({ context, event }) => {
        const e = event as unknown as { type: string; from: string; body: unknown }
        context.seen.push({ type: e.type, from: e.from, body: e.body, at: context.port.now() })
      },
    },
  },
})

export class FakeProcess implements LaunchedProcess {
  readonly signals: string[] = []
  private listener: ((exit: ProcessExit) => void) | undefined
  private result: ProcessExit | undefined
  constructor(
    readonly pid: number,
    readonly spec: LaunchSpec,
  ) {}
  get pgid(): number {
    return this.pid
  }
  onExit(listener: (exit: ProcessExit) => void): void {
    if (this.result) listener(this.result)
    else this.listener = listener
  }
  terminate(): void {
    this.signals.push('SIGTERM')
  }
  kill(): void {
    this.signals.push('SIGKILL')
  }
  exit(result: ProcessExit): void {
    this.result = result
    this.listener?.(result)
  }
}

export class FakeLauncher implements ProcessLauncher {
  readonly launched: FakeProcess[] = []
  readonly destroyed: string[] = []
  failWith: string | undefined
  private nextPid = 1000
  launch(spec: LaunchSpec): LaunchedProcess {
    if (this.failWith) throw new Error(this.failWith)
    const p = new FakeProcess(this.nextPid++, spec)
    this.launched.push(p)
    return p
  }
  destroy(containerId: string): void {
    this.destroyed.push(containerId)
  }
  /** Re-adoption after an agent restart: the process of that container, if the launcher started one. */
  recover(spec: RecoverSpec): LaunchedProcess | string {
    this.recovered.push(spec.containerId)
    return this.launched.find(p => p.spec.containerId === spec.containerId) ?? `no process was started for container ${spec.containerId}`
  }
  readonly recovered: string[] = []
}

export interface AgentWorld {
  clock: SimClock
  net: SimNetwork
  masterRt: Runtime
  agentRt: Runtime
  master: ActorHandle
  agent: ActorHandle
  launcher: FakeLauncher
  workDir: string
  /** Messages the master received, optionally of one type. */
  seen(type?: string): Seen[]
  /** Sends a message to the agent as the master. */
  fromMaster(type: string, body: unknown): void
  ctx(): AgentContext
  state(): unknown
  /**
   * The agent's process dies (its executors with it; task processes live on in the launcher) and
   * a new one starts on the same node and work dir, with `checkpoint` and what was read from it.
   */
  restartAgent(options: { checkpoint?: CheckpointStore; recovered?: RecoveredState; launcher?: FakeLauncher }): Promise<void>
  /** Registers the agent as `A1` and clears the master's record. */
  register(pingTimeoutSeconds?: number): Promise<void>
  settle(ms?: number): Promise<void>
  close(): Promise<void>
}

export interface AgentWorldOptions {
  executor?: 'command' | 'emulated'
  flags?: Partial<AgentFlags>
  seed?: number
  checkpoint?: CheckpointStore
  launcher?: FakeLauncher
  /** How executors start (default: actors/executor's executorSpawner on the agent's runtime). */
  spawnExecutor?: (runtime: Runtime) => SpawnExecutor
}

export async function agentWorld(options: AgentWorldOptions = {}): Promise<AgentWorld> {
  const clock = new SimClock()
  const net = new SimNetwork({ seed: options.seed ?? 7, clock })
  const mk = (node: string) => {
    const rt = new Runtime({ transport: net.endpoint(node), node, clock, linkPingIntervalMs: 1000, linkTimeoutMs: 5000, requestTimeoutMs: 5000, incarnation: node })
    rt.registerMessages(ProtocolMessages)
    return rt
  }
  const masterRt = mk('m1')
  const master = masterRt.spawn(recorderMachine, { name: 'master' })
  const prng = new Prng(options.seed ?? 7)
  const workDir = mkdtempSync(join(tmpdir(), 'mesos-ts-agent-'))
  let incarnation = 0
  let endpoint: ReturnType<SimNetwork['endpoint']> | undefined
  const startAgent = (o: { checkpoint?: CheckpointStore; recovered?: RecoveredState; launcher: FakeLauncher }) => {
    endpoint = net.endpoint('h1')
    const rt = new Runtime({ transport: endpoint, node: 'h1', clock, linkPingIntervalMs: 1000, linkTimeoutMs: 5000, requestTimeoutMs: 5000, incarnation: incarnation++ === 0 ? 'h1' : `h1.${incarnation}` })
    rt.registerMessages(ProtocolMessages)
    const handle = rt.spawn(agentMachine, {
      name: 'agent',
      input: {
        masterPid: master.pid,
        info: { hostname: 'h1', resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 4 } }] },
        workDir,
        executor: options.executor ?? 'command',
        spawnExecutor: options.spawnExecutor ? options.spawnExecutor(rt) : executorSpawner(rt),
        launcher: o.launcher,
        random: () => prng.next(),
        flags: options.flags,
        executorEnvironment: { PATH: '/usr/bin:/bin' },
        checkpoint: o.checkpoint,
        recovered: o.recovered,
      },
    })
    return { rt, handle }
  }
  const launcher = options.launcher ?? new FakeLauncher()
  const first = startAgent({ checkpoint: options.checkpoint, launcher })
  const agentRt = first.rt
  const agent = first.handle
  const seenAll = (): Seen[] => (master.getSnapshot().context as { seen: Seen[] }).seen
  const world: AgentWorld = {
    clock,
    net,
    masterRt,
    agentRt,
    master,
    agent,
    launcher,
    workDir,
    seen: type => (type ? seenAll().filter(s => s.type === type) : seenAll()),
    fromMaster: (type, body) => masterRt.send(master.pid, world.agent.pid, type, body),
    ctx: () => world.agent.getSnapshot().context as AgentContext,
    state: () => world.agent.getSnapshot().value,
    async restartAgent(o) {
      endpoint!.crash()
      await world.agentRt.close()
      const next = startAgent({ checkpoint: o.checkpoint, recovered: o.recovered, launcher: o.launcher ?? world.launcher })
      world.agentRt = next.rt
      world.agent = next.handle
      if (o.launcher) world.launcher = o.launcher
    },
    async register(pingTimeoutSeconds = 86_400) {
      await world.settle(1000)
      world.fromMaster('AgentRegistered', { agent_id: { value: 'A1' }, connection: { total_ping_timeout_seconds: pingTimeoutSeconds } })
      await world.settle(10)
      seenAll().length = 0
    },
    async settle(ms = 50) {
      await clock.advanceAsync(ms)
    },
    async close() {
      await world.agentRt.close()
      await masterRt.close()
      rmSync(workDir, { recursive: true, force: true })
    },
  }
  return world
}

export const FRAMEWORK = { user: 'alice', name: 'fw', id: { value: 'F1' } }

export function commandTask(id: string, value: string, extra: Record<string, unknown> = {}) {
  return { name: id, task_id: { value: id }, agent_id: { value: 'A1' }, command: { value }, resources: [{ name: 'cpus', type: 'SCALAR' as const, scalar: { value: 1 } }], ...extra }
}

export function runTask(world: AgentWorld, task: ReturnType<typeof commandTask>, framework: Record<string, unknown> = FRAMEWORK): void {
  world.fromMaster('RunTask', { framework, framework_id: { value: 'F1' }, task })
}
