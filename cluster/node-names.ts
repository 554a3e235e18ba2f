import { hostname } from 'node:os'
import type { Pid } from '../runtime/index.js'

/**
 * Where the leading master listens. One master per cluster prefix until leader election
 * (JetStream KV lease) lets agents and frameworks discover it.
 */
export const MASTER_PID: Pid = 'master@master'

/** A pid's node half from a hostname: subject tokens allow no dots, so `h1.example.com` -> `h1-example-com`. */
export function nodeNameFor(host: string = hostname(), suffix?: string | number): string {
  const base = host.replace(/[^A-Za-z0-9_-]/g, '-').replace(/-+/g, '-').replace(/^-|-$/g, '') || 'node'
  return suffix === undefined ? base : `${base}-${suffix}`
}
