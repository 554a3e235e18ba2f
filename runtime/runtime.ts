import { createActor, type AnyActorRef, type AnyStateMachine, type SnapshotFrom } from 'xstate'
import { Type } from '@sinclair/typebox'
import type { Logger } from 'pino'
import { EnvelopeCodec, DecodeError } from './codec.js'
import type { Envelope } from './envelope.js'
import { RealClock, type Clock } from './clock.js'
import { ClosedError, PidError, RequestTimeoutError, TransportError } from './errors.js'
import { RateLimitedLog, silentLogger } from './logger.js'
import { MetricsRegistry, type Counter, type Timer } from './metrics.js'
import { checkClusterPrefix, isValidPid, makePid, nodeOf, subjectOf, type Pid } from './pid.js'
import type { ActorPort, ExitReason, ExitedEvent, MessageEvent, RequestOptions } from './port.js'
import { SchemaRegistry } from './schema-registry.js'
import { DrainQueue } from './drain-queue.js'
import type { RangeHandler, Subscription, Transport, TransportStatus } from './transports/transport.js'

export interface RuntimeOptions {
  transport: Transport
  /** This process's node name: the `@node` half of every pid it hosts. Unique per process. */
  node: string
  /** Subject prefix (`--cluster`), default `mesos`. */
  prefix?: string
  clock?: Clock
  logger?: Logger
  registry?: SchemaRegistry
  metrics?: MetricsRegistry
  /** How often linked remote nodes are pinged (ms). */
  linkPingIntervalMs?: number
  /** A linked node that has not answered a ping for this long is reported exited (ms). */
  linkTimeoutMs?: number
  /** Default request timeout (ms). */
  requestTimeoutMs?: number
  /** Distinguishes this run of the process from a restart under the same node name. */
  incarnation?: string
}

export interface RestartPolicy {
  /** Restart after an action throws, at most `maxRestarts` times within `withinMs`. */
  maxRestarts: number
  withinMs: number
}

export interface SpawnOptions {
  name: string
  /** Merged with `{ port }` into the machine's input. */
  input?: Record<string, unknown>
  restart?: boolean | RestartPolicy
  /**
   * Asked before each message the actor sends or replies: false drops it (counted as
   * `runtime/messages_unsent/may_not_act`). A leader whose lease has run out sends nothing more,
   * even before it has heard that it lost the lease (a thread that stalled past its lease).
   */
  mayAct?: () => boolean
}

/** What spawn() returns to the code that started the actor (in-process only). */
export interface ActorHandle {
  readonly pid: Pid
  /** The current XState actor (a restart replaces it). */
  readonly actor: AnyActorRef
  /** Sends an event straight to the machine, bypassing the bus (in-process API calls). */
  send(event: { type: string; [k: string]: unknown }): void
  getSnapshot(): SnapshotFrom<AnyStateMachine>
  stop(): void
  readonly alive: boolean
}

interface Hosted {
  readonly pid: Pid
  readonly machine: AnyStateMachine
  readonly options: SpawnOptions
  readonly port: ActorPort
  actor: AnyActorRef
  subscription: Subscription
  alive: boolean
  /** The event being handled, so an action's exception can name it. */
  currentType: string
  restarts: number[]
  /** Pids (anywhere) that linked to this actor and get $exited when it goes. */
  readonly watchers: Set<Pid>
  /** Remote pids this actor linked to. */
  readonly linked: Set<Pid>
}

interface PendingRequest {
  readonly resolve: (env: Envelope<any>) => void
  readonly reject: (err: Error) => void
  readonly timer: unknown
}

interface WatchedNode {
  lastPong: number
  /**
   * A message from the node arrived since the last ping round. It proves the node alive as well
   * as a pong does: a peer working through a long backlog answers pings late, but its own
   * messages keep coming (libprocess links break on a closed socket, not on a busy peer).
   */
  heard: boolean
  incarnation: string | undefined
  /** target pid -> local watcher pids */
  readonly targets: Map<Pid, Set<Pid>>
}

