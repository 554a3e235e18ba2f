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

  /** The newest item that matches. */
  findLast(match: (item: T) => boolean): T | undefined {
    for (let i = this.items.length - 1; i >= this.start; i--) if (match(this.items[i]!)) return this.items[i]
    return undefined
  }

  /** Oldest first. */
  toArray(): T[] {
    return this.items.slice(this.start)
  }
}
