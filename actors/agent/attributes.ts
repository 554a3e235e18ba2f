// `--attributes` (Mesos: src/common/attributes.cpp Attributes::parse): `rack:r1;zone:z2`,
// `cores:8`, `ports:[1-10]`, `zones:{a,b}`. A value is a scalar if it parses as a number,
// ranges in `[..]`, a set in `{..}`, text otherwise.
import type { Attribute } from '../protocol/index.js'

export class AttributeParseError extends Error {
  readonly code = 'ATTRIBUTE_PARSE_ERROR'
  constructor(
    readonly token: string,
    reason: string,
  ) {
    super(`invalid attribute '${token}': ${reason} (expected name:value, e.g. rack:r1;zone:z2)`)
    this.name = 'AttributeParseError'
  }
}

function parseRanges(token: string, body: string): { begin: number; end: number }[] {
  const out: { begin: number; end: number }[] = []
  for (const part of body.split(',')) {
    const p = part.trim()
    if (p === '') continue
    const m = /^(\d+)\s*-\s*(\d+)$/.exec(p)
    if (!m) throw new AttributeParseError(token, `'${p}' is not a range like 1000-2000`)
    out.push({ begin: Number(m[1]), end: Number(m[2]) })
  }
  return out
}

export function parseAttributes(text: string): Attribute[] {
  const out: Attribute[] = []
  for (const raw of text.split(';')) {
    const token = raw.trim()
    if (token === '') continue
    const colon = token.indexOf(':')
    if (colon <= 0) throw new AttributeParseError(token, 'missing name or ":"')
    const name = token.slice(0, colon).trim()
    const value = token.slice(colon + 1).trim()
    if (value === '') throw new AttributeParseError(token, 'empty value')
    if (value.startsWith('[') && value.endsWith(']')) {
      out.push({ name, type: 'RANGES', ranges: { range: parseRanges(token, value.slice(1, -1)) } })
    } else if (value.startsWith('{') && value.endsWith('}')) {
      const item = value.slice(1, -1).split(',').map(s => s.trim()).filter(s => s !== '')
      out.push({ name, type: 'SET', set: { item } })
    } else if (/^[+-]?(\d+\.?\d*|\.\d+)$/.test(value)) {
      out.push({ name, type: 'SCALAR', scalar: { value: Number(value) } })
    } else {
      out.push({ name, type: 'TEXT', text: { value } })
    }
  }
  return out
}
