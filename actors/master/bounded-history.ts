/** Keeps the newest `capacity` items (completed tasks and frameworks), dropping the oldest. */
export class BoundedHistory<T> {
  private items: T[] = []
  private start = 0

  constructor(readonly capacity: number) {}

  push(item: T): void {
    if (this.capacity <= 0) return
    this.items.push(item)
    if (this.items.length - this.start > this.capacity) {
      this.items[this.start++] = undefined as never
      if (this.start > 1024 && this.start * 2 > this.items.length) {
        this.items = this.items.slice(this.start)
        this.start = 0
      }
    }
  }

  get size(): number {
    return this.items.length - this.start
  }

  /** Oldest first. */
  toArray(): T[] {
    return this.items.slice(this.start)
  }
}
