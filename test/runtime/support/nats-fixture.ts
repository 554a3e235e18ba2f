// Starts a real nats-server for a test and stops it in teardown, or says why the test skips.
import type { Test } from 'tap'
import { natsServerPath, startNatsServer, type NatsServer } from '../../../cluster/nats-server.js'

export const natsSkipReason = natsServerPath() ? false : 'nats-server is not installed (apt-get install -y nats-server)'

export async function natsServerFor(t: Test): Promise<NatsServer> {
  const server = await startNatsServer({ jetstream: false })
  t.teardown(() => server.stop())
  return server
}

/** Polls a condition on real time with a deadline (for multi-process tests, never for timing). */
export async function eventually(cond: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise(r => setTimeout(r, 10))
  }
}
