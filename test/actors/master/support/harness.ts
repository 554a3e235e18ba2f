// A master on the sim transport with recording stand-ins for agents and schedulers: tests send
// messages as those pids and assert on what the master sends back, in virtual time.
import { setup } from 'xstate'
import { Runtime, SimClock, SimNetwork, type ActorPort, type Logger, type Pid } from '../../../../runtime/index.js'
import { ProtocolMessages } from '../../../../actors/protocol/index.js'
import { masterMachine, type MasterCore, type MasterOptions, type RegistryLink } from '../../../../actors/master/index.js'
import { parseResources, toJson } from '../../../../actors/resources/index.js'

export interface Received {
  type: string
  from?: string
  body?: any
}

/** Records every event it receives; answers Ping with Pong while `answering.pings` is true. */
export const inboxMachine = setup({
  types: {
    input: {} as { port: ActorPort; answering: { pings: boolean } },
    context: {} as { log: Received[]; port: ActorPort; answering: { pings: boolean } },
    events: {} as { type: string; from?: string; body?: unknown },
  },
}).createMachine({
  context: ({ input }) => ({ log: [], port: input.port, answering: input.answering }),
  on: {
    '*': {
      actions: ({ context, event }) => {
        context.log.push({ type: event.type, from: event.from, body: event.body })
        if (event.type === 'Ping' && context.answering.pings && event.from) context.port.send(event.from, 'Pong', {})
      },
    },
  },
})

export interface Party {
  pid: Pid
  rt: Runtime
  inbox: Received[]
  send(type: string, body: unknown): void
  /** Messages of one type received so far. */
  got(type: string): Received[]
  last(type: string): Received | undefined
  crash(): void
  /** Whether Pings get Pongs (a hung agent stops answering). */
  answering: { pings: boolean }
}

/** What else a test may hand the master: its registry, a logger to read. */
export interface MasterExtra {
  registry?: RegistryLink
  logger?: Logger
}

export class MasterWorld {
  readonly clock = new SimClock()
  readonly net = new SimNetwork({ seed: 11, clock: this.clock, minDelayMs: 1, maxDelayMs: 3 })
  masterRt!: Runtime
  readonly masterPid: Pid = 'master@m1'
  core!: MasterCore
  private masterEndpoint: { crash(): void } | undefined

  constructor(options: Partial<MasterOptions> = {}, extra: MasterExtra = {}) {
    this.startMaster(options, extra)
  }

  /** Boots a master at master@m1 (after crashMaster: a new term of leadership at the same pid). */
  startMaster(options: Partial<MasterOptions> = {}, extra: MasterExtra = {}): void {
    const endpoint = this.net.endpoint('m1')
    this.masterEndpoint = endpoint
    this.masterRt = new Runtime({ transport: endpoint, node: 'm1', clock: this.clock, linkPingIntervalMs: 1000, linkTimeoutMs: 5000, logger: extra.logger })
    this.masterRt.registerMessages(ProtocolMessages)
    this.masterRt.spawn(masterMachine, {
      name: 'master',
      input: { options: { allocationIntervalMs: 1000, ...options }, onCore: (c: MasterCore) => (this.core = c), registry: extra.registry },
    })
  }

  /** The master's process dies: its subscriptions vanish, nobody is told. */
  crashMaster(): void {
    this.masterEndpoint?.crash()
    void this.masterRt.close()
  }

  runtime(node: string): Runtime {
    const rt = new Runtime({ transport: this.net.endpoint(node), node, clock: this.clock, linkPingIntervalMs: 1000, linkTimeoutMs: 5000 })
    rt.registerMessages(ProtocolMessages)
    return rt
  }

  party(name: string, node: string): Party {
    const endpoint = this.net.endpoint(node)
    const rt = new Runtime({ transport: endpoint, node, clock: this.clock, linkPingIntervalMs: 1000, linkTimeoutMs: 5000 })
    rt.registerMessages(ProtocolMessages)
    const answering = { pings: true }
    const handle = rt.spawn(inboxMachine, { name, input: { answering } })
    const inbox = (handle.getSnapshot().context as { log: Received[] }).log
    return {
      pid: handle.pid,
      rt,
      inbox,
      send: (type, body) => rt.send(handle.pid, this.masterPid, type, body),
      got: type => inbox.filter(m => m.type === type),
      last: type => inbox.filter(m => m.type === type).at(-1),
      crash: () => endpoint.crash(),
      answering,
    }
  }

  /** Lets messages and due timers run (a few simulated milliseconds). */
  settle(ms = 50): void {
    this.clock.advance(ms)
  }

  registerAgent(name: string, node: string, resources = 'cpus:4;mem:4096', extra: Record<string, unknown> = {}): Party & { id: string } {
    const agent = this.party(name, node)
    agent.send('RegisterAgent', { agent: { hostname: node, port: 5051, resources: toJson(parseResources(resources)), ...extra }, version: '0.1.0' })
    this.settle()
    const reply = agent.last('AgentRegistered')
    if (!reply) throw new Error(`agent ${name}@${node} was not registered: ${JSON.stringify(agent.inbox)}`)
    return Object.assign(agent, { id: reply.body.agent_id.value as string })
  }

  subscribe(name: string, node: string, info: Record<string, unknown> = {}): Party & { id: () => string } {
    const framework = this.party(name, node)
    framework.send('Subscribe', { framework_info: { user: 'root', name, ...info } })
    this.settle()
    return Object.assign(framework, { id: () => framework.last('Subscribed')!.body.framework_id.value as string })
  }
}

export const cpusOf = (resources: any[]): number => resources.filter(r => r.name === 'cpus').reduce((s, r) => s + r.scalar.value, 0)

export function commandTask(id: string, agentId: string, resources: string, command = 'echo hi'): Record<string, unknown> {
  return {
    name: id,
    task_id: { value: id },
    agent_id: { value: agentId },
    command: { value: command, shell: true },
    resources: resourcesJson(resources),
  }
}

/** The framework accepts its latest offer's first entry to launch `tasks` there. */
export function launchOnLastOffer(f: Party & { id: () => string }, tasks: Record<string, unknown>[]): void {
  const offer = f.last('Offers')!.body.offers[0]
  f.send('Accept', { framework_id: { value: f.id() }, offer_ids: [offer.id], operations: [{ type: 'LAUNCH', launch: { task_infos: tasks } }] })
}

export function resourcesJson(text: string): unknown[] {
  return toJson(parseResources(text))
}
