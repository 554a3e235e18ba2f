// The seed's layout for start-cluster's tests, and what they check and clean up afterwards.

import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Test } from 'tap'
import { natsServerPath } from '../../../../cluster/nats-server.js'
import { tempDir } from './cli.js'
import { sshdSkipReason } from './sshd.js'

/** Why start-cluster's end-to-end tests cannot run here, or false. */
export const seedClusterSkip: string | false = sshdSkipReason() || (natsServerPath() === undefined ? 'no nats-server binary (apt-get install -y nats-server)' : false)

export interface SeedLayout {
  prefix: string
  deployDir: string
  runDir: string
}

/** `<prefix>/var/mesos/{deploy,conf}` as the seed lays them out. */
export function seedLayout(t: Test, files: { masters: string; slaves: string; conf: string }): SeedLayout {
  const prefix = tempDir(t, 'mesos-ts-seed-')
  const deployDir = join(prefix, 'var/mesos/deploy')
  mkdirSync(deployDir, { recursive: true })
  mkdirSync(join(prefix, 'var/mesos/conf'), { recursive: true })
  writeFileSync(join(deployDir, 'masters'), files.masters)
  writeFileSync(join(deployDir, 'slaves'), files.slaves)
  writeFileSync(join(prefix, 'var/mesos/conf/mesos.conf'), files.conf)
  return { prefix, deployDir, runDir: join(prefix, 'run') }
}

export function runningPids(runDir: string): number[] {
  if (!existsSync(runDir)) return []
  return readdirSync(runDir)
    .filter((f) => f.endsWith('.pid'))
    .map((f) => Number(readFileSync(join(runDir, f), 'utf8').trim()))
    .filter((pid) => pid > 0)
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** Whatever start-cluster left running is killed, even when the test failed before stop-cluster. */
export function killLeftovers(t: Test, runDir: string): void {
  t.teardown(() => {
    for (const pid of runningPids(runDir)) {
      try {
        process.kill(-pid, 'SIGKILL')
      } catch {
        // Already gone.
      }
    }
  })
}

export async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms
  let last: unknown
  for (;;) {
    try {
      const value = await probe()
      if (value !== undefined) return value
    } catch (err) {
      last = err
    }
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${ms} ms${last ? `: ${String(last)}` : ''}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

export async function activeAgents(masterPort: number, atLeast = 1): Promise<number | undefined> {
  const state = (await (await fetch(`http://127.0.0.1:${masterPort}/master/state`)).json()) as { slaves: Array<{ active: boolean }> }
  const n = state.slaves.filter((s) => s.active).length
  return n >= atLeast ? n : undefined
}

export function netnsOf(pid: number | 'self'): string {
  return readlinkSync(`/proc/${pid}/ns/net`)
}

