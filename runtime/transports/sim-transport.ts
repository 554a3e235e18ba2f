import type { BytesHandler, Subscription, Transport, TransportStatus } from './transport.js'
import type { SimClock } from '../clock.js'
import { Prng, fingerprint } from '../prng.js'
import { pidOfSubject, nodeOf, type Pid } from '../pid.js'

export interface SimNetworkOptions {
  seed: number
  clock: SimClock
  /** The cluster prefix, to map subjects back to pids for partitions and traces. */
  prefix?: string
  minDelayMs?: number
  maxDelayMs?: number
  /** Keep a delivery trace (tests of determinism read it). */
  trace?: boolean
}

interface SimSub {
  readonly endpoint: SimTransport
  readonly handler: BytesHandler
  active: boolean
  inFlight: number
}

/**
 * One simulated network shared by every runtime of a simulation. A seeded PRNG picks each
 * message's delay (hence the interleaving between senders) and the faults; the SimClock fires
 * deliveries. Messages from one sender to one subject stay in order (like a TCP link) unless a
 * fault duplicates them. The same seed and the same inputs give the same trace, byte for byte.
 *
 * Partition entries are pids (`agent-1@h1`) or whole nodes (`@h1`).
 */
export class SimNetwork {
  readonly clock: SimClock
  readonly prefix: string
  private readonly prng: Prng
  private minDelay: number
  private maxDelay: number
  private dropRate = 0
  private duplicateRate = 0
  private partitions: Array<[Set<string>, Set<string>]> = []
  private readonly subs = new Map<string, SimSub[]>()
  private readonly lastDelivery = new Map<string, number>()
  readonly traceLines: string[] | undefined
  stats = { sent: 0, delivered: 0, dropped: 0, duplicated: 0, partitioned: 0, noSubscriber: 0 }

  constructor(opts: SimNetworkOptions) {
    this.clock = opts.clock
    this.prefix = opts.prefix ?? 'mesos'
    this.prng = new Prng(opts.seed)
    this.minDelay = opts.minDelayMs ?? 1
    this.maxDelay = opts.maxDelayMs ?? 5
    this.traceLines = opts.trace ? [] : undefined
  }

  /** A transport for one runtime (one simulated process). */
  endpoint(name = 'endpoint'): SimTransport {
    return new SimTransport(this, name)
  }

  setDelay(minMs: number, maxMs: number): void {
    this.minDelay = minMs
    this.maxDelay = Math.max(minMs, maxMs)
  }
  setDropRate(p: number): void {
    this.dropRate = p
  }
  setDuplicateRate(p: number): void {
    this.duplicateRate = p
  }
  /** Cuts every message between a member of `a` and a member of `b`, both ways. */
  partition(a: Iterable<string>, b: Iterable<string>): void {
    this.partitions.push([new Set(a), new Set(b)])
  }
  heal(): void {
    this.partitions = []
  }

  /** A random source derived from this network's, for harnesses that want one seed for all. */
  get random(): Prng {
    return this.prng
  }

  trace(): string {
    return (this.traceLines ?? []).join('\n')
  }

  /** @internal */
  addSub(subject: string, sub: SimSub): void {
    let list = this.subs.get(subject)
    if (!list) this.subs.set(subject, (list = []))
    list.push(sub)
  }

  /** @internal */
  removeSub(subject: string, sub: SimSub): void {
    const list = this.subs.get(subject)
    if (!list) return
    const i = list.indexOf(sub)
    if (i >= 0) list.splice(i, 1)
    if (list.length === 0) this.subs.delete(subject)
  }

