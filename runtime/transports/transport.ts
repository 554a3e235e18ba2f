/**
 * Moves bytes between subjects. Three implementations pass one conformance suite
 * (test/runtime/transport-conformance.ts): `nats` (real, multi-process), `local` (in-process,
 * still encoded) and `sim` (seeded, virtual time, fault injection).
 *
 * Delivery is always asynchronous to the publisher (never inside publish()), and messages from
 * one publisher to one subject arrive in the order they were published, as over one TCP link.
 */
export type TransportKind = 'nats' | 'local' | 'sim'

export type BytesHandler = (bytes: Uint8Array) => void

/** A message handed as `buffer[start, end)`; the buffer may hold other messages around it. */
export type RangeHandler = (buffer: Uint8Array, start: number, end: number) => void

export interface Subscription {
  readonly subject: string
  /** Messages received by the process for this subject and not yet handed to the handler. */
  pending(): number
  unsubscribe(): void
}

export type TransportStatus = 'connected' | 'disconnected' | 'reconnected' | 'closed'

export interface Transport {
  readonly kind: TransportKind
  subscribe(subject: string, handler: BytesHandler): Subscription
  /**
   * Optional, same contract as subscribe: for a transport that receives several messages in one
   * buffer (NATS frames), handing each as a range spares a view object per message. The runtime
   * uses it when present. The handler must not keep `buffer` past the call.
   */
  subscribeRanges?(subject: string, handler: RangeHandler): Subscription
  /** `fromSubject` lets the sim apply partitions; real transports ignore it. */
  publish(subject: string, bytes: Uint8Array, fromSubject?: string): void
  /** Resolves when everything published so far has left this process (or been delivered). */
  flush(): Promise<void>
  /** Connection changes, for liveness: a dropped connection reports every remote link exited. */
  onStatus(listener: (status: TransportStatus) => void): void
  close(): Promise<void>
}
