import { connect, type NatsConnection, type ConnectionOptions } from '@nats-io/transport-node'
import type { BytesHandler, Subscription, Transport, TransportStatus } from './transport.js'
import { TransportError } from '../errors.js'

export interface NatsTransportOptions {
  /** `nats://host:4222`, or several for a NATS cluster. */
  servers: string | string[]
  /** Shown in the server's connection list (`mesos-ts master m1`). */
  name?: string
  user?: string
  pass?: string
  token?: string
  /** Keep trying forever by default: a daemon outlives a NATS restart. */
  maxReconnectAttempts?: number
  reconnectTimeWaitMs?: number
  /** How long the first connect may take before it fails with a TransportError. */
  timeoutMs?: number
}

/**
 * The real transport: one NATS connection per runtime. publish() never waits: nats.js appends
 * to its outbound buffer and flushes in batches, which is where the throughput comes from.
 * Handlers run from the subscription callback (no async iterator per message).
 */
export class NatsTransport implements Transport {
  readonly kind = 'nats' as const
  private readonly listeners: Array<(s: TransportStatus) => void> = []
  private closed = false

  private constructor(readonly connection: NatsConnection) {
    void this.watchStatus()
  }

  static async connect(opts: NatsTransportOptions): Promise<NatsTransport> {
    const options: ConnectionOptions = {
      servers: opts.servers,
      name: opts.name,
      user: opts.user,
      pass: opts.pass,
      token: opts.token,
      maxReconnectAttempts: opts.maxReconnectAttempts ?? -1,
      reconnectTimeWait: opts.reconnectTimeWaitMs ?? 250,
      timeout: opts.timeoutMs ?? 5000,
    }
    try {
      return new NatsTransport(await connect(options))
    } catch (err) {
      const servers = Array.isArray(opts.servers) ? opts.servers.join(',') : opts.servers
      throw new TransportError(`cannot connect to NATS at ${servers}: ${(err as Error).message} (is nats-server running? 'mesos-ts nats' starts one)`)
    }
  }

  subscribe(subject: string, handler: BytesHandler): Subscription {
    const sub = this.connection.subscribe(subject, {
      callback: (err, msg) => {
        if (!err) handler(msg.data)
      },
    })
    return {
      subject,
      pending: () => sub.getPending(),
      unsubscribe: () => sub.unsubscribe(),
    }
  }

  publish(subject: string, bytes: Uint8Array): void {
    if (this.closed) return
    this.connection.publish(subject, bytes)
  }

  flush(): Promise<void> {
    return this.connection.flush()
  }

  onStatus(listener: (status: TransportStatus) => void): void {
    this.listeners.push(listener)
  }

  private async watchStatus(): Promise<void> {
    for await (const s of this.connection.status()) {
      const mapped: TransportStatus | undefined = s.type === 'disconnect' ? 'disconnected' : s.type === 'reconnect' ? 'reconnected' : undefined
      if (mapped) for (const l of this.listeners) l(mapped)
    }
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    try {
      await this.connection.drain()
    } catch {
      await this.connection.close().catch(() => {})
    }
    for (const l of this.listeners) l('closed')
  }
}
