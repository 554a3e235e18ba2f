import { ResourceParseError } from './errors.js'
import { fromMilli, toMilli } from './fixed-point.js'
import type { Range } from './ranges.js'
import { makeResource, type ReservationInfo, type Resource, type ValueType } from './resource.js'
import { Resources } from './resources.js'
import { roleError } from './roles.js'

/** Resource as in Mesos's v1 JSON (`include/mesos/v1/mesos.proto`, message Resource). */
export interface ResourceJson {
  name: string
  type: ValueType
  scalar?: { value: number }
  ranges?: { range: { begin: number; end: number }[] }
  set?: { item: string[] }
  reservations?: { type: 'STATIC' | 'DYNAMIC'; role: string; principal?: string }[]
  allocation_info?: { role: string }
  /** Pre-1.4 field, accepted on input only: a role other than `*` is a static reservation. */
  role?: string
}

function fail(reason: string, path: string): never {
  throw new ResourceParseError(reason, path, -1)
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function checkRole(role: unknown, path: string): string {
  if (typeof role !== 'string') fail('a role must be a string', path)
  const err = roleError(role)
  if (err) fail(err, path)
  return role
}

function resourceFromJson(v: unknown, path: string, defaultRole: string): Resource {
  if (!isObject(v)) fail('a resource must be an object', path)
  const name = v.name
  if (typeof name !== 'string' || name === '') fail('a resource needs a non-empty string name', `${path}.name`)
  const type = v.type
  if (type !== 'SCALAR' && type !== 'RANGES' && type !== 'SET') fail(`'${name}' needs type SCALAR, RANGES or SET`, `${path}.type`)

  let reservations: ReservationInfo[] = []
  if (v.reservations !== undefined) {
    if (!Array.isArray(v.reservations)) fail('reservations must be an array', `${path}.reservations`)
    reservations = v.reservations.map((r: unknown, i: number) => {
      const rp = `${path}.reservations[${i}]`
      if (!isObject(r)) fail('a reservation must be an object', rp)
      const rtype = r.type ?? 'STATIC'
      if (rtype !== 'STATIC' && rtype !== 'DYNAMIC') fail('reservation type must be STATIC or DYNAMIC', `${rp}.type`)
      const role = checkRole(r.role, `${rp}.role`)
      if (role === '*') fail("a reservation cannot be for role '*'", `${rp}.role`)
      if (r.principal !== undefined && typeof r.principal !== 'string') fail('principal must be a string', `${rp}.principal`)
      const info: ReservationInfo = r.principal !== undefined ? { type: rtype, role, principal: r.principal as string } : { type: rtype, role }
      return info
    })
    for (let i = 1; i < reservations.length; i++) {
      const parent = reservations[i - 1]!.role
      const child = reservations[i]!.role
      if (!child.startsWith(`${parent}/`)) fail(`reservation to '${child}' must refine '${parent}' (a sub-role of it)`, `${path}.reservations[${i}].role`)
    }
  } else {
    const role = v.role === undefined ? defaultRole : checkRole(v.role, `${path}.role`)
    if (role !== '*') reservations = [{ type: 'STATIC', role }]
  }

  let allocationRole: string | undefined
  if (v.allocation_info !== undefined) {
    if (!isObject(v.allocation_info)) fail('allocation_info must be an object', `${path}.allocation_info`)
    allocationRole = checkRole(v.allocation_info.role, `${path}.allocation_info.role`)
  }
  const meta = { reservations, allocationRole }

  if (type === 'SCALAR') {
    const s = v.scalar
    if (!isObject(s) || typeof s.value !== 'number' || !Number.isFinite(s.value)) fail(`'${name}' needs scalar.value as a number`, `${path}.scalar.value`)
    if (s.value < 0) fail(`'${name}' must not be negative`, `${path}.scalar.value`)
    return makeResource(name, 'SCALAR', { milli: toMilli(s.value) }, meta)
  }
  if (type === 'RANGES') {
    const r = v.ranges
    if (!isObject(r) || (r.range !== undefined && !Array.isArray(r.range))) fail(`'${name}' needs ranges.range as an array`, `${path}.ranges`)
    const list: Range[] = ((r.range as unknown[] | undefined) ?? []).map((x: unknown, i: number) => {
      const rp = `${path}.ranges.range[${i}]`
      if (!isObject(x) || !Number.isSafeInteger(x.begin) || !Number.isSafeInteger(x.end) || (x.begin as number) < 0) {
        fail(`'${name}' ranges need non-negative integer begin and end`, rp)
      }
      if ((x.begin as number) > (x.end as number)) fail(`'${name}' has a range that begins after it ends`, rp)
      return { begin: x.begin as number, end: x.end as number }
    })
    return makeResource(name, 'RANGES', { ranges: list }, meta)
  }
  const st = v.set
  if (!isObject(st) || (st.item !== undefined && !Array.isArray(st.item))) fail(`'${name}' needs set.item as an array`, `${path}.set`)
  const items = (st.item as unknown[] | undefined) ?? []
  items.forEach((x, i) => {
    if (typeof x !== 'string' || x === '') fail(`'${name}' set items must be non-empty strings`, `${path}.set.item[${i}]`)
  })
  return makeResource(name, 'SET', { set: items as string[] }, meta)
}

/**
 * Mesos v1 JSON (an array of Resource objects) to Resources. Errors are ResourceParseError with
 * the JSON path as the token (`[2].scalar.value`) and offset -1.
 */
export function fromJson(value: unknown, defaultRole = '*'): Resources {
  if (!Array.isArray(value)) fail('resources must be a JSON array', '$')
  const seen = new Map<string, ValueType>()
  const out: Resource[] = []
  value.forEach((v, i) => {
    const r = resourceFromJson(v, `[${i}]`, defaultRole)
    const before = seen.get(r.name)
    if (before !== undefined && before !== r.type) fail(`'${r.name}' is given as ${r.type} here but as ${before} before`, `[${i}]`)
    seen.set(r.name, r.type)
    out.push(r)
  })
  return Resources.of(out)
}

export function resourceToJson(r: Resource): ResourceJson {
  const j: ResourceJson = { name: r.name, type: r.type }
  if (r.type === 'SCALAR') j.scalar = { value: fromMilli(r.milli) }
  else if (r.type === 'RANGES') j.ranges = { range: r.ranges.map(x => ({ begin: x.begin, end: x.end })) }
  else j.set = { item: [...r.set] }
  if (r.reservations.length > 0) {
    j.reservations = r.reservations.map(x => (x.principal !== undefined ? { type: x.type, role: x.role, principal: x.principal } : { type: x.type, role: x.role }))
  }
  if (r.allocationRole !== undefined) j.allocation_info = { role: r.allocationRole }
  return j
}

export function toJson(resources: Resources): ResourceJson[] {
  return resources.items.map(resourceToJson)
}
