// A FIFO of in-process deliveries, drained after the current action like a network would deliver
// them: the first batch in a microtask (a send never re-enters its receiver inside the sender's
// action), later batches in setImmediate so that a long burst lets timers and sockets in between.

const DRAIN_BATCH = 50_000
const COMPACT_AT = 100_000

export class DrainQueue<T> {
  private queue: Array<T | undefined> = []
  private head = 0
  private draining = false

  constructor(private readonly handle: (item: T) => void) {}

  push(item: T): void {
    this.queue.push(item)
    if (!this.draining) {
      this.draining = true
      queueMicrotask(this.drain)
    }
  }

  get size(): number {
    return this.queue.length - this.head
  }

  /** Resolves once everything queued (and queued meanwhile) has been handled. */
  async flush(): Promise<void> {
    while (this.draining) await new Promise(r => setImmediate(r))
  }

  private readonly drain = (): void => {
    const q = this.queue
    let i = this.head
    const stop = i + DRAIN_BATCH
    while (i < q.length && i < stop) {
      const item = q[i]!
      q[i++] = undefined
      this.handle(item)
    }
    if (i >= q.length) {
      this.queue = []
      this.head = 0
      this.draining = false
      return
    }
    if (i > COMPACT_AT) {
      this.queue = q.slice(i)
      this.head = 0
    } else {
      this.head = i
    }
    setImmediate(this.drain)
  }
}