const RUNTIME_NAME = '_runtime'

interface InProcessMessage {
  readonly from: Pid
  readonly to: Pid
  readonly type: string
  readonly body: unknown
}

// The runtime's own control messages. Their names start with '$' so they can never collide
// with a domain message, and they are validated like any other message.
const ControlMessages = {
  $ping: Type.Object({ incarnation: Type.String() }),
  $pong: Type.Object({ incarnation: Type.String() }),
  $link: Type.Object({ target: Type.String(), watcher: Type.String() }),
  $unlink: Type.Object({ target: Type.String(), watcher: Type.String() }),
  $exited: Type.Object({ pid: Type.String(), reason: Type.String() }),
}

/** Event handling time is sampled (1 in 16) so measuring does not cost more than handling. */
const TIMING_SAMPLE_MASK = 15

/** Enough for a master talking to 10,000 agents and their executors without re-validating. */
const SUBJECT_CACHE_SIZE = 50_000

/**
 * The libprocess of this project: hosts XState machines as actors addressed by pids, moves
 * their messages over a Transport, validates everything inbound at the edge, and provides
 * request/reply, links (exit notification) and metrics.
 */
export class Runtime {
  readonly node: string
  readonly prefix: string
  readonly clock: Clock
  readonly log: Logger
  readonly registry: SchemaRegistry
  readonly metrics: MetricsRegistry
  readonly incarnation: string
  readonly pid: Pid
  private readonly transport: Transport
  private readonly isSim: boolean
  private readonly codec = new EnvelopeCodec()
  private readonly actors = new Map<Pid, Hosted>()
  private readonly pending = new Map<string, PendingRequest>()
  private readonly subjects = new Map<Pid, string>()
  private readonly nodes = new Map<string, WatchedNode>()
  private readonly dropLog: RateLimitedLog
  private readonly linkPingIntervalMs: number
  private readonly linkTimeoutMs: number
  private readonly requestTimeoutMs: number
  private readonly runtimeSub: Subscription
  /** Bursts come from one sender: remembering the last valid one skips most pid checks. */
  private lastValidSender = ''
  /** The watched node of lastValidSender (reset whenever the watched nodes change). */
  private lastSenderNode: WatchedNode | undefined
  private requestSeq = 0
  private eventSeq = 0
  private pingTimer: unknown
  /** Set while the connection to the bus is down: when it fires, every remote link is reported exited. */
  private disconnectTimer: unknown
  private closed = false

  private readonly received: Counter
  private readonly sent: Counter
  private readonly dropped: Counter
  private readonly actorErrors: Counter
  private readonly handlingTime: Timer
  private readonly receivedByType = new Map<string, Counter>()
  private readonly sentByType = new Map<string, Counter>()
  /**
   * Messages between actors of this runtime. The body is handed over as the sender built it (no
   * copy): a body is not mutated after it is sent, by either side.
   */
  private readonly inProcess = new DrainQueue<InProcessMessage>(m => this.receiveInProcess(m))

