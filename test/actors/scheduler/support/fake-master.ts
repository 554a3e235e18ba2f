// A stand-in master for scheduler tests: records every message it receives and answers
// Subscribe (after ignoring the first few, to exercise the driver's backoff). Everything else
// the test drives by hand with `world.toScheduler(...)`.
import { Writable } from 'node:stream'
import { pino } from 'pino'
import { setup } from 'xstate'
import { Runtime, SimClock, SimNetwork, type ActorHandle, type ActorPort, type MessageEvent, type Pid } from '../../../../runtime/index.js'
import { SchedulerMessages, type ProtocolBody, type SchedulerMessageType } from '../../../../actors/protocol/index.js'

export interface FakeMasterInput {
  port: ActorPort
  /** Subscribes to ignore before answering one (0: answer the first). Infinity: never answer. */
  ignoreSubscribes?: number
  /** The id given to a framework that subscribes without one. */
  frameworkId?: string
  heartbeatIntervalSeconds?: number
}

export interface Received {
  type: string
  from: Pid
  body: any
  /** Virtual time of arrival. */
  at: number
}

interface FakeMasterContext {
  port: ActorPort
  options: FakeMasterInput
  received: Received[]
  subscribes: { n: number }
}

const CALLS = ['Subscribe', 'Teardown', 'Accept', 'Decline', 'Revive', 'Suppress', 'Kill', 'Shutdown', 'Acknowledge', 'Reconcile', 'Message', 'Request'] as const

export const fakeMasterMachine = setup({
  types: {
    context: {} as FakeMasterContext,
    events: {} as MessageEvent,
    input: {} as FakeMasterInput,
  },
}).createMachine({
  id: 'fake-master',
  context: ({ input }) => ({ port: input.port, options: input, received: [], subscribes: { n: 0 } }),
  on: Object.fromEntries(
    CALLS.map(type => [
      type,
      {
        actions: ({ context, event }: { context: FakeMasterContext; event: MessageEvent }) => {
          context.received.push({ type: event.type, from: event.from, body: event.body, at: context.port.now() })
          if (event.type !== 'Subscribe') return
          const n = context.subscribes.n++
          if (n < (context.options.ignoreSubscribes ?? 0)) return
          const body = event.body as ProtocolBody<'Subscribe'>
          const answer: ProtocolBody<'Subscribed'> = {
            framework_id: body.framework_info.id ?? { value: context.options.frameworkId ?? 'fw-1' },
            master_info: { id: 'master-run-1', ip: 0x7f000001, port: 5050, pid: context.port.self, hostname: 'localhost' },
          }
          if (context.options.heartbeatIntervalSeconds !== undefined) answer.heartbeat_interval_seconds = context.options.heartbeatIntervalSeconds
          context.port.send(event.from, 'Subscribed', answer)
        },
      },
    ]),
  ),
})

export interface LogLine {
  level: number
  msg: string
  [k: string]: unknown
}

/** Two simulated processes, a master node `m1` and a scheduler node `s1`, on one SimNetwork. */
export class SimWorld {
  readonly clock = new SimClock()
  readonly net: SimNetwork
  readonly masterRuntime: Runtime
  readonly runtime: Runtime
  /** The scheduler runtime's log lines (warn and above are what tests read). */
  readonly logs: LogLine[] = []
  master!: ActorHandle

  constructor(masterOptions: Omit<FakeMasterInput, 'port'> = {}, seed = 1) {
    this.net = new SimNetwork({ seed, clock: this.clock, minDelayMs: 1, maxDelayMs: 1 })
    this.masterRuntime = this.makeRuntime('m1')
    const sink = new Writable({
      write: (chunk, _enc, done) => {
        for (const line of chunk.toString().split('\n')) if (line) this.logs.push(JSON.parse(line))
        done()
      },
    })
    this.runtime = this.makeRuntime('s1', pino({ level: 'debug' }, sink))
    this.startMaster(masterOptions)
  }

  makeRuntime(node: string, logger?: pino.Logger): Runtime {
    const rt = new Runtime({ transport: this.net.endpoint(node), node, clock: this.clock, linkPingIntervalMs: 100, linkTimeoutMs: 500, logger })
    rt.registerMessages(SchedulerMessages)
    return rt
  }

  /** (Re)starts the fake master as `master@m1` (or `name`). */
  startMaster(options: Omit<FakeMasterInput, 'port'> = {}, name = 'master', runtime = this.masterRuntime): ActorHandle {
    this.master = runtime.spawn(fakeMasterMachine, { name, input: { ...options } })
    return this.master
  }

  /** Everything the current master received, optionally of one type. */
  received(type?: SchedulerMessageType, master = this.master): Received[] {
    const all = (master.getSnapshot().context as FakeMasterContext).received
    return type === undefined ? all : all.filter(r => r.type === type)
  }

  /** Sends an event from the master to the scheduler, as the master would. */
  toScheduler<T extends SchedulerMessageType>(to: Pid, type: T, body: ProtocolBody<T>, from = this.master.pid): void {
    const rt = from.endsWith('@m1') ? this.masterRuntime : this.runtime
    rt.send(from, to, type, body)
  }

  /** Runs virtual time forward, letting promise continuations run between timers. */
  advance(ms: number): Promise<void> {
    return this.clock.advanceAsync(ms)
  }

  warnings(): LogLine[] {
    return this.logs.filter(l => l.level === 40)
  }

  async close(): Promise<void> {
    await this.runtime.close()
    await this.masterRuntime.close()
  }
}
