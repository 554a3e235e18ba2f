// Network namespaces as extra "hosts" for start-cluster's multi-host test: each gets a veth pair
// to the root namespace (a /30: root side .1, namespace side .2) and a default route through it,
// so a daemon inside reaches the root namespace's addresses (the master, NATS) and the test
// reaches it. Root only; torn down in t.teardown.

import { execFileSync } from 'node:child_process'
import type { Test } from 'tap'

export interface HostNamespace {
  readonly name: string
  /** The root namespace's end of the veth: the address the namespace reaches us at. */
  readonly rootIp: string
  /** The namespace's own address: the "host" in the deploy file. */
  readonly ip: string
}

/** Why namespaces cannot be made here, or false. */
export function netnsSkipReason(): string | false {
  if (process.getuid?.() !== 0) return 'not root: ip netns needs CAP_SYS_ADMIN'
  const probe = `mts-probe-${process.pid}`
  try {
    execFileSync('ip', ['netns', 'add', probe], { stdio: 'pipe' })
    execFileSync('ip', ['netns', 'del', probe], { stdio: 'pipe' })
    return false
  } catch (err) {
    return `ip netns does not work here: ${String((err as { stderr?: Buffer }).stderr ?? (err as Error).message).trim()}`
  }
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: 'pipe' })
}

/** `count` namespaces on 10.231.<x>.<4i>/30, x from our pid so concurrent runs do not collide. */
export function hostNamespaces(t: Test, count: number): HostNamespace[] {
  const x = (process.pid % 200) + 20
  const made: HostNamespace[] = []
  t.teardown(() => {
    for (const ns of made) {
      try {
        ip('netns', 'del', ns.name)
      } catch {
        // Already gone; its veth went with it.
      }
    }
  })
  for (let i = 0; i < count; i++) {
    const name = `mts-${process.pid}-${i}`
    const rootSide = `mtr${process.pid % 100000}x${i}`
    const nsSide = `mtn${process.pid % 100000}x${i}`
    const ns: HostNamespace = { name, rootIp: `10.231.${x}.${4 * i + 1}`, ip: `10.231.${x}.${4 * i + 2}` }
    ip('netns', 'add', name)
    made.push(ns)
    ip('link', 'add', rootSide, 'type', 'veth', 'peer', 'name', nsSide)
    ip('link', 'set', nsSide, 'netns', name)
    ip('addr', 'add', `${ns.rootIp}/30`, 'dev', rootSide)
    ip('link', 'set', rootSide, 'up')
    const inside = (...args: string[]) => ip('netns', 'exec', name, 'ip', ...args)
    inside('link', 'set', 'lo', 'up')
    inside('addr', 'add', `${ns.ip}/30`, 'dev', nsSide)
    inside('link', 'set', nsSide, 'up')
    inside('route', 'add', 'default', 'via', ns.rootIp)
  }
  return made
}
