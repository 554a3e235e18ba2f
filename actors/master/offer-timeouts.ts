// Mesos's --offer_timeout (Master::offerTimeout): every offer gets a timer when it is made; if
// the framework has neither accepted nor declined it when the timer fires, the master rescinds
// it and the allocator gets its resources back. Without it, one lost Offers (or Accept, or
// Decline) message on an at-most-once bus hides the offer's resources from every framework for
// as long as the framework stays connected.
import type { Clock } from '../../runtime/index.js'

export class OfferTimeouts {
  private readonly timers = new Map<string, unknown>()

  /**
   * `timeoutMs` undefined: offers never time out (nothing is scheduled). `expire` is called
   * with the offer id when its time is up; it runs through the master machine like any timer.
   */
  constructor(
    private readonly clock: Clock,
    private readonly timeoutMs: number | undefined,
    private readonly expire: (offerId: string, timeoutMs: number) => unknown,
  ) {
    if (timeoutMs !== undefined && !(Number.isFinite(timeoutMs) && timeoutMs > 0)) {
      throw new RangeError(`offer timeout must be a positive number of milliseconds, got ${timeoutMs}`)
    }
  }

  /** An offer was made: start its clock. */
  start(offerId: string): void {
    if (this.timeoutMs === undefined) return
    this.timers.set(offerId, this.expire(offerId, this.timeoutMs))
  }

  /** The offer was answered, rescinded or dropped: its timer goes. */
  cancel(offerId: string): void {
    const timer = this.timers.get(offerId)
    if (timer === undefined) return
    this.timers.delete(offerId)
    this.clock.clearTimeout(timer)
  }

  /** The timer fired: true if it was still pending (the offer had not been answered). */
  fired(offerId: string): boolean {
    return this.timers.delete(offerId)
  }

  get pending(): number {
    return this.timers.size
  }
}
