// The agent's resources when `--resources` leaves some out (Mesos: Containerizer::resources in
// src/slave/containerizer/containerizer.cpp): cpus = detected cores; mem = total - 1 GB (half
// when total < 2 GB); disk = the work_dir filesystem's size - 5 GB (half when < 10 GB);
// ports = [31000-32000]. Anything `--resources` names is kept as given.
import { statfsSync } from 'node:fs'
import { availableParallelism, totalmem } from 'node:os'
import { parseResources, toJson } from '../resources/index.js'
import type { Resource } from '../protocol/index.js'

const MB = 1024 * 1024
const GB = 1024 * MB

/** Mesos's fallbacks when probing fails (src/slave/constants.hpp). */
const DEFAULT_CPUS = 1
const DEFAULT_MEM_MB = 1024
const DEFAULT_DISK_MB = 10 * 1024
const DEFAULT_PORTS = '[31000-32000]'

export interface HostProbe {
  cpus(): number
  memoryBytes(): number
  /** Size of the filesystem holding `path`, in bytes. */
  diskBytes(path: string): number
}

export const localHost: HostProbe = {
  cpus: () => availableParallelism(),
  memoryBytes: () => totalmem(),
  diskBytes: path => {
    const s = statfsSync(path)
    return Number(s.blocks) * Number(s.bsize)
  },
}

function probe<T>(f: () => T, fallback: T): T {
  try {
    return f()
  } catch {
    return fallback
  }
}

/**
 * The v1 resources the agent offers: `resourcesFlag` (Mesos text or JSON, may be empty) with
 * cpus, mem, disk and ports filled in from the host where it names none. `workDir` must exist
 * (or its filesystem is not probed and disk falls back to 10 GB).
 */
export function defaultAgentResources(workDir: string, resourcesFlag = '', host: HostProbe = localHost): Resource[] {
  const given = parseResources(resourcesFlag)
  const has = (name: string): boolean => given.items.some(r => r.name === name)
  const extra: string[] = []
  if (!has('cpus')) extra.push(`cpus:${probe(() => host.cpus(), DEFAULT_CPUS)}`)
  if (!has('mem')) {
    const total = probe(() => host.memoryBytes(), -1)
    const mem = total < 0 ? DEFAULT_MEM_MB * MB : total >= 2 * GB ? total - GB : total / 2
    extra.push(`mem:${Math.floor(mem / MB)}`)
  }
  if (!has('disk')) {
    const total = probe(() => host.diskBytes(workDir), -1)
    const disk = total < 0 ? DEFAULT_DISK_MB * MB : total >= 10 * GB ? total - 5 * GB : total / 2
    extra.push(`disk:${Math.floor(disk / MB)}`)
  }
  if (!has('ports')) extra.push(`ports:${DEFAULT_PORTS}`)
  const all = extra.length > 0 ? given.add(parseResources(extra.join(';'))) : given
  return toJson(all) as Resource[]
}
