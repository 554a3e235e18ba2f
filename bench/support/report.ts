// Shared output for benchmarks: progress on stderr, a table and the final JSON line on stdout.
export function progress(message: string): void {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${message}\n`)
}

export function table(rows: Array<[string, string | number]>): void {
  const width = Math.max(...rows.map(r => r[0].length))
  for (const [k, v] of rows) process.stdout.write(`${k.padEnd(width)}  ${typeof v === 'number' ? fmt(v) : v}\n`)
}

function fmt(v: number): string {
  if (Number.isInteger(v)) return v.toLocaleString('en-US')
  return v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(3)
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!
}

export function round(v: number, digits = 3): number {
  const f = 10 ** digits
  return Math.round(v * f) / f
}

/** The last stdout line: what other tools read. */
export function emitJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`)
}
