import { PidError } from './errors.js'

/**
 * An actor's address, `name@node` (`master@m1`, `agent-3@host2`). A plain string: pids are
 * compared, hashed and sent in messages constantly, so they carry no object overhead.
 */
export type Pid = string

export interface ParsedPid {
  readonly name: string
  readonly node: string
}

// Both halves become NATS subject tokens, so only characters legal inside one token are allowed:
// no '.', '*', '>', whitespace or '@'. A leading '_' is reserved for the runtime's own actors.
const TOKEN = /^[A-Za-z0-9_-]+$/
const MAX_TOKEN_LENGTH = 128

function checkToken(kind: 'name' | 'node', token: string, whole: string): void {
  if (token.length === 0) throw new PidError(`pid '${whole}': the ${kind} is empty`)
  if (token.length > MAX_TOKEN_LENGTH) {
    throw new PidError(`pid '${whole}': the ${kind} is longer than ${MAX_TOKEN_LENGTH} characters`)
  }
  if (TOKEN.test(token)) return
  for (const ch of token) {
    if (!/[A-Za-z0-9_-]/.test(ch)) {
      const shown = ch.trim() === '' ? `U+${ch.codePointAt(0)!.toString(16).padStart(4, '0').toUpperCase()}` : `'${ch}'`
      throw new PidError(`pid '${whole}': illegal character ${shown} in the ${kind} (allowed: letters, digits, '_' and '-')`)
    }
  }
}

export function parsePid(pid: string): ParsedPid {
  if (typeof pid !== 'string') throw new PidError(`pid must be a string, got ${typeof pid}`)
  const at = pid.indexOf('@')
  if (at < 0) throw new PidError(`pid '${pid}': missing '@' (expected name@node)`)
  if (pid.indexOf('@', at + 1) >= 0) throw new PidError(`pid '${pid}': illegal character '@' in the node`)
  const name = pid.slice(0, at)
  const node = pid.slice(at + 1)
  checkToken('name', name, pid)
  checkToken('node', node, pid)
  return { name, node }
}

export function makePid(name: string, node: string): Pid {
  const pid = `${name}@${node}`
  parsePid(pid)
  return pid
}

export function isValidPid(pid: unknown): pid is Pid {
  if (typeof pid !== 'string') return false
  const at = pid.indexOf('@')
  if (at <= 0 || at === pid.length - 1 || pid.length > 2 * MAX_TOKEN_LENGTH + 1) return false
  return TOKEN.test(pid.slice(0, at)) && TOKEN.test(pid.slice(at + 1))
}

export function nodeOf(pid: Pid): string {
  return pid.slice(pid.indexOf('@') + 1)
}

/** The cluster prefix (`--cluster`, default `mesos`) is itself one or more subject tokens. */
export function checkClusterPrefix(prefix: string): string {
  const parts = prefix.split('.')
  for (const part of parts) {
    if (!TOKEN.test(part)) {
      throw new PidError(`cluster prefix '${prefix}': '${part}' is not a legal subject token (allowed: letters, digits, '_' and '-', tokens separated by '.')`)
    }
  }
  return prefix
}

/** `<prefix>.pid.<name>.<node>`: one subject per actor. */
export function subjectOf(prefix: string, pid: Pid): string {
  const at = pid.indexOf('@')
  return `${prefix}.pid.${pid.slice(0, at)}.${pid.slice(at + 1)}`
}

/** The inverse of subjectOf, for transports that only see subjects (the sim's partitions). */
export function pidOfSubject(prefix: string, subject: string): Pid | undefined {
  const head = `${prefix}.pid.`
  if (!subject.startsWith(head)) return undefined
  const rest = subject.slice(head.length)
  const dot = rest.indexOf('.')
  if (dot <= 0) return undefined
  return `${rest.slice(0, dot)}@${rest.slice(dot + 1)}`
}
