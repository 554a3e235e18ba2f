// A transport decorator for the simulation: it hands every message to the sim endpoint it wraps
// and keeps the most recent ones (bytes, sender, time) in a ring, so that a failure report can
// print the last trace lines with their message types and bodies, and so that the leader
// invariant can see which master node acted. It observes only; the bytes are never changed.
import type { BytesHandler, SimTransport, Subscription, Transport, TransportStatus } from '../../runtime/index.js'

export interface TappedMessage {
  readonly at: number
  readonly endpoint: string
  readonly bytes: Uint8Array
}

/** The last `capacity` messages published by any tapped endpoint of one world, oldest first. */
export class MessageRing {
  private readonly items: Array<TappedMessage | undefined>
  private next = 0
  private count = 0

  constructor(readonly capacity: number) {
    this.items = new Array(capacity)
  }

  push(m: TappedMessage): void {
    this.items[this.next] = m
    this.next = (this.next + 1) % this.capacity
    if (this.count < this.capacity) this.count++
  }

  toArray(): TappedMessage[] {
    const out: TappedMessage[] = []
    for (let i = 0; i < this.count; i++) out.push(this.items[(this.next - this.count + i + this.capacity) % this.capacity]!)
    return out
  }
}

export class TapTransport implements Transport {
  readonly kind = 'sim' as const

  constructor(
    readonly inner: SimTransport,
    private readonly ring: MessageRing,
    private readonly now: () => number,
    /** Names this process's incarnation (`m1#2`) to `onPublish`. */
    private readonly label: string,
    /** Called for every message that actually leaves a live endpoint. */
    private readonly onPublish?: (label: string, bytes: Uint8Array) => void,
  ) {}

  subscribe(subject: string, handler: BytesHandler): Subscription {
    return this.inner.subscribe(subject, handler)
  }

  publish(subject: string, bytes: Uint8Array, fromSubject?: string): void {
    if (this.inner.isUp) {
      this.ring.push({ at: this.now(), endpoint: this.inner.name, bytes })
      this.onPublish?.(this.label, bytes)
    }
    this.inner.publish(subject, bytes, fromSubject)
  }

  flush(): Promise<void> {
    return this.inner.flush()
  }

  onStatus(listener: (status: TransportStatus) => void): void {
    this.inner.onStatus(listener)
  }

  close(): Promise<void> {
    return this.inner.close()
  }
}

/**
 * Whether an encoded envelope may be of type `type`, without decoding it: the type is the
 * envelope's first field, so its bytes appear within the first few bytes of the message. A
 * cheap filter (a longer type with the same prefix also passes); decode to be sure.
 */
export function mayBeType(bytes: Uint8Array, type: string): boolean {
  const limit = Math.min(12, bytes.length - type.length)
  outer: for (let at = 0; at <= limit; at++) {
    for (let i = 0; i < type.length; i++) if (bytes[at + i] !== type.charCodeAt(i)) continue outer
    return true
  }
  return false
}

/** Whether `pid` appears in the envelope (as its sender, for a node's own messages): cheap, no decode. */
export function mayBeFrom(bytes: Uint8Array, pid: string): boolean {
  const limit = Math.min(256, bytes.length - pid.length)
  outer: for (let at = 0; at <= limit; at++) {
    for (let i = 0; i < pid.length; i++) if (bytes[at + i] !== pid.charCodeAt(i)) continue outer
    return true
  }
  return false
}
