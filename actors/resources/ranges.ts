/**
 * Value.Ranges arithmetic. A ranges value is always kept normalized: sorted by begin,
 * non-overlapping and non-adjacent (`[1-3, 4-5]` becomes `[1-5]`), both bounds inclusive,
 * as Mesos coalesces them (src/common/values.cpp).
 */
export interface Range {
  readonly begin: number
  readonly end: number
}

export type Ranges = readonly Range[]

/** Sorts and coalesces overlapping or adjacent ranges. */
export function normalizeRanges(input: readonly Range[]): Range[] {
  if (input.length <= 1) return input.length === 1 ? [{ begin: input[0]!.begin, end: input[0]!.end }] : []
  const sorted = [...input].sort((a, b) => a.begin - b.begin || a.end - b.end)
  const out: Range[] = []
  let cur = { begin: sorted[0]!.begin, end: sorted[0]!.end }
  for (let i = 1; i < sorted.length; i++) {
    const r = sorted[i]!
    if (r.begin <= cur.end + 1) {
      if (r.end > cur.end) cur.end = r.end
    } else {
      out.push(cur)
      cur = { begin: r.begin, end: r.end }
    }
  }
  out.push(cur)
  return out
}

function isNormalized(a: Ranges): boolean {
  for (let i = 0; i < a.length; i++) {
    const r = a[i]!
    if (r.begin > r.end || (i > 0 && r.begin <= a[i - 1]!.end + 1)) return false
  }
  return true
}

/** Union of two ranges values; normalized inputs (the usual case) take one linear merge, no sort. */
export function rangesUnion(a: Ranges, b: Ranges): Range[] {
  if (!isNormalized(a)) a = normalizeRanges(a)
  if (!isNormalized(b)) b = normalizeRanges(b)
  if (a.length === 0) return [...b]
  if (b.length === 0) return [...a]
  const out: Range[] = []
  let i = 0
  let j = 0
  let cur: { begin: number; end: number } | undefined
  while (i < a.length || j < b.length) {
    const r = j >= b.length || (i < a.length && a[i]!.begin <= b[j]!.begin) ? a[i++]! : b[j++]!
    if (cur && r.begin <= cur.end + 1) {
      if (r.end > cur.end) cur.end = r.end
    } else {
      if (cur) out.push(cur)
      cur = { begin: r.begin, end: r.end }
    }
  }
  if (cur) out.push(cur)
  return out
}

/** a minus b; both normalized. */
export function rangesDifference(a: Ranges, b: Ranges): Range[] {
  if (b.length === 0) return [...a]
  const out: Range[] = []
  let j = 0
  for (const r of a) {
    let begin = r.begin
    const end = r.end
    while (j < b.length && b[j]!.end < begin) j++
    let k = j
    while (k < b.length && b[k]!.begin <= end && begin <= end) {
      const cut = b[k]!
      if (cut.begin > begin) out.push({ begin, end: cut.begin - 1 })
      begin = Math.max(begin, cut.end + 1)
      k++
    }
    if (begin <= end) out.push({ begin, end })
  }
  return out
}

/** True when every number in b is in a; both normalized. */
export function rangesContain(a: Ranges, b: Ranges): boolean {
  let i = 0
  for (const r of b) {
    while (i < a.length && a[i]!.end < r.begin) i++
    if (i >= a.length) return false
    const c = a[i]!
    if (c.begin > r.begin || c.end < r.end) return false
  }
  return true
}

/** How many numbers the ranges hold (the "quantity" of a ranges resource). */
export function rangesSize(a: Ranges): number {
  let n = 0
  for (const r of a) n += r.end - r.begin + 1
  return n
}

export function rangesEqual(a: Ranges, b: Ranges): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i]!.begin !== b[i]!.begin || a[i]!.end !== b[i]!.end) return false
  return true
}

/**
 * Splits ranges into `parts` pieces of (nearly) equal size, for benchmarks and tests that hand
 * out ports to tasks (Mesos's `fragment` test helper does the same).
 */
export function splitRanges(a: Ranges, parts: number): Range[][] {
  const total = rangesSize(a)
  const out: Range[][] = []
  if (parts <= 0) return out
  const base = Math.floor(total / parts)
  let extra = total % parts
  let ri = 0
  let pos = a.length > 0 ? a[0]!.begin : 0
  for (let p = 0; p < parts; p++) {
    let want = base + (extra > 0 ? 1 : 0)
    if (extra > 0) extra--
    const piece: Range[] = []
    while (want > 0 && ri < a.length) {
      const r = a[ri]!
      const take = Math.min(want, r.end - pos + 1)
      piece.push({ begin: pos, end: pos + take - 1 })
      want -= take
      pos += take
      if (pos > r.end) {
        ri++
        if (ri < a.length) pos = a[ri]!.begin
      }
    }
    out.push(piece)
  }
  return out
}
