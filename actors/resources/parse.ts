import { ResourceError, ResourceParseError } from './errors.js'
import { formatMilli, toMilli } from './fixed-point.js'
import { fromJson } from './json.js'
import type { Range } from './ranges.js'
import { makeResource, type Resource, type ValueType } from './resource.js'
import { Resources } from './resources.js'
import { roleError } from './roles.js'

const NUMBER = /^\+?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/
const INTEGER = /^\+?\d+$/

interface Span {
  text: string
  /** Offset of text[0] in the whole input. */
  at: number
}

/** Trims a span, keeping its offset right. */
function trim(s: Span): Span {
  const lead = s.text.length - s.text.trimStart().length
  return { text: s.text.trim(), at: s.at + lead }
}

function slice(s: Span, from: number, to?: number): Span {
  return { text: s.text.slice(from, to), at: s.at + from }
}

/** Splits on `sep` at depth zero of (), [] and {} so that `ports:[1-2, 4-5]` stays whole. */
function splitTop(s: Span, sep: string): Span[] {
  const out: Span[] = []
  let depth = 0
  let start = 0
  for (let i = 0; i < s.text.length; i++) {
    const c = s.text[i]!
    if (c === '(' || c === '[' || c === '{') depth++
    else if ((c === ')' || c === ']' || c === '}') && depth > 0) depth--
    else if (c === sep && depth === 0) {
      out.push(slice(s, start, i))
      start = i + 1
    }
  }
  out.push(slice(s, start))
  return out
}

function fail(reason: string, span: Span): never {
  throw new ResourceParseError(reason, span.text, span.at)
}

function parseScalar(name: string, v: Span): number {
  if (v.text.startsWith('-') && NUMBER.test(v.text.slice(1))) fail(`'${name}' must not be negative`, v)
  if (!NUMBER.test(v.text)) fail(`'${name}' needs a number, [ranges] or {set}`, v)
  const value = Number(v.text)
  if (!Number.isFinite(value) || value > Number.MAX_SAFE_INTEGER / 1000) fail(`'${name}' is too large`, v)
  return toMilli(value)
}

function parseRanges(name: string, v: Span): Range[] {
  if (!v.text.endsWith(']')) fail(`'${name}' has a '[' with no closing ']'`, v)
  const inner = slice(v, 1, v.text.length - 1)
  if (inner.text.trim() === '') return []
  const out: Range[] = []
  for (const piece of splitTop(inner, ',')) {
    const p = trim(piece)
    const dash = p.text.indexOf('-', 1)
    const bTxt = trim(dash < 0 ? p : slice(p, 0, dash))
    const eTxt = trim(dash < 0 ? p : slice(p, dash + 1))
    if (p.text === '') fail(`'${name}' has an empty range`, p)
    if (!INTEGER.test(bTxt.text) || !INTEGER.test(eTxt.text)) fail(`'${name}' ranges need non-negative integers as begin-end`, p)
    const begin = Number(bTxt.text)
    const end = Number(eTxt.text)
    if (!Number.isSafeInteger(begin) || !Number.isSafeInteger(end)) fail(`'${name}' has a range bound that is too large`, p)
    if (begin > end) fail(`'${name}' has a range that begins after it ends`, p)
    out.push({ begin, end })
  }
  return out
}

function parseSet(name: string, v: Span): string[] {
  if (!v.text.endsWith('}')) fail(`'${name}' has a '{' with no closing '}'`, v)
  const inner = slice(v, 1, v.text.length - 1)
  if (inner.text.trim() === '') return []
  const out: string[] = []
  for (const piece of inner.text.split(',')) {
    const item = piece.trim()
    if (item === '') fail(`'${name}' has an empty set item`, inner)
    out.push(item)
  }
  return out
}