  constructor(options: RuntimeOptions) {
    this.transport = options.transport
    this.prefix = checkClusterPrefix(options.prefix ?? 'mesos')
    this.pid = makePid(RUNTIME_NAME, options.node)
    this.node = options.node
    this.clock = options.clock ?? new RealClock()
    this.log = options.logger ?? silentLogger()
    this.registry = options.registry ?? new SchemaRegistry()
    this.registry.registerAll(ControlMessages)
    this.metrics = options.metrics ?? new MetricsRegistry()
    // Generous by default: a busy peer (a master working through a burst of 100,000 tasks) must
    // not look dead. Leaders are found through the lease, not through links, so failover does
    // not wait on this; tests that kill processes set it shorter.
    this.linkPingIntervalMs = options.linkPingIntervalMs ?? 2000
    this.linkTimeoutMs = options.linkTimeoutMs ?? 15_000
    this.requestTimeoutMs = options.requestTimeoutMs ?? 5000
    this.incarnation = options.incarnation ?? `${this.clock.now().toString(36)}-${Math.floor(Math.random() * 2 ** 32).toString(36)}`
    this.dropLog = new RateLimitedLog(() => this.clock.now())

    this.received = this.metrics.counter('runtime/messages_received')
    this.sent = this.metrics.counter('runtime/messages_sent')
    this.dropped = this.metrics.counter('runtime/messages_dropped')
    this.actorErrors = this.metrics.counter('runtime/actor_errors')
    this.handlingTime = this.metrics.timer('runtime/event_handling_ms')
    this.metrics.gauge('runtime/actors', () => this.actors.size)
    this.metrics.gauge('runtime/pending_requests', () => this.pending.size)
    this.metrics.gauge('runtime/mailbox_depth', () => {
      let n = 0
      for (const a of this.actors.values()) n += a.subscription.pending()
      return n + this.inProcess.size
    })
    this.metrics.gauge('runtime/linked_nodes', () => this.nodes.size)

    this.isSim = this.transport.kind === 'sim'
    this.runtimeSub = this.subscribe(subjectOf(this.prefix, this.pid), (buffer, start, end) => this.receiveControl(buffer, start, end))
    this.transport.onStatus(status => this.onTransportStatus(status))
  }

  get transportKind(): string {
    return this.transport.kind
  }

  /** Registers message schemas: inbound messages of other types are dropped at the edge. */
  registerMessages(catalogue: Parameters<SchemaRegistry['registerAll']>[0]): void {
    this.registry.registerAll(catalogue)
  }

  spawn(machine: AnyStateMachine, options: SpawnOptions): ActorHandle {
    if (this.closed) throw new ClosedError('runtime')
    const pid = makePid(options.name, this.node)
    if (options.name.startsWith('_')) throw new PidError(`pid '${pid}': names starting with '_' are reserved for the runtime`)
    if (this.actors.has(pid)) throw new PidError(`pid '${pid}' is already in use in this runtime`)
    const port = this.makePort(pid, options.mayAct)
    const hosted: Hosted = {
      pid,
      machine,
      options,
      port,
      actor: undefined as unknown as AnyActorRef,
      subscription: undefined as unknown as Subscription,
      alive: true,
      currentType: '(start)',
      restarts: [],
      watchers: new Set(),
      linked: new Set(),
    }
    this.actors.set(pid, hosted)
    hosted.actor = this.startActor(hosted)
    hosted.subscription = this.subscribe(subjectOf(this.prefix, pid), (buffer, start, end) => this.receive(hosted, buffer, start, end))
    const runtime = this
    return {
      pid,
      get actor() {
        return hosted.actor
      },
      get alive() {
        return hosted.alive
      },
      send: event => runtime.deliverLocal(hosted, event),
      getSnapshot: () => hosted.actor.getSnapshot(),
      stop: () => runtime.stopActor(hosted, 'stopped'),
    }
  }

