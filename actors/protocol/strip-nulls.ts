/** `T` with `null` removed from every property type, recursively (what stripNulls returns). */
export type StripNulls<T> = T extends null
  ? undefined
  : T extends readonly (infer E)[]
    ? Exclude<StripNulls<E>, undefined>[]
    : T extends object
      ? { [K in keyof T]: StripNulls<T[K]> }
      : T

/**
 * Normalises a parsed v1 JSON value before validation: v1 clients write `"field": null` for an
 * absent optional field, and Mesos's JSON -> protobuf parser treats null as unset (stout's
 * protobuf.hpp). Returns a copy in which every null-valued property is gone and every null
 * element of an array is dropped (the parser skips those too); a top-level null becomes
 * undefined. Unknown fields are kept (the schemas allow them). `__proto__` keys are dropped so a
 * hostile body cannot give the copy another prototype. The input is not modified.
 */
export function stripNulls<T>(value: T): StripNulls<T> {
  return strip(value) as StripNulls<T>
}

function strip(value: unknown): unknown {
  if (value === null) return undefined
  if (typeof value !== 'object') return value
  if (Array.isArray(value)) {
    const out: unknown[] = []
    for (const element of value) {
      if (element !== null) out.push(strip(element))
    }
    return out
  }
  // Only plain JSON objects are rebuilt; anything else (a Uint8Array, a Date) passes as is.
  const proto = Object.getPrototypeOf(value)
  if (proto !== Object.prototype && proto !== null) return value
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(value)) {
    if (key === '__proto__') continue
    const v = (value as Record<string, unknown>)[key]
    if (v !== null) out[key] = strip(v)
  }
  return out
}
