/**
 * Counters, gauges and timers in one registry. `snapshot()` is a flat object with Mesos-style
 * keys (`runtime/messages_received`, `allocator/allocation_run_ms/p99`), which the HTTP layer
 * serves as /metrics/snapshot and Prometheus text.
 */
export class Counter {
  value = 0
  inc(by = 1): void {
    this.value += by
  }
}

/** A gauge is either set or computed on read (queue depths are read, not tracked). */
export class Gauge {
  value = 0
  constructor(readonly read?: () => number) {}
  set(v: number): void {
    this.value = v
  }
  get(): number {
    return this.read ? this.read() : this.value
  }
}

/**
 * Keeps the latest value, count and a bounded ring of recent samples for percentiles, as
 * Mesos's timers do (`.../p50`, `.../p99`, `.../max`): memory stays fixed however long it runs.
 */
export class Timer {
  count = 0
  latest = 0
  private readonly ring: Float64Array
  private next = 0
  private filled = 0

  constructor(capacity = 1000) {
    this.ring = new Float64Array(capacity)
  }

  record(ms: number): void {
    this.count++
    this.latest = ms
    this.ring[this.next] = ms
    this.next = (this.next + 1) % this.ring.length
    if (this.filled < this.ring.length) this.filled++
  }

  percentile(p: number): number {
    if (this.filled === 0) return 0
    const sorted = Array.from(this.ring.subarray(0, this.filled)).sort((a, b) => a - b)
    const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
    return sorted[idx]!
  }

  summary(): Record<string, number> {
    if (this.filled === 0) return { count: 0 }
    const sorted = Array.from(this.ring.subarray(0, this.filled)).sort((a, b) => a - b)
    const at = (p: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!
    return {
      count: this.count,
      latest: this.latest,
      min: sorted[0]!,
      max: sorted[sorted.length - 1]!,
      p50: at(0.5),
      p90: at(0.9),
      p99: at(0.99),
    }
  }
}

export class MetricsRegistry {
  private readonly counters = new Map<string, Counter>()
  private readonly gauges = new Map<string, Gauge>()
  private readonly timers = new Map<string, Timer>()

  counter(key: string): Counter {
    let c = this.counters.get(key)
    if (!c) this.counters.set(key, (c = new Counter()))
    return c
  }

  gauge(key: string, read?: () => number): Gauge {
    let g = this.gauges.get(key)
    if (!g || (read && g.read !== read)) this.gauges.set(key, (g = new Gauge(read)))
    return g
  }

  removeGauge(key: string): void {
    this.gauges.delete(key)
  }

  timer(key: string): Timer {
    let t = this.timers.get(key)
    if (!t) this.timers.set(key, (t = new Timer()))
    return t
  }

  snapshot(): Record<string, number> {
    const out: Record<string, number> = {}
    for (const [k, c] of this.counters) out[k] = c.value
    for (const [k, g] of this.gauges) out[k] = g.get()
    for (const [k, t] of this.timers) {
      for (const [field, v] of Object.entries(t.summary())) out[`${k}/${field}`] = v
    }
    return out
  }
}
