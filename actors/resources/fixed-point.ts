/**
 * Scalar resources are kept as integer thousandths, as Mesos does (`convertToFixed` in
 * src/common/values.cpp rounds value * 1000 to the nearest integer): sums and differences are
 * exact, so 0.1 + 0.2 is 0.3 and a thousand tasks of 0.001 cpus release exactly what they took.
 */
export const SCALE = 1000

/** A decimal value to thousandths (rounds half away from zero, like llround). */
export function toMilli(value: number): number {
  const scaled = value * SCALE
  return scaled < 0 ? -Math.round(-scaled) : Math.round(scaled)
}

/** Thousandths back to the decimal value a user wrote. */
export function fromMilli(milli: number): number {
  return milli / SCALE
}

/** The shortest decimal text for a fixed-point value: 4000 -> "4", 100 -> "0.1". */
export function formatMilli(milli: number): string {
  return String(milli / SCALE)
}
