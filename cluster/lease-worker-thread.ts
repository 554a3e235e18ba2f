// The leader lease, kept off the master's main thread (loaded through cluster/lease-worker.js).
// During a 100,000-task launch burst at 10,000 agents the master's heap nears 1 GB and its event
// loop stalls for over 1.5 s (GC, big batches): a refresh timer on that thread fired too late and
// the leader lost its 3 s lease mid-burst. Here the LeaderElection runs on this thread's own event
// loop, over its own NATS connection, and tells the main thread by message (elected, deposed,
// leader) and by the shared deadline (cluster/lease-shared.ts), which the main thread reads
// without waiting for its event loop.
import { parentPort, workerData } from 'node:worker_threads'
import { connect, type NatsConnection } from '@nats-io/transport-node'
import { RealClock, type Clock } from '../runtime/index.js'
import { LeaderElection } from '../actors/master/leader-election.js'
import { JetStreamLeaseStore } from './jetstream-lease-store.js'
import { SharedLease, monotonicMs } from './lease-shared.js'
import type { LeaseWorkerData, ToLeaseWorker, FromLeaseWorker } from './lease-keeper.js'

const data = workerData as LeaseWorkerData
const port = parentPort!
const shared = new SharedLease(data.shared)
const post = (m: FromLeaseWorker): void => port.postMessage(m)

// Monotonic, not Date.now(): the election measures durations (its lease, a standby's observation),
// and a wall clock stepped by NTP would stretch or shrink them.
const timers = new RealClock()
const clock: Clock = { now: monotonicMs, setTimeout: (fn, ms) => timers.setTimeout(fn, ms), clearTimeout: h => timers.clearTimeout(h) }

async function open(): Promise<{ nc: NatsConnection; store: JetStreamLeaseStore } | undefined> {
  let conn: NatsConnection | undefined
  try {
    // Reconnect for ever: a lease connection that gave up would leave this master unable to lead.
    conn = await connect({ servers: data.servers, name: data.connectionName, maxReconnectAttempts: -1, reconnectTimeWait: 250 })
    return { nc: conn, store: await JetStreamLeaseStore.open(conn, { bucket: data.bucket, leaseMs: data.leaseMs, replicas: data.replicas }) }
  } catch (err) {
    post({ type: 'failed', message: (err as Error).message })
    await conn?.close().catch(() => {})
    return undefined
  }
}
const opened = await open()
if (!opened) {
  port.close()
  process.exit(0)
}
const { nc, store } = opened

const election = new LeaderElection({
  store,
  clock,
  self: data.self,
  leaseMs: data.leaseMs,
  pollMs: data.pollMs,
  refreshFraction: data.refreshFraction,
  onLease: deadline => shared.setDeadline(deadline),
  onElected: epoch => post({ type: 'elected', epoch }),
  onDeposed: reason => post({ type: 'deposed', reason }),
  onLeader: (leader, epoch) => post({ type: 'leader', leader, epoch }),
  onError: err => post({ type: 'warn', message: (err as Error).message }),
})

// The watchdog: a main thread that has not beaten for watchdogMs is hung (or spinning), and a
// leader that cannot act must not hold the lease forever. Give it up (released, so a standby takes
// over at once) and stay out of the contest until the main thread beats again.
let paused = false
const watchdog = setInterval(() => {
  const hung = shared.heartbeatAgeMs() > data.watchdogMs
  if (hung && !paused) {
    paused = true
    post({ type: 'warn', message: `the main thread has not run for ${Math.round(shared.heartbeatAgeMs())} ms: giving up the lease` })
    void election.stop()
  } else if (!hung && paused) {
    paused = false
    election.start()
  }
}, Math.max(50, Math.min(data.leaseMs, data.watchdogMs / 4)))

port.on('message', (m: ToLeaseWorker) => {
  if (m.type === 'serve') election.serve()
  else if (m.type === 'resign') election.resign()
  else if (m.type === 'stop') void stop()
})

async function stop(): Promise<void> {
  clearInterval(watchdog)
  await election.stop()
  await nc.close().catch(() => {})
  post({ type: 'stopped' })
  port.close()
}

election.start()
post({ type: 'ready' })
