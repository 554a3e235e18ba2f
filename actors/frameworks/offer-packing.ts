// Cutting task-sized pieces out of an offer, for the example frameworks. Pure functions over
// actors/resources. What mesos-execute does with `offered.find(taskResources)`
// (src/cli/execute.cpp): an unreserved need is met from the role's reservations first, then
// from unreserved resources; a reserved need only from that very reservation.
import {
  fromJson,
  isUnreserved,
  makeResource,
  Resources,
  toJson,
  withMeta,
  type Resource,
} from '../resources/index.js'
import type { Offer, Resource as ResourceJson } from '../protocol/index.js'

/** An offer's resources (v1 JSON) as Resources; throws ResourceParseError on a malformed offer. */
export function offerResources(offer: Offer): Resources {
  return fromJson(offer.resources ?? [])
}

/** Resources back to the v1 JSON shape of TaskInfo.resources. */
export function resourcesJson(resources: Resources): ResourceJson[] {
  return toJson(resources) as ResourceJson[]
}

/** Reservations to the framework's role come before unreserved resources. */
function preference(r: Resource, role: string): number {
  if (isUnreserved(r)) return 1
  return r.reservations[r.reservations.length - 1]!.role === role ? 0 : 2
}

/**
 * The concrete resources of `available` that satisfy `needed`, keeping the offer's reservations
 * and allocation role (so they can go into a TaskInfo for that offer), or undefined when they do
 * not fit. A scalar may be gathered from several reservations; ranges and sets come from one.
 */
export function takeResources(available: Resources, needed: Resources, role: string): Resources | undefined {
  const taken: Resource[] = []
  let left = available
  for (const want of needed) {
    const pool = left.items
      .filter(r => r.name === want.name && r.type === want.type && (isUnreserved(want) ? preference(r, role) < 2 : r.key === want.key))
      .sort((a, b) => preference(a, role) - preference(b, role))
    const pieces: Resource[] = []
    if (want.type === 'SCALAR') {
      let remaining = want.milli
      for (const r of pool) {
        if (remaining <= 0) break
        const take = Math.min(remaining, r.milli)
        pieces.push(makeResource(r.name, 'SCALAR', { milli: take }, { reservations: r.reservations, allocationRole: r.allocationRole }))
        remaining -= take
      }
      if (remaining > 0) return undefined
    } else {
      const fit = pool
        .map(r => ({ r, piece: withMeta(want, { reservations: r.reservations, allocationRole: r.allocationRole }) }))
        .find(({ r, piece }) => Resources.of([r]).contains(Resources.of([piece])))
      if (!fit) return undefined
      pieces.push(fit.piece)
    }
    const got = Resources.of(pieces)
    taken.push(...got.items)
    left = left.subtract(got)
  }
  return Resources.of(taken)
}

/**
 * Cuts up to `max` pieces of `needed` out of `available`, one after another; returns the pieces
 * and what is left.
 */
export function packTasks(available: Resources, needed: Resources, role: string, max: number): { pieces: Resources[]; left: Resources } {
  const pieces: Resources[] = []
  let left = available
  // An empty need would fit forever.
  if (needed.isEmpty()) return { pieces, left }
  while (pieces.length < max) {
    const got = takeResources(left, needed, role)
    if (!got) break
    pieces.push(got)
    left = left.subtract(got)
  }
  return { pieces, left }
}