  /** Sends from any pid this process speaks for (an actor's, or the runtime's own). */
  send(from: Pid, to: Pid, type: string, body: unknown, id?: string, replyTo?: Pid): void {
    if (this.closed) return
    // An actor of this runtime gets the message without the codec and the bus, as libprocess
    // delivers within a process. Not in simulation, where the network's faults and its seeded
    // order must see every message; not for requests and control messages, which the bus path
    // answers and tracks.
    if (id === undefined && !this.isSim && type.charCodeAt(0) !== 36 /* '$' */ && this.actors.has(to)) {
      this.sent.inc()
      this.countByType(this.sentByType, 'runtime/messages_sent/', type)
      this.inProcess.push({ from, to, type, body })
      return
    }
    const toSubject = this.subjectFor(to)
    if (toSubject === undefined) throw new PidError(`cannot send ${type} to '${to}': not a valid pid (expected name@node)`)
    const bytes = this.codec.encodeMessage(type, from, to, body, id, replyTo)
    this.sent.inc()
    this.countByType(this.sentByType, 'runtime/messages_sent/', type)
    try {
      this.transport.publish(toSubject, bytes, this.isSim ? this.subjectFor(from) : undefined)
    } catch (err) {
      // Too large for the bus: lost like a dropped packet, but loudly. Senders of big payloads
      // (offers, state) split them; this is the backstop.
      if (!(err instanceof TransportError)) throw err
      this.metrics.counter('runtime/messages_unsendable').inc()
      this.log.error({ type, from, to, bytes: bytes.length }, `cannot send ${type} from ${from} to ${to}: ${err.message}`)
    }
  }

  /** Ranges when the transport offers them (no view per message of a NATS frame), else bytes. */
  private subscribe(subject: string, handler: RangeHandler): Subscription {
    if (this.transport.subscribeRanges) return this.transport.subscribeRanges(subject, handler)
    return this.transport.subscribe(subject, bytes => handler(bytes, 0, bytes.length))
  }

  /** Subjects of recently used pids (a pid is validated once, not per message). */
  private subjectFor(pid: Pid): string | undefined {
    let subject = this.subjects.get(pid)
    if (subject === undefined) {
      if (!isValidPid(pid)) return undefined
      if (this.subjects.size >= SUBJECT_CACHE_SIZE) this.subjects.clear()
      this.subjects.set(pid, (subject = subjectOf(this.prefix, pid)))
    }
    return subject
  }

  /** A request from outside any actor (the CLI, a test): the reply comes to the runtime's pid. */
  request<R = unknown>(to: Pid, type: string, body: unknown, options?: RequestOptions): Promise<Envelope<R>> {
    return this.requestFrom(this.pid, to, type, body, options)
  }

  /** Lets bytes reach the wire (NATS) or the receivers (local); for orderly shutdowns and tests. */
  async flush(): Promise<void> {
    await this.inProcess.flush()
    await this.transport.flush()
  }

  actorCount(): number {
    return this.actors.size
  }

  isHosting(pid: Pid): boolean {
    return this.actors.has(pid)
  }

  /** Stops every actor (their watchers hear `stopped`), flushes, and closes the transport. */
  async close(): Promise<void> {
    if (this.closed) return
    for (const hosted of [...this.actors.values()]) this.stopActor(hosted, 'stopped')
    this.closed = true
    if (this.pingTimer !== undefined) this.clock.clearTimeout(this.pingTimer)
    if (this.disconnectTimer !== undefined) this.clock.clearTimeout(this.disconnectTimer)
    for (const [id, p] of this.pending) {
      this.clock.clearTimeout(p.timer)
      p.reject(new ClosedError('runtime'))
      this.pending.delete(id)
    }
    this.runtimeSub.unsubscribe()
    try {
      await this.transport.flush()
    } catch (err) {
      // The bus is gone (a NATS server stopped first): what was still queued is lost, as it would
      // be if this process died. Closing must still finish, so a daemon can stop cleanly.
      this.log.warn({ err: (err as Error).message }, `closing without flushing: ${(err as Error).message}`)
    } finally {
      await this.transport.close()
    }
  }

  // --- hosting -------------------------------------------------------------------------------

  private startActor(hosted: Hosted): AnyActorRef {
    const actor = createActor(hosted.machine, {
      input: { ...hosted.options.input, port: hosted.port },
      clock: this.clock,
      id: hosted.pid,
    })
    actor.subscribe({
      error: err => this.onActorError(hosted, actor, err),
      complete: () => {
        if (hosted.actor === actor && hosted.alive) this.stopActor(hosted, 'stopped')
      },
    })
    actor.start()
    return actor
  }

