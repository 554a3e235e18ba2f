// What the master's main thread and its lease worker (cluster/lease-worker-thread.ts) share
// without messages: a SharedArrayBuffer holding the lease's deadline and the main thread's
// heartbeat. A message from the worker waits for the main thread's event loop; a busy main
// thread reads the deadline at once, with one atomic load.
//
// Both sides use process.hrtime: one monotonic clock for every thread of the process (a
// worker's performance.now() has its own origin), which neither NTP steps nor the wall clock move.

const DEADLINE = 0
const HEARTBEAT = 1

export function monotonicNs(): bigint {
  return process.hrtime.bigint()
}

/** Milliseconds on the monotonic clock: the lease worker's election runs on it. */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6
}

export class SharedLease {
  readonly view: BigInt64Array

  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(2 * BigInt64Array.BYTES_PER_ELEMENT)) {
    this.view = new BigInt64Array(buffer)
  }

  /** The worker: until when this process may act as leader (monotonic ms), or never (undefined). */
  setDeadline(ms: number | undefined): void {
    Atomics.store(this.view, DEADLINE, ms === undefined ? 0n : BigInt(Math.floor(ms * 1e6)))
  }

  /** The main thread: cheap enough to ask before each act. */
  valid(): boolean {
    return Atomics.load(this.view, DEADLINE) > monotonicNs()
  }

  /** The main thread: it is alive (its event loop ran). */
  beat(): void {
    Atomics.store(this.view, HEARTBEAT, monotonicNs())
  }

  /** The worker: how long since the main thread last beat. */
  heartbeatAgeMs(): number {
    return Number(monotonicNs() - Atomics.load(this.view, HEARTBEAT)) / 1e6
  }
}
