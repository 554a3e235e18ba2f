// Mesos's Duration as written in flags: a number and one of the units stout's Duration::parse
// knows (ns, us, ms, secs, mins, hrs, days, weeks), e.g. `15secs`, `10mins`, `1.5hrs`, `1weeks`.
// Units are case-sensitive and there is no space and no sign, as in Mesos.

import { ValueError } from './errors.js'

const NANOS = {
  ns: 1,
  us: 1e3,
  ms: 1e6,
  secs: 1e9,
  mins: 60e9,
  hrs: 3600e9,
  days: 86_400e9,
  weeks: 604_800e9,
} as const

export type DurationUnit = keyof typeof NANOS

export const DURATION_UNITS = Object.keys(NANOS) as DurationUnit[]

/** What people write instead of Mesos's units, for a "did you mean" on a rejected duration. */
const UNIT_SYNONYMS: Record<string, DurationUnit> = {
  n: 'ns', nsec: 'ns', nsecs: 'ns', nanos: 'ns', nanosecond: 'ns', nanoseconds: 'ns',
  u: 'us', µs: 'us', usec: 'us', usecs: 'us', micros: 'us', microsecond: 'us', microseconds: 'us',
  msec: 'ms', msecs: 'ms', millis: 'ms', millisecond: 'ms', milliseconds: 'ms',
  s: 'secs', sec: 'secs', second: 'secs', seconds: 'secs',
  m: 'mins', min: 'mins', minute: 'mins', minutes: 'mins',
  h: 'hrs', hr: 'hrs', hour: 'hrs', hours: 'hrs',
  d: 'days', day: 'days',
  w: 'weeks', week: 'weeks', wk: 'weeks', wks: 'weeks',
}

/** stout stores nanoseconds in an int64; a flag beyond that is rejected as there. */
const MAX_NANOS = 2 ** 63 - 1

export const DURATION_EXPECTED = `a duration such as 15secs, 10mins or 500ms (units: ${DURATION_UNITS.join(', ')})`

/** A length of time, held in nanoseconds like stout's Duration. */
export class Duration {
  private constructor(readonly ns: number) {}

  static fromNanos(ns: number): Duration {
    return new Duration(ns)
  }
  static fromMillis(ms: number): Duration {
    return new Duration(ms * NANOS.ms)
  }
  static fromSeconds(secs: number): Duration {
    return new Duration(secs * NANOS.secs)
  }

  /**
   * Parses `15secs`, `0.5days`, ...; throws a ValueError saying what is wrong, with a suggestion
   * for `15s`, `10min`, `2 hours` and friends.
   */
  static parse(text: string): Duration {
    const match = /^(\d+(?:\.\d*)?|\.\d+)([A-Za-zµ]*)$/.exec(text)
    if (!match) {
      const loose = /^\s*(\d+(?:\.\d*)?|\.\d+)\s*([A-Za-zµ]+)\s*$/.exec(text)
      const unit = loose ? suggestUnit(loose[2]) : undefined
      if (loose && unit) throw new ValueError(undefined, `${loose[1]}${unit}`)
      throw new ValueError()
    }
    const [, number, unitText] = match
    if (unitText === '') throw new ValueError('the unit is missing', `${number}secs`)
    if (!(unitText in NANOS)) {
      const unit = suggestUnit(unitText)
      throw new ValueError(`unknown unit '${unitText}'`, unit && `${number}${unit}`)
    }
    const ns = Number(number) * NANOS[unitText as DurationUnit]
    if (!Number.isFinite(ns) || ns > MAX_NANOS) throw new ValueError('longer than a duration can be (2^63 nanoseconds)')
    return new Duration(ns)
  }

  get us(): number {
    return this.ns / NANOS.us
  }
  get ms(): number {
    return this.ns / NANOS.ms
  }
  get secs(): number {
    return this.ns / NANOS.secs
  }
  get mins(): number {
    return this.ns / NANOS.mins
  }
  get hrs(): number {
    return this.ns / NANOS.hrs
  }
  get days(): number {
    return this.ns / NANOS.days
  }
  get weeks(): number {
    return this.ns / NANOS.weeks
  }

  equals(other: Duration): boolean {
    return this.ns === other.ns
  }
  compare(other: Duration): number {
    return this.ns - other.ns
  }

  /** The largest unit that shows it as a whole number (`90secs` -> `90secs`, `120secs` -> `2mins`). */
  toString(): string {
    if (this.ns === 0) return '0secs'
    for (const unit of [...DURATION_UNITS].reverse()) {
      const n = this.ns / NANOS[unit]
      if (Number.isInteger(n)) return `${n}${unit}`
    }
    return `${this.ns}ns`
  }

  toJSON(): string {
    return this.toString()
  }
}

function suggestUnit(written: string): DurationUnit | undefined {
  const lower = written.toLowerCase()
  if (lower in NANOS) return lower as DurationUnit
  return UNIT_SYNONYMS[lower]
}
