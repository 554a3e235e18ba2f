// The deploy files Mesos's start/stop scripts read (the seed's `<prefix>/var/mesos/deploy`):
// `masters` and `slaves` (mesos-ts also accepts `agents`), one host or IP per line. As in
// mesos-start-agents.sh a `#` at the start of a line comments it out; unlike there, a trailing
// `# comment` after the host also works, and a line with two words is an error instead of
// silently becoming two hosts.

import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ConfigError } from './errors.js'

export interface DeployHost {
  /** The ssh destination as written: `slave1`, `10.0.0.3` or `mesos@slave1`. */
  readonly destination: string
  /** The host part of the destination. */
  readonly host: string
  readonly user: string | undefined
  readonly line: number
}

export interface DeployFiles {
  readonly masters: readonly DeployHost[]
  readonly agents: readonly DeployHost[]
  /** The files that were read (`.../slaves` or `.../agents`). */
  readonly mastersFile: string
  readonly agentsFile: string
}

const DESTINATION = /^(?:([A-Za-z0-9._][A-Za-z0-9._-]*)@)?([A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\]|[0-9A-Fa-f]*:[0-9A-Fa-f:.]+)$/

/** Parses a hosts file's text; `file` is only for messages. */
export function parseHostsText(text: string, file: string): DeployHost[] {
  const hosts: DeployHost[] = []
  const seen = new Map<string, number>()
  text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .forEach((raw, index) => {
      const line = index + 1
      const comment = raw.search(/(^|\s)#/)
      const body = (comment === -1 ? raw : raw.slice(0, comment)).trim()
      if (body === '') return
      const words = body.split(/\s+/)
      if (words.length > 1) {
        throw new ConfigError('MALFORMED_LINE', `${file}:${line}: expected one host per line, got '${body}'`, { file, line, value: raw })
      }
      const match = DESTINATION.exec(body)
      if (!match) throw new ConfigError('MALFORMED_LINE', `${file}:${line}: '${body}' is not a host name or IP address`, { file, line, value: raw })
      const host = match[2].replace(/^\[|\]$/g, '')
      const first = seen.get(host)
      if (first !== undefined) {
        throw new ConfigError('DUPLICATE_HOST', `${file}:${line}: host '${host}' is already listed on line ${first}`, { file, line, value: raw })
      }
      seen.set(host, line)
      hosts.push({ destination: body, host, user: match[1], line })
    })
  return hosts
}

export function readHostsFile(path: string, readFile: (path: string) => string = (p) => readFileSync(p, 'utf8')): DeployHost[] {
  let text: string
  try {
    text = readFile(path)
  } catch (err) {
    throw new ConfigError('UNREADABLE_FILE', `cannot read '${path}': ${(err as Error).message}`, { file: path })
  }
  return parseHostsText(text, path)
}

function exists(path: string, readFile: (path: string) => string): boolean {
  try {
    readFile(path)
    return true
  } catch {
    return false
  }
}

/**
 * Reads `<dir>/masters` and `<dir>/slaves` (or `<dir>/agents`). Both must exist, as
 * mesos-start-cluster.sh requires; an empty agents list is allowed (a master-only start).
 */
export function readDeployFiles(dir: string, readFile: (path: string) => string = (p) => readFileSync(p, 'utf8')): DeployFiles {
  const mastersFile = join(dir, 'masters')
  const slaves = join(dir, 'slaves')
  const agentsFile = exists(slaves, readFile) || !exists(join(dir, 'agents'), readFile) ? slaves : join(dir, 'agents')
  return { masters: readHostsFile(mastersFile, readFile), agents: readHostsFile(agentsFile, readFile), mastersFile, agentsFile }
}
