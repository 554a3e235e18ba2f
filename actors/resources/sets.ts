/** Value.Set arithmetic over sorted, duplicate-free string arrays. */
export type ValueSet = readonly string[]

export function normalizeSet(items: Iterable<string>): string[] {
  return [...new Set(items)].sort()
}

export function setUnion(a: ValueSet, b: ValueSet): string[] {
  if (b.length === 0) return [...a]
  if (a.length === 0) return [...b]
  return normalizeSet([...a, ...b])
}

export function setDifference(a: ValueSet, b: ValueSet): string[] {
  if (b.length === 0) return [...a]
  const drop = new Set(b)
  return a.filter(x => !drop.has(x))
}

export function setContains(a: ValueSet, b: ValueSet): boolean {
  if (b.length > a.length) return false
  if (b.length === 0) return true
  const have = new Set(a)
  for (const x of b) if (!have.has(x)) return false
  return true
}

export function setEqual(a: ValueSet, b: ValueSet): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
