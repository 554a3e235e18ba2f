import { MinHeap } from './min-heap.js'

/**
 * The one source of time. XState receives it in `createActor(..., { clock })`, so `after`
 * delays follow it; the runtime's own timers (request timeouts, link pings) use it too.
 * Nothing else in the project may call Date.now() or setTimeout for protocol time.
 */
export interface Clock {
  now(): number
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

export class RealClock implements Clock {
  /**
   * Timers keep the process alive by default: an embedded cluster on the in-process bus has no
   * socket holding the event loop open, only its timers. Runtimes and actors clear theirs when
   * they close, so a finished process still exits.
   */
  constructor(private readonly unref = false) {}

  now(): number {
    return Date.now()
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const handle = setTimeout(fn, ms)
    if (this.unref) handle.unref()
    return handle
  }
  clearTimeout(handle: unknown): void {
    clearTimeout(handle as NodeJS.Timeout)
  }
}

interface SimTimer {
  readonly id: number
  readonly at: number
  readonly seq: number
  readonly fn: () => void
}

/**
 * Virtual time for tests and simulation (libprocess's Clock::pause/advance). Timers fire only
 * when the test advances time, in deadline order, so a run is reproducible to the event.
 */
export class SimClock implements Clock {
  private current: number
  private seq = 0
  // Equal deadlines fire in the order they were set.
  private readonly heap = new MinHeap<SimTimer>((x, y) => x.at < y.at || (x.at === y.at && x.seq < y.seq))
  private readonly cancelled = new Set<number>()
  private readonly live = new Set<number>()

  constructor(start = 0) {
    this.current = start
  }

  now(): number {
    return this.current
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0
    this.heap.push({ id, at: this.current + delay, seq: id, fn })
    this.live.add(id)
    return id
  }

  clearTimeout(handle: unknown): void {
    if (typeof handle === 'number' && this.live.delete(handle)) this.cancelled.add(handle)
  }

  /** Timers set and not yet fired or cancelled. */
  get pending(): number {
    return this.live.size
  }

  /** The deadline of the next live timer, if any. */
  nextDeadline(): number | undefined {
    this.dropCancelledHead()
    return this.heap.peek()?.at
  }

  /** Fires the next due timer at or before `limit`; returns false when there is none. */
  step(limit = Infinity): boolean {
    this.dropCancelledHead()
    const next = this.heap.peek()
    if (!next || next.at > limit) return false
    this.heap.pop()
    this.live.delete(next.id)
    if (next.at > this.current) this.current = next.at
    next.fn()
    return true
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way, in order. */
  advance(ms: number): void {
    const target = this.current + Math.max(0, ms)
    while (this.step(target)) {
      /* fire */
    }
    this.current = target
  }

  /**
   * Fires timers until none is left (time jumps to each deadline). `maxSteps` guards against a
   * periodic timer that re-arms forever; it returns the number of timers fired.
   */
  runUntilIdle(maxSteps = 1_000_000): number {
    let fired = 0
    while (fired < maxSteps && this.step()) fired++
    return fired
  }

  /**
   * The async form of advance(): between timers it lets promise continuations run (request
   * replies, awaited sends), so code written with async/await progresses in virtual time.
   */
  async advanceAsync(ms: number): Promise<void> {
    const target = this.current + Math.max(0, ms)
    await flushMicrotasks()
    while (this.step(target)) await flushMicrotasks()
    this.current = target
  }

  /** The async form of runUntilIdle(). */
  async settle(maxSteps = 1_000_000): Promise<number> {
    let fired = 0
    await flushMicrotasks()
    while (fired < maxSteps && this.step()) {
      fired++
      await flushMicrotasks()
    }
    return fired
  }

  private dropCancelledHead(): void {
    while (this.cancelled.size > 0) {
      const head = this.heap.peek()
      if (!head || !this.cancelled.has(head.id)) return
      this.heap.pop()
      this.cancelled.delete(head.id)
    }
  }
}

/** Runs every queued promise continuation (a macrotask boundary flushes the microtask queue). */
export function flushMicrotasks(): Promise<void> {
  return new Promise(resolve => setImmediate(resolve))
}

/**
 * A clock whose timers can all be cleared at once: for timers an actor sets outside XState's
 * `after` (which XState cancels itself when the actor stops), so that stopping the actor leaves
 * none behind to fire into it or to keep the process alive.
 */
export class TimerScope implements Clock {
  private readonly pending = new Set<unknown>()

  constructor(private readonly clock: Clock) {}

  now(): number {
    return this.clock.now()
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const handle = this.clock.setTimeout(() => {
      this.pending.delete(handle)
      fn()
    }, ms)
    this.pending.add(handle)
    return handle
  }

  clearTimeout(handle: unknown): void {
    this.pending.delete(handle)
    this.clock.clearTimeout(handle)
  }

  /** Clears every timer still pending. */
  clearAll(): void {
    for (const handle of this.pending) this.clock.clearTimeout(handle)
    this.pending.clear()
  }
}
