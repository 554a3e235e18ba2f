import { Quantities, type Resource, type Resources } from '../resources/index.js'

/**
 * Scalar amounts as a dense array indexed by resource name (thousandths), for the per-offer
 * bookkeeping of the allocator and its sorters. A cluster has a handful of scalar names, so an
 * array indexed by a small integer replaces a Map lookup per name per node per offer (in the
 * 10k x 1k profile, those Map updates were among the largest costs of a cycle).
 */
export type ScalarVector = number[]

/** Resource name <-> index, shared by everything that keeps ScalarVectors. */
export class ScalarIndex {
  readonly names: string[] = []
  private readonly ids = new Map<string, number>()

  id(name: string): number {
    let i = this.ids.get(name)
    if (i === undefined) {
      i = this.names.length
      this.names.push(name)
      this.ids.set(name, i)
    }
    return i
  }

  /** Sums the scalar entries of `res` (those `pred` accepts) by name. */
  vectorOf(res: Resources, pred?: (r: Resource) => boolean): ScalarVector {
    const v: ScalarVector = []
    for (const r of res.items) {
      if (r.type !== 'SCALAR' || (pred && !pred(r))) continue
      const i = this.id(r.name)
      while (v.length <= i) v.push(0)
      v[i] += r.milli
    }
    return v
  }

  fromQuantities(q: Quantities): ScalarVector {
    const v: ScalarVector = []
    q.forEach((milli, name) => {
      const i = this.id(name)
      while (v.length <= i) v.push(0)
      v[i] += milli
    })
    return v
  }

  toQuantities(v: readonly number[]): Quantities {
    const entries: Array<[string, number]> = []
    for (let i = 0; i < v.length; i++) if (v[i]! > 0) entries.push([this.names[i]!, v[i]!])
    return new Quantities(entries)
  }
}

export function addInto(dst: ScalarVector, src: readonly number[]): void {
  while (dst.length < src.length) dst.push(0)
  for (let i = 0; i < src.length; i++) dst[i] += src[i]!
}

/** Subtracts, flooring at zero (as Mesos's quantities do). */
export function subtractInto(dst: ScalarVector, src: readonly number[]): void {
  while (dst.length < src.length) dst.push(0)
  for (let i = 0; i < src.length; i++) {
    const left = dst[i]! - src[i]!
    dst[i] = left > 0 ? left : 0
  }
}

export function isZero(v: readonly number[]): boolean {
  for (let i = 0; i < v.length; i++) if (v[i]! !== 0) return false
  return true
}