  private onActorError(hosted: Hosted, actor: AnyActorRef, err: unknown): void {
    if (hosted.actor !== actor || !hosted.alive) return
    this.actorErrors.inc()
    const error = err instanceof Error ? err : new Error(String(err))
    hosted.port.log.error({ err: error, event: hosted.currentType }, `actor ${hosted.pid} failed while handling ${hosted.currentType}: ${error.message}`)
    this.notifyWatchers(hosted, 'error')
    if (this.mayRestart(hosted)) {
      this.metrics.counter('runtime/actor_restarts').inc()
      hosted.port.log.warn({ restarts: hosted.restarts.length }, `restarting actor ${hosted.pid}`)
      hosted.actor = this.startActor(hosted)
      return
    }
    this.stopActor(hosted, 'error')
  }

  private mayRestart(hosted: Hosted): boolean {
    const policy = hosted.options.restart
    if (!policy || this.closed) return false
    const { maxRestarts, withinMs } = policy === true ? { maxRestarts: 10, withinMs: 60_000 } : policy
    const now = this.clock.now()
    hosted.restarts = hosted.restarts.filter(t => now - t < withinMs)
    if (hosted.restarts.length >= maxRestarts) {
      hosted.port.log.error(`actor ${hosted.pid} failed ${maxRestarts} times within ${withinMs} ms: not restarting`)
      return false
    }
    hosted.restarts.push(now)
    return true
  }

  private stopActor(hosted: Hosted, reason: ExitReason): void {
    if (!hosted.alive) return
    hosted.alive = false
    this.actors.delete(hosted.pid)
    hosted.subscription.unsubscribe()
    if (reason !== 'error') this.notifyWatchers(hosted, reason)
    for (const target of hosted.linked) this.forgetLink(hosted.pid, target)
    hosted.actor.stop()
  }

  private notifyWatchers(hosted: Hosted, reason: ExitReason): void {
    for (const watcher of hosted.watchers) this.send(this.pid, watcher, '$exited', { pid: hosted.pid, reason })
    hosted.watchers.clear()
  }

  // --- inbound -------------------------------------------------------------------------------

  private receive(hosted: Hosted, buffer: Uint8Array, start: number, end: number): void {
    this.received.inc()
    let env: Envelope
    try {
      env = this.codec.decodeRange(buffer, start, end)
    } catch (err) {
      this.drop('undecodable', '?', '?', (err as DecodeError).message)
      return
    }
    if (env.to !== hosted.pid) return this.drop('misaddressed', env.from, env.type, `addressed to ${String(env.to)} but arrived at ${hosted.pid}`)
    if (env.from !== this.lastValidSender) {
      if (!isValidPid(env.from)) return this.drop('invalid_sender', String(env.from), env.type, 'from is not a valid pid')
      this.lastValidSender = env.from
      this.lastSenderNode = this.nodes.get(nodeOf(env.from))
    }
    if (this.lastSenderNode !== undefined) this.lastSenderNode.heard = true
    const invalid = this.registry.check(env.type, env.body)
    if (invalid) return this.drop(this.registry.has(env.type) ? 'invalid_body' : 'unknown_type', env.from, env.type, invalid.message)
    this.countByType(this.receivedByType, 'runtime/messages_received/', env.type)

    if (env.id !== undefined && env.replyTo === undefined) return this.resolveReply(env)
    if (env.type.charCodeAt(0) === 36 /* '$' */) return this.receiveControlFor(hosted, env)

    const event: MessageEvent = { type: env.type, from: env.from, body: env.body }
    if (env.id !== undefined) {
      event.id = env.id
      event.replyTo = env.replyTo
    }
    this.deliver(hosted, event)
  }

