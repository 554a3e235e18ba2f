import type { Pid } from './pid.js'

/**
 * What travels between actors. `id` + `replyTo` mark a request; a reply carries the request's
 * `id` and no `replyTo`, and goes to the requester's runtime rather than to its machine.
 */
export interface Envelope<B = unknown> {
  type: string
  from: Pid
  to: Pid
  body: B
  id?: string
  replyTo?: Pid
}
