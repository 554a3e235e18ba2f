// The main thread's side of the leader lease: starts the lease worker (cluster/lease-worker.js),
// relays its news as callbacks, and answers leaseValid() from the shared deadline without a
// message round trip. The worker ends with stop(): its election released, its connection closed.
import { Worker } from 'node:worker_threads'
import type { Clock } from '../runtime/index.js'
import type { LeaderInfo } from '../actors/master/leader-election.js'
import { SharedLease } from './lease-shared.js'

export interface LeaseWorkerData {
  servers: string[]
  connectionName: string
  bucket: string
  leaseMs: number
  replicas: number
  self: LeaderInfo
  pollMs?: number
  refreshFraction?: number
  watchdogMs: number
  shared: SharedArrayBuffer
}

export type ToLeaseWorker = { type: 'serve' } | { type: 'resign' } | { type: 'stop' }

export type FromLeaseWorker =
  | { type: 'ready' }
  | { type: 'failed'; message: string }
  | { type: 'elected'; epoch: number }
  | { type: 'deposed'; reason: string }
  | { type: 'leader'; leader: LeaderInfo | undefined; epoch: number | undefined }
  | { type: 'warn'; message: string }
  | { type: 'stopped' }

export interface LeaseKeeperOptions extends Omit<LeaseWorkerData, 'shared' | 'watchdogMs'> {
  /** The main thread's timers: its heartbeat runs on them, so it stops when its event loop does. */
  clock: Clock
  /** Give the lease up when the main thread has not run for this long (default: 10 leases). */
  watchdogMs?: number
  onElected(epoch: number): void
  onDeposed(reason: string): void
  onLeader(leader: LeaderInfo | undefined, epoch: number | undefined): void
  onWarn(message: string): void
  /** The worker died of an error: the lease is no longer kept (this process no longer contends). */
  onCrash(err: Error): void
}

export class LeaseWorkerError extends Error {
  override name = 'LeaseWorkerError'
}

/**
 * How long stop() waits for the worker to release and close before terminating it. A release
 * takes milliseconds; with NATS gone it would wait out a request timeout, and an unreleased lease
 * expires by itself anyway.
 */
const STOP_GRACE_MS = 1500

export class LeaseKeeper {
  private heartbeat: unknown
  private stopping: Promise<void> | undefined
  private exited = false

  private constructor(
    private readonly worker: Worker,
    private readonly o: LeaseKeeperOptions,
    private readonly shared: SharedLease,
  ) {}

  static async start(o: LeaseKeeperOptions): Promise<LeaseKeeper> {
    const watchdogMs = o.watchdogMs ?? 10 * o.leaseMs
    const shared = new SharedLease()
    shared.beat()
    const { clock, onElected, onDeposed, onLeader, onWarn, onCrash, ...rest } = o
    const data: LeaseWorkerData = { ...rest, watchdogMs, shared: shared.buffer }
    const worker = new Worker(new URL('./lease-worker.js', import.meta.url), { workerData: data, name: `lease ${o.self.pid}` })
    const keeper = new LeaseKeeper(worker, o, shared)
    // The worker may be elected right after it is ready, and a port delivers a batch of messages
    // in one go: whatever follows 'ready' waits in `early` until the caller of start() holds the keeper.
    const early: FromLeaseWorker[] = []
    let live = false
    await new Promise<void>((resolve, reject) => {
      worker.on('message', (m: FromLeaseWorker) => {
        if (live) keeper.receive(m)
        else if (m.type === 'ready') resolve()
        else if (m.type === 'failed') reject(new LeaseWorkerError(m.message))
        else early.push(m)
      })
      worker.once('error', reject)
      worker.once('exit', code => reject(new LeaseWorkerError(`the lease worker exited (code ${code}) before it was ready`)))
    }).catch(async err => {
      await worker.terminate()
      throw err
    })
    worker.removeAllListeners('error')
    worker.removeAllListeners('exit')
    keeper.listen()
    setImmediate(() => {
      live = true
      for (const m of early.splice(0)) keeper.receive(m)
    })
    return keeper
  }

  private receive(m: FromLeaseWorker): void {
    if (this.stopping && m.type !== 'deposed') return
    if (m.type === 'elected') this.o.onElected(m.epoch)
    else if (m.type === 'deposed') this.o.onDeposed(m.reason)
    else if (m.type === 'leader') this.o.onLeader(m.leader, m.epoch)
    else if (m.type === 'warn') this.o.onWarn(m.message)
  }

  private listen(): void {
    this.worker.on('error', err => {
      this.shared.setDeadline(undefined)
      this.o.onCrash(err)
    })
    this.worker.on('exit', () => {
      this.exited = true
      this.shared.setDeadline(undefined)
    })
    this.beat()
  }

  private beat(): void {
    this.shared.beat()
    // A quarter lease: the watchdog allows ten leases, so a beat late by seconds is no alarm.
    this.heartbeat = this.o.clock.setTimeout(() => this.beat(), Math.max(10, Math.floor(this.o.leaseMs / 4)))
  }

  /** The worker thread is still there (false once stop() resolved, or it died). */
  get running(): boolean {
    return !this.exited
  }

  /**
   * Whether this process still holds the lease, by the monotonic clock and the deadline the worker
   * last wrote: false as soon as it may have expired, even while this thread has not yet heard of
   * the worker's step-down. One atomic load: ask it before acting.
   */
  leaseValid(): boolean {
    return this.shared.valid()
  }

  /** The master has recovered and runs: the worker announces it in the lease at once. */
  serve(): void {
    this.send({ type: 'serve' })
  }

  /** Leadership found lost elsewhere (the registry's fence): stop trusting the lease now, step down. */
  resign(): void {
    this.shared.setDeadline(undefined)
    this.send({ type: 'resign' })
  }

  private send(m: ToLeaseWorker): void {
    if (!this.exited) this.worker.postMessage(m)
  }

  /** Releases the lease (a standby takes over at once) and ends the worker and its connection. */
  stop(): Promise<void> {
    this.stopping ??= this.doStop()
    return this.stopping
  }

  private async doStop(): Promise<void> {
    this.o.clock.clearTimeout(this.heartbeat)
    if (this.exited) return
    const exited = new Promise<void>(resolve => this.worker.once('exit', () => resolve()))
    this.worker.postMessage({ type: 'stop' } satisfies ToLeaseWorker)
    let timer: unknown
    const grace = new Promise<'late'>(resolve => (timer = this.o.clock.setTimeout(() => resolve('late'), STOP_GRACE_MS)))
    const outcome = await Promise.race([exited, grace])
    this.o.clock.clearTimeout(timer)
    if (outcome === 'late') await this.worker.terminate()
    this.shared.setDeadline(undefined)
  }
}