  /** receive() for a message that never left this runtime: the same checks, minus decoding. */
  private receiveInProcess(m: InProcessMessage): void {
    this.received.inc()
    // Gone since it was sent: lost, as on the bus when nobody subscribes any more.
    const hosted = this.actors.get(m.to)
    if (hosted === undefined) return
    const invalid = this.registry.check(m.type, m.body)
    if (invalid) return this.drop(this.registry.has(m.type) ? 'invalid_body' : 'unknown_type', m.from, m.type, invalid.message)
    this.countByType(this.receivedByType, 'runtime/messages_received/', m.type)
    const event: MessageEvent = { type: m.type, from: m.from, body: m.body }
    this.deliver(hosted, event)
  }

  private deliver(hosted: Hosted, event: { type: string }): void {
    if (!hosted.alive) return
    hosted.currentType = event.type
    if ((++this.eventSeq & TIMING_SAMPLE_MASK) !== 0) {
      hosted.actor.send(event)
      return
    }
    const start = performance.now()
    hosted.actor.send(event)
    this.handlingTime.record(performance.now() - start)
  }

  private deliverLocal(hosted: Hosted, event: { type: string }): void {
    this.deliver(hosted, event)
  }

  private drop(reason: string, from: string, type: string, detail: string): void {
    this.dropped.inc()
    this.metrics.counter(`runtime/messages_dropped/${reason}`).inc()
    const suppressed = this.dropLog.admit(reason)
    if (suppressed === undefined) return
    this.log.warn({ reason, from, type, suppressed }, `dropped inbound message (${reason}) from ${from}: ${detail}`)
  }

  private countByType(map: Map<string, Counter>, prefix: string, type: string): void {
    let c = map.get(type)
    if (!c) {
      // Only registered types get their own key, so garbage cannot grow the registry.
      if (!this.registry.has(type)) return
      map.set(type, (c = this.metrics.counter(prefix + type)))
    }
    c.inc()
  }

  // --- request/reply -------------------------------------------------------------------------

