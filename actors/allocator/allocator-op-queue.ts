import type { AllocatorOp } from './allocator-machine.js'

/**
 * Allocator ops a sender has issued and not yet handed to the allocator actor, in the order
 * issued. The sender sends them as one `Ops` event per turn; the allocator also takes what is
 * left before each cycle. Both ends are in one process (the master and its child allocator).
 */
export class AllocatorOpQueue {
  private ops: AllocatorOp[] = []

  get size(): number {
    return this.ops.length
  }

  push(op: AllocatorOp): void {
    this.ops.push(op)
  }

  /** Everything queued, handed over as it is (no copy); the queue starts empty again. */
  take(): AllocatorOp[] {
    const ops = this.ops
    this.ops = []
    return ops
  }
}
