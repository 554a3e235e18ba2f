import { HierarchicalAllocator, type Offer } from '../../../actors/allocator/index.js'
import { parseResources, type Resources } from '../../../actors/resources/index.js'

export const R = (text: string): Resources => parseResources(text)

/** Framework -> number of offers in a list. */
export function offersBy(offers: readonly Offer[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const o of offers) out[o.frameworkId] = (out[o.frameworkId] ?? 0) + 1
  return out
}

/** Declines every offer (with the given refuse seconds, or no filter when undefined). */
export function declineAll(a: HierarchicalAllocator, offers: readonly Offer[], now: number, refuseSeconds?: number): void {
  for (const o of offers) a.recoverResources(o.frameworkId, o.agentId, o.resources, refuseSeconds === undefined ? undefined : { refuseSeconds }, now)
}

/** Scalar total (in whole units) of one resource held by a framework across all agents. */
export function held(a: HierarchicalAllocator, frameworkId: string, name: string): number {
  let milli = 0
  for (const res of a.allocationsOf(frameworkId).values()) milli += res.scalarMilli(name)
  return milli / 1000
}