  /** @internal */
  send(fromSubject: string | undefined, toSubject: string, bytes: Uint8Array): void {
    this.stats.sent++
    const from = (fromSubject && pidOfSubject(this.prefix, fromSubject)) || fromSubject || '?'
    const to = pidOfSubject(this.prefix, toSubject) ?? toSubject
    if (this.isPartitioned(from, to)) {
      this.stats.partitioned++
      this.record('cut', from, to, bytes)
      return
    }
    if (this.prng.chance(this.dropRate)) {
      this.stats.dropped++
      this.record('drop', from, to, bytes)
      return
    }
    const copies = this.prng.chance(this.duplicateRate) ? 2 : 1
    if (copies === 2) this.stats.duplicated++
    const link = `${from}>${to}`
    for (let c = 0; c < copies; c++) {
      const delay = this.prng.int(this.minDelay, this.maxDelay)
      // FIFO per link: never deliver before the previous message on the same link.
      const at = Math.max(this.clock.now() + delay, this.lastDelivery.get(link) ?? 0)
      this.lastDelivery.set(link, at)
      const targets = this.subs.get(toSubject)
      if (targets) for (const t of targets) t.inFlight++
      this.clock.setTimeout(() => this.deliver(from, to, toSubject, bytes, targets), at - this.clock.now())
    }
  }

  private deliver(from: string, to: string, subject: string, bytes: Uint8Array, targetsAtSend: SimSub[] | undefined): void {
    if (targetsAtSend) for (const t of targetsAtSend) t.inFlight--
    // A partition made while the message was in flight cuts it too.
    if (this.isPartitioned(from, to)) {
      this.stats.partitioned++
      this.record('cut', from, to, bytes)
      return
    }
    const list = this.subs.get(subject)
    if (!list || list.length === 0) {
      this.stats.noSubscriber++
      this.record('nosub', from, to, bytes)
      return
    }
    this.stats.delivered++
    this.record('deliver', from, to, bytes)
    for (const sub of [...list]) if (sub.active && sub.endpoint.isUp) sub.handler(bytes)
  }

  private isPartitioned(from: string, to: string): boolean {
    if (this.partitions.length === 0) return false
    for (const [a, b] of this.partitions) {
      if ((SimNetwork.member(a, from) && SimNetwork.member(b, to)) || (SimNetwork.member(b, from) && SimNetwork.member(a, to))) return true
    }
    return false
  }

  private static member(set: Set<string>, pid: Pid): boolean {
    return set.has(pid) || (pid.includes('@') && set.has(`@${nodeOf(pid)}`))
  }

  private record(kind: string, from: string, to: string, bytes: Uint8Array): void {
    this.traceLines?.push(`${this.clock.now()} ${kind} ${from}>${to} ${bytes.length}:${fingerprint(bytes)}`)
  }
}

export class SimTransport implements Transport {
  readonly kind = 'sim' as const
  private readonly mine = new Map<string, SimSub[]>()
  private readonly listeners: Array<(s: TransportStatus) => void> = []
  private up = true

  constructor(
    readonly network: SimNetwork,
    readonly name: string,
  ) {}

  get isUp(): boolean {
    return this.up
  }

  subscribe(subject: string, handler: BytesHandler): Subscription {
    const sub: SimSub = { endpoint: this, handler, active: true, inFlight: 0 }
    this.network.addSub(subject, sub)
    let list = this.mine.get(subject)
    if (!list) this.mine.set(subject, (list = []))
    list.push(sub)
    return {
      subject,
      pending: () => sub.inFlight,
      unsubscribe: () => {
        sub.active = false
        this.network.removeSub(subject, sub)
      },
    }
  }

  publish(subject: string, bytes: Uint8Array, fromSubject?: string): void {
    if (!this.up) return
    this.network.send(fromSubject, subject, bytes)
  }

  async flush(): Promise<void> {}

  onStatus(listener: (status: TransportStatus) => void): void {
    this.listeners.push(listener)
  }

  /** A process crash: everything this endpoint subscribed vanishes, nobody is told. */
  crash(): void {
    this.up = false
    for (const [subject, list] of this.mine) for (const sub of list) this.network.removeSub(subject, sub)
    this.mine.clear()
  }

  /** The connection to the bus drops (the runtime reports its remote links exited) and returns. */
  disconnect(): void {
    this.up = false
    for (const l of this.listeners) l('disconnected')
  }
  reconnect(): void {
    this.up = true
    for (const l of this.listeners) l('reconnected')
  }

  async close(): Promise<void> {
    this.crash()
    for (const l of this.listeners) l('closed')
  }
}
