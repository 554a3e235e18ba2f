// Mesos's Bytes as written in flags: a whole number and a unit, `512MB`, `1GB`, `10KB`, `64B`.
// As in stout's Bytes::parse the unit is required, case-insensitive, and a unit is 1024 of the
// one below it; a fraction (`1.5GB`) is an error.

import { ValueError } from './errors.js'

const FACTORS = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 } as const

export type BytesUnit = keyof typeof FACTORS

export const BYTES_UNITS = Object.keys(FACTORS) as BytesUnit[]

export const BYTES_EXPECTED = `a size such as 512MB or 1GB (units: ${BYTES_UNITS.join(', ')})`

export class Bytes {
  private constructor(readonly bytes: number) {}

  static of(bytes: number): Bytes {
    if (!Number.isSafeInteger(bytes) || bytes < 0) throw new ValueError(`not a byte count: ${bytes}`)
    return new Bytes(bytes)
  }

  /** Parses `512MB`, `1gb`, `64B`; throws a ValueError saying what is wrong. */
  static parse(text: string): Bytes {
    const match = /^(\d+)(\.\d*)?\s*([a-z]*)$/i.exec(text)
    if (!match) throw new ValueError()
    const [, whole, fraction, unitText] = match
    const unit = unitText.toUpperCase()
    if (fraction !== undefined) throw new ValueError('a fraction of a byte is not allowed; use a smaller unit')
    if (unit === '') throw new ValueError('the unit is missing')
    if (!(unit in FACTORS)) throw new ValueError(`unknown unit '${unitText}'`)
    if (text.length !== whole.length + unitText.length) throw new ValueError(undefined, `${whole}${unit}`)
    const bytes = Number(whole) * FACTORS[unit as BytesUnit]
    if (!Number.isSafeInteger(bytes)) throw new ValueError('too large')
    return new Bytes(bytes)
  }

  get kb(): number {
    return this.bytes / FACTORS.KB
  }
  get mb(): number {
    return this.bytes / FACTORS.MB
  }
  get gb(): number {
    return this.bytes / FACTORS.GB
  }

  equals(other: Bytes): boolean {
    return this.bytes === other.bytes
  }
  compare(other: Bytes): number {
    return this.bytes - other.bytes
  }

  /** Raised to the largest unit that loses nothing, as stout prints it: `1536KB`, `2GB`. */
  toString(): string {
    if (this.bytes === 0) return '0B'
    for (const unit of [...BYTES_UNITS].reverse()) {
      if (this.bytes % FACTORS[unit] === 0) return `${this.bytes / FACTORS[unit]}${unit}`
    }
    return `${this.bytes}B`
  }

  toJSON(): string {
    return this.toString()
  }
}