function parseToken(tok: Span, defaultRole: string): Resource | undefined {
  const t = trim(tok)
  if (t.text === '') return undefined
  const colon = t.text.lastIndexOf(':', t.text.search(/[[{]/) >= 0 ? t.text.search(/[[{]/) : undefined)
  const open = t.text.indexOf('(')
  const close = t.text.indexOf(')')
  if (open >= 0 && (close < 0 || close < open)) fail("'(' opens a role with no closing ')'", slice(t, open))
  if (close >= 0 && open < 0) fail("')' closes a role that was never opened", slice(t, close))
  if (colon < 0 || (close >= 0 && colon < close)) fail("missing ':' between the name and the value", t)
  const head = slice(t, 0, colon)
  const valueSpan = trim(slice(t, colon + 1))
  let nameSpan = trim(head)
  let role = defaultRole
  if (open >= 0) {
    nameSpan = trim(slice(t, 0, open))
    const after = t.text.slice(close + 1, colon).trim()
    if (after !== '') fail("unexpected text between ')' and ':'", slice(t, close + 1, colon))
    const roleSpan = trim(slice(t, open + 1, close))
    role = roleSpan.text
    const err = roleError(role)
    if (err) fail(err, roleSpan.text === '' ? slice(t, open, close + 1) : roleSpan)
  }
  const name = nameSpan.text
  if (name === '') fail('a resource needs a name', t)
  if (/[\s;:(){}[\],]/.test(name)) fail('a resource name cannot hold whitespace or any of ;:(){}[],', nameSpan)
  if (valueSpan.text === '') fail(`'${name}' has no value`, t)
  const meta = role === '*' ? {} : { reservations: [{ type: 'STATIC' as const, role }] }
  const first = valueSpan.text[0]
  if (first === '[') return makeResource(name, 'RANGES', { ranges: parseRanges(name, valueSpan) }, meta)
  if (first === '{') return makeResource(name, 'SET', { set: parseSet(name, valueSpan) }, meta)
  return makeResource(name, 'SCALAR', { milli: parseScalar(name, valueSpan) }, meta)
}

/**
 * Parses Mesos's resource text (`cpus:4;mem:2300;disk:10000;ports:[31000-32000]`, roles as
 * `cpus(prod):2`, sets as `zones:{a,b}`), or the v1 JSON array form when the text starts with
 * `[`, as `Resources::parse` does. Entries without a role get `defaultRole` (`*`: unreserved;
 * any other role: a static reservation). Equal entries are added together; a name used with two
 * value types is an error. Throws ResourceParseError naming the token and its offset.
 */
export function parseResources(text: string, defaultRole = '*'): Resources {
  const roleErr = roleError(defaultRole)
  if (roleErr) throw new ResourceParseError(roleErr, defaultRole, -1)
  if (text.trimStart().startsWith('[')) {
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch (err) {
      throw new ResourceParseError(`not valid JSON (${(err as Error).message})`, text.trim().slice(0, 40), text.length - text.trimStart().length)
    }
    return fromJson(json, defaultRole)
  }
  const seen = new Map<string, ValueType>()
  const out: Resource[] = []
  for (const tok of splitTop({ text, at: 0 }, ';')) {
    const r = parseToken(tok, defaultRole)
    if (!r) continue
    const before = seen.get(r.name)
    if (before !== undefined && before !== r.type) {
      fail(`'${r.name}' is given as ${r.type} here but as ${before} before`, trim(tok))
    }
    seen.set(r.name, r.type)
    out.push(r)
  }
  try {
    return Resources.of(out)
  } catch (err) {
    if (err instanceof ResourceError) throw new ResourceParseError(err.message, text, 0)
    throw err
  }
}

function formatValue(r: Resource): string {
  switch (r.type) {
    case 'SCALAR':
      return formatMilli(r.milli)
    case 'RANGES':
      return `[${r.ranges.map(x => `${x.begin}-${x.end}`).join(', ')}]`
    case 'SET':
      return `{${r.set.join(', ')}}`
  }
}

/**
 * Mesos's text form of one resource. Unreserved and statically reserved resources come out in
 * the parseable form (`cpus(prod):2`); dynamic reservations and allocation info come out as Mesos
 * prints them (`cpus(allocated: prod)(reservations: [(DYNAMIC,prod,alice)]):2`), which, as in
 * Mesos, is for people: use the JSON form to round-trip those.
 */
export function formatResource(r: Resource): string {
  const rs = r.reservations
  if (r.allocationRole === undefined && rs.length <= 1 && (rs.length === 0 || (rs[0]!.type === 'STATIC' && rs[0]!.principal === undefined))) {
    return rs.length === 0 ? `${r.name}:${formatValue(r)}` : `${r.name}(${rs[0]!.role}):${formatValue(r)}`
  }
  let s = r.name
  if (r.allocationRole !== undefined) s += `(allocated: ${r.allocationRole})`
  if (rs.length > 0) {
    s += `(reservations: [${rs.map(x => `(${x.type},${x.role}${x.principal !== undefined ? `,${x.principal}` : ''})`).join(',')}])`
  }
  return `${s}:${formatValue(r)}`
}

/** `cpus:4;mem:2300;ports:[31000-32000]`. */
export function formatResources(resources: Resources): string {
  return resources.items.map(formatResource).join(';')
}
