import { ResourceParseError } from './errors.js'
import { formatMilli, toMilli } from './fixed-point.js'
import type { Resources } from './resources.js'

/**
 * Scalar amounts by name, without reservations or allocation (Mesos `ResourceQuantities`): what
 * quota guarantees, quota consumption, DRF shares and `--min_allocatable_resources` are made of.
 * Values are thousandths; absent names are zero. Subtraction saturates at zero, as in Mesos.
 */
export class Quantities {
  private readonly map: Map<string, number>

  constructor(entries?: Iterable<readonly [string, number]>) {
    this.map = new Map()
    if (entries) for (const [k, v] of entries) if (v > 0) this.map.set(k, (this.map.get(k) ?? 0) + v)
  }

  /** Sums the scalar entries of `resources` by name (reservations and allocation are ignored). */
  static ofScalars(resources: Resources): Quantities {
    const q = new Quantities()
    for (const r of resources.items) if (r.type === 'SCALAR' && r.milli > 0) q.map.set(r.name, (q.map.get(r.name) ?? 0) + r.milli)
    return q
  }

  /** `cpus:1;mem:512` (decimal values, `;`-separated). */
  static parse(text: string): Quantities {
    const q = new Quantities()
    let offset = 0
    for (const token of text.split(';')) {
      const start = offset
      offset += token.length + 1
      const trimmed = token.trim()
      if (trimmed === '') continue
      const colon = trimmed.indexOf(':')
      if (colon < 0) throw new ResourceParseError("missing ':' between name and value", trimmed, start)
      const name = trimmed.slice(0, colon).trim()
      const raw = trimmed.slice(colon + 1).trim()
      if (name === '') throw new ResourceParseError('empty resource name', trimmed, start)
      const value = Number(raw)
      if (raw === '' || !Number.isFinite(value)) throw new ResourceParseError(`'${name}' needs a number`, trimmed, start)
      if (value < 0) throw new ResourceParseError(`'${name}' must not be negative`, trimmed, start)
      if (q.map.has(name)) throw new ResourceParseError(`'${name}' is given twice`, trimmed, start)
      const milli = toMilli(value)
      if (milli > 0) q.map.set(name, milli)
    }
    return q
  }

  get(name: string): number {
    return this.map.get(name) ?? 0
  }

  has(name: string): boolean {
    return this.map.has(name)
  }

  isEmpty(): boolean {
    return this.map.size === 0
  }

  get size(): number {
    return this.map.size
  }

  /** Visits each (thousandths, name) without allocating entry pairs (hot paths). */
  forEach(fn: (milli: number, name: string) => void): void {
    this.map.forEach(fn)
  }

  entries(): IterableIterator<[string, number]> {
    return this.map.entries()
  }

  names(): IterableIterator<string> {
    return this.map.keys()
  }

  clone(): Quantities {
    const q = new Quantities()
    for (const [k, v] of this.map) q.map.set(k, v)
    return q
  }

  /** In place. */
  addInPlace(other: Quantities): this {
    const map = this.map
    other.map.forEach((v, k) => map.set(k, (map.get(k) ?? 0) + v))
    return this
  }

  /** In place, saturating at zero. */
  subtractInPlace(other: Quantities): this {
    const map = this.map
    other.map.forEach((v, k) => {
      const left = (map.get(k) ?? 0) - v
      if (left > 0) map.set(k, left)
      else map.delete(k)
    })
    return this
  }

  addMilli(name: string, milli: number): void {
    const v = (this.map.get(name) ?? 0) + milli
    if (v > 0) this.map.set(name, v)
    else this.map.delete(name)
  }

  plus(other: Quantities): Quantities {
    return this.clone().addInPlace(other)
  }

  minus(other: Quantities): Quantities {
    return this.clone().subtractInPlace(other)
  }

  /** Every amount of `other` is available here. */
  contains(other: Quantities): boolean {
    for (const [k, v] of other.map) if ((this.map.get(k) ?? 0) < v) return false
    return true
  }

  /** Whether the scalar entries of `resources` hold at least these amounts. */
  containedIn(resources: Resources): boolean {
    for (const [k, v] of this.map) if (resources.scalarMilli(k) < v) return false
    return true
  }

  equals(other: Quantities): boolean {
    if (this.map.size !== other.map.size) return false
    for (const [k, v] of this.map) if (other.map.get(k) !== v) return false
    return true
  }

  toString(): string {
    return [...this.map].map(([k, v]) => `${k}:${formatMilli(v)}`).join(';')
  }

  toJSON(): Record<string, number> {
    const o: Record<string, number> = {}
    for (const [k, v] of this.map) o[k] = v / 1000
    return o
  }
}

/**
 * `--min_allocatable_resources`: alternatives separated by `|`, each a `;` list of quantities
 * (default `cpus:0.01|mem:32`: an offer must hold at least 0.01 cpus or at least 32 MB).
 */
export function parseMinAllocatable(text: string): Quantities[] {
  const out: Quantities[] = []
  let offset = 0
  for (const part of text.split('|')) {
    try {
      const q = Quantities.parse(part)
      if (!q.isEmpty()) out.push(q)
    } catch (err) {
      if (err instanceof ResourceParseError) throw new ResourceParseError(err.reason, err.token, err.offset + offset)
      throw err
    }
    offset += part.length + 1
  }
  return out
}

export const DEFAULT_MIN_ALLOCATABLE = 'cpus:0.01|mem:32'
