import type { BytesHandler, Subscription, Transport, TransportStatus } from './transport.js'
import { ClosedError } from '../errors.js'
import { DrainQueue } from '../drain-queue.js'

interface LocalSub {
  handler: BytesHandler
  queued: number
  active: boolean
}

/**
 * The in-process message bus. Messages are queued and drained in one microtask per burst, so a
 * send never re-enters the receiver inside the sender's action, exactly as with a network.
 * Bytes are passed as encoded (no copy): receivers decode them as they would bytes from NATS.
 */
export class LocalBus {
  private readonly subs = new Map<string, LocalSub[]>()
  private readonly queue = new DrainQueue<{ sub: LocalSub; bytes: Uint8Array }>(item => {
    item.sub.queued--
    if (item.sub.active) item.sub.handler(item.bytes)
  })

  subscribe(subject: string, handler: BytesHandler): Subscription {
    const sub: LocalSub = { handler, queued: 0, active: true }
    let list = this.subs.get(subject)
    if (!list) this.subs.set(subject, (list = []))
    list.push(sub)
    return {
      subject,
      pending: () => sub.queued,
      unsubscribe: () => {
        sub.active = false
        const l = this.subs.get(subject)
        if (!l) return
        const i = l.indexOf(sub)
        if (i >= 0) l.splice(i, 1)
        if (l.length === 0) this.subs.delete(subject)
      },
    }
  }

  publish(subject: string, bytes: Uint8Array): void {
    const list = this.subs.get(subject)
    if (!list) return
    for (const sub of list) {
      sub.queued++
      this.queue.push({ sub, bytes })
    }
  }

  flush(): Promise<void> {
    return this.queue.flush()
  }
}

/**
 * One runtime's connection to a LocalBus. Several runtimes in one process (the embedded
 * cluster, tests) share a bus; each closes its own connection without touching the others.
 */
export class LocalTransport implements Transport {
  readonly kind = 'local' as const
  readonly bus: LocalBus
  private readonly mine = new Set<Subscription>()
  private readonly listeners: Array<(s: TransportStatus) => void> = []
  private closed = false

  constructor(bus: LocalBus = new LocalBus()) {
    this.bus = bus
  }

  subscribe(subject: string, handler: BytesHandler): Subscription {
    if (this.closed) throw new ClosedError('local transport')
    const inner = this.bus.subscribe(subject, handler)
    const sub: Subscription = {
      subject,
      pending: inner.pending,
      unsubscribe: () => {
        inner.unsubscribe()
        this.mine.delete(sub)
      },
    }
    this.mine.add(sub)
    return sub
  }

  publish(subject: string, bytes: Uint8Array): void {
    if (!this.closed) this.bus.publish(subject, bytes)
  }

  flush(): Promise<void> {
    return this.bus.flush()
  }

  onStatus(listener: (status: TransportStatus) => void): void {
    this.listeners.push(listener)
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    for (const sub of [...this.mine]) sub.unsubscribe()
    for (const l of this.listeners) l('closed')
  }
}
