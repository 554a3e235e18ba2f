// What the master, agent and execute commands share: a runtime on NATS, built from flags,
// with errors a person can act on.
import { NatsTransport, Runtime, TransportError, type Logger } from '../../runtime/index.js'
import { ProtocolMessages } from '../../actors/protocol/index.js'
import { CommandError } from './command.js'

export async function natsRuntime(options: { servers: string[]; node: string; prefix: string; name: string; log: Logger }): Promise<Runtime> {
  let transport: NatsTransport
  try {
    transport = await NatsTransport.connect({ servers: options.servers, name: options.name })
  } catch (err) {
    if (err instanceof TransportError) throw new CommandError(err.message)
    throw err
  }
  const runtime = new Runtime({ transport, node: options.node, prefix: options.prefix, logger: options.log })
  runtime.registerMessages(ProtocolMessages)
  return runtime
}

/** Resolves when the command's signal aborts (SIGINT/SIGTERM). */
export function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve()
  return new Promise(resolve => signal.addEventListener('abort', () => resolve(), { once: true }))
}

export function millis(d: { ms: number } | undefined, fallback: number): number {
  return d === undefined ? fallback : d.ms
}