  private requestFrom<R>(from: Pid, to: Pid, type: string, body: unknown, options?: RequestOptions): Promise<Envelope<R>> {
    if (this.closed) return Promise.reject(new ClosedError('runtime'))
    const id = `${this.incarnation}.${++this.requestSeq}`
    const timeoutMs = options?.timeoutMs ?? this.requestTimeoutMs
    return new Promise<Envelope<R>>((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        if (!this.pending.delete(id)) return
        this.metrics.counter('runtime/request_timeouts').inc()
        reject(new RequestTimeoutError(to, type, timeoutMs))
      }, timeoutMs)
      this.pending.set(id, { resolve, reject, timer })
      try {
        this.send(from, to, type, body, id, from)
      } catch (err) {
        this.pending.delete(id)
        this.clock.clearTimeout(timer)
        reject(err as Error)
      }
    })
  }

  private resolveReply(env: Envelope): void {
    const p = this.pending.get(env.id!)
    if (!p) {
      this.metrics.counter('runtime/late_replies').inc()
      return
    }
    this.pending.delete(env.id!)
    this.clock.clearTimeout(p.timer)
    p.resolve(env)
  }

  // --- links and liveness --------------------------------------------------------------------

  private allowedToAct(mayAct: () => boolean): boolean {
    if (mayAct()) return true
    this.metrics.counter('runtime/messages_unsent/may_not_act').inc()
    return false
  }

  private makePort(self: Pid, mayAct?: () => boolean): ActorPort {
    const log = this.log.child({ actor: self })
    return {
      self,
      clock: this.clock,
      log,
      metrics: this.metrics,
      send: (to, type, body) => {
        if (mayAct === undefined || this.allowedToAct(mayAct)) this.send(self, to, type, body)
      },
      request: (to, type, body, options) => this.requestFrom(self, to, type, body, options),
      reply: (request, type, body) => {
        if (request.id === undefined || request.replyTo === undefined) {
          throw new Error(`cannot reply to ${request.type} from ${request.from}: it was not sent as a request`)
        }
        if (mayAct === undefined || this.allowedToAct(mayAct)) this.send(self, request.replyTo, type, body, request.id)
      },
      now: () => this.clock.now(),
      link: target => this.link(self, target),
      unlink: target => this.unlink(self, target),
    }
  }

  private link(watcher: Pid, target: Pid): void {
    if (!isValidPid(target)) throw new PidError(`cannot link to '${target}': not a valid pid`)
    const hosted = this.actors.get(watcher)
    hosted?.linked.add(target)
    const node = nodeOf(target)
    if (node === this.node) {
      const local = this.actors.get(target)
      if (local) local.watchers.add(watcher)
      // Told through the bus like any exit, so it arrives after the link() call returns.
      else this.send(this.pid, watcher, '$exited', { pid: target, reason: 'unknown' })
      return
    }
    let watched = this.nodes.get(node)
    if (!watched) {
      watched = { lastPong: this.clock.now(), heard: false, incarnation: undefined, targets: new Map() }
      this.lastValidSender = ''
      this.nodes.set(node, watched)
      this.send(this.pid, makePid(RUNTIME_NAME, node), '$ping', { incarnation: this.incarnation })
      this.schedulePings()
    }
    let watchers = watched.targets.get(target)
    if (!watchers) watched.targets.set(target, (watchers = new Set()))
    watchers.add(watcher)
    this.send(this.pid, makePid(RUNTIME_NAME, node), '$link', { target, watcher })
  }

  private unlink(watcher: Pid, target: Pid): void {
    this.actors.get(watcher)?.linked.delete(target)
    this.forgetLink(watcher, target)
    const node = nodeOf(target)
    if (node === this.node) this.actors.get(target)?.watchers.delete(watcher)
    else this.send(this.pid, makePid(RUNTIME_NAME, node), '$unlink', { target, watcher })
  }

  private forgetLink(watcher: Pid, target: Pid): void {
    const node = nodeOf(target)
    const watched = this.nodes.get(node)
    if (!watched) return
    const watchers = watched.targets.get(target)
    watchers?.delete(watcher)
    if (watchers && watchers.size === 0) watched.targets.delete(target)
    if (watched.targets.size === 0) this.nodes.delete(node)
  }

  private schedulePings(): void {
    if (this.pingTimer !== undefined || this.closed) return
    this.pingTimer = this.clock.setTimeout(() => {
      this.pingTimer = undefined
      this.pingRound()
      if (this.nodes.size > 0) this.schedulePings()
    }, this.linkPingIntervalMs)
  }

  private pingRound(): void {
    const now = this.clock.now()
    for (const [node, watched] of [...this.nodes]) {
      if (watched.heard) {
        watched.heard = false
        watched.lastPong = now
      }
      // While our own connection is down no pong can arrive: the disconnect timer decides.
      if (now - watched.lastPong >= this.linkTimeoutMs && this.disconnectTimer === undefined) {
        this.nodeGone(node, 'unreachable')
        continue
      }
      this.send(this.pid, makePid(RUNTIME_NAME, node), '$ping', { incarnation: this.incarnation })
    }
  }

  private nodeGone(node: string, reason: ExitReason): void {
    const watched = this.nodes.get(node)
    if (!watched) return
    this.nodes.delete(node)
    for (const [target, watchers] of watched.targets) {
      for (const watcher of watchers) this.exitedLocally(watcher, target, reason)
    }
  }

  private exitedLocally(watcher: Pid, target: Pid, reason: ExitReason): void {
    const hosted = this.actors.get(watcher)
    if (!hosted || !hosted.linked.delete(target)) return
    const event: ExitedEvent = { type: 'exited', pid: target, reason }
    this.deliver(hosted, event)
  }

  /** Messages to the runtime's own pid: pings, pongs, link bookkeeping, replies to its requests. */
  private receiveControl(buffer: Uint8Array, start: number, end: number): void {
    this.received.inc()
    let env: Envelope
    try {
      env = this.codec.decodeRange(buffer, start, end)
    } catch (err) {
      this.drop('undecodable', '?', '?', (err as DecodeError).message)
      return
    }
    if (!isValidPid(env.from)) return this.drop('invalid_sender', String(env.from), env.type, 'from is not a valid pid')
    const invalid = this.registry.check(env.type, env.body)
    if (invalid) return this.drop(this.registry.has(env.type) ? 'invalid_body' : 'unknown_type', env.from, env.type, invalid.message)
    if (env.id !== undefined && env.replyTo === undefined) return this.resolveReply(env)
    const body = env.body as Record<string, string>
    switch (env.type) {
      case '$ping':
        this.send(this.pid, env.from, '$pong', { incarnation: this.incarnation })
        return
      case '$pong': {
        const watched = this.nodes.get(nodeOf(env.from))
        if (!watched) return
        if (watched.incarnation !== undefined && watched.incarnation !== body.incarnation) {
          this.nodeGone(nodeOf(env.from), 'restarted')
          return
        }
        watched.incarnation = body.incarnation
        watched.lastPong = this.clock.now()
        return
      }
      case '$link': {
        const target = this.actors.get(body.target!)
        if (target) target.watchers.add(body.watcher!)
        else this.send(this.pid, body.watcher!, '$exited', { pid: body.target!, reason: 'unknown' })
        return
      }
      case '$unlink':
        this.actors.get(body.target!)?.watchers.delete(body.watcher!)
        return
      default:
        this.drop('unexpected', env.from, env.type, 'not a runtime control message')
    }
  }

  /** Control messages addressed to an actor's pid: today only $exited. */
  private receiveControlFor(hosted: Hosted, env: Envelope): void {
    if (env.type !== '$exited') return this.drop('unexpected', env.from, env.type, `not deliverable to ${hosted.pid}`)
    const body = env.body as { pid: Pid; reason: ExitReason }
    this.forgetLink(hosted.pid, body.pid)
    this.exitedLocally(hosted.pid, body.pid, body.reason)
  }

  /**
   * A dropped connection to the bus says nothing about the peers: with a NATS cluster the client
   * reconnects to another server within a moment, and a peer on another server never noticed.
   * Reporting every remote link exited at once made a master whose NATS server died deactivate
   * all its agents and remove every framework with failover_timeout 0, killing their tasks (the
   * real-process HA test caught it). So links break only if the connection stays down for the
   * link timeout, as an unanswered ping would; on reconnecting, the runtime pings every watched
   * node and links again, so a peer that died or restarted meanwhile (its $exited lost in the
   * gap) is still reported. Other messages lost in the gap are the protocol's to recover, as any
   * lost message is (status updates are retried until acknowledged, pings re-register agents,
   * schedulers reconcile).
   */
  private onTransportStatus(status: TransportStatus): void {
    if (status === 'disconnected') {
      if (this.disconnectTimer !== undefined || this.closed) return
      this.disconnectTimer = this.clock.setTimeout(() => {
        this.disconnectTimer = undefined
        for (const node of [...this.nodes.keys()]) this.nodeGone(node, 'disconnected')
      }, this.linkTimeoutMs)
      return
    }
    if (status !== 'reconnected' || this.disconnectTimer === undefined) return
    this.clock.clearTimeout(this.disconnectTimer)
    this.disconnectTimer = undefined
    const now = this.clock.now()
    for (const [node, watched] of this.nodes) {
      watched.lastPong = now
      watched.heard = false
      const runtime = makePid(RUNTIME_NAME, node)
      this.send(this.pid, runtime, '$ping', { incarnation: this.incarnation })
      for (const [target, watchers] of watched.targets) for (const watcher of watchers) this.send(this.pid, runtime, '$link', { target, watcher })
    }
  }
}
