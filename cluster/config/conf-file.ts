// `mesos.conf`: the `key=value` file Mesos 0.9's configurator read from `<prefix>/var/mesos/conf`
// (the seed's setup: `master=master:5050`, `log_dir=/var/log/mesos`, `resources=cpus:4;mem:2300`).
//
// One setting per line. Blank lines and lines starting with `#` are skipped; so is a trailing
// ` # comment` (a `#` after whitespace), which Mesos 0.9 also stripped. Whitespace around the key
// and the value is dropped. The value is everything after the first `=`, so it may contain `=`
// and `;`. A value may be quoted ('...' or "...") to keep a ` #` or outer spaces. Lines written for
// Mesos's `mesos-*-env.sh` files also work: `export MESOS_LOG_DIR=/var/log/mesos` sets `log_dir`.

import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { ConfigError } from './errors.js'

export interface ConfEntry {
  /** Lower-case, without any `MESOS_` prefix. */
  readonly key: string
  readonly value: string
  /** 1-based. */
  readonly line: number
}

export interface ConfFile {
  /** The file as named by the caller (messages quote it like that). */
  readonly path: string
  readonly entries: readonly ConfEntry[]
}

/** The file Mesos looked for inside a `--conf` directory. */
export const CONF_FILE_NAME = 'mesos.conf'

const KEY = /^[A-Za-z][A-Za-z0-9_-]*$/

/** Splits a line's value from a trailing comment, honouring quotes. Undefined if a quote is unclosed. */
function valueOf(rest: string): string | undefined {
  const text = rest.trim()
  const quote = text[0]
  if (quote === '"' || quote === "'") {
    const close = text.indexOf(quote, 1)
    if (close === -1) return undefined
    const after = text.slice(close + 1).trim()
    if (after !== '' && !after.startsWith('#')) return undefined
    return text.slice(1, close)
  }
  const comment = /\s#/.exec(text)
  return (comment ? text.slice(0, comment.index) : text).trim()
}

/** Parses the text of a conf file; `file` is only for messages. */
export function parseConfText(text: string, file: string): ConfEntry[] {
  const entries: ConfEntry[] = []
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/)
  lines.forEach((raw, index) => {
    const line = index + 1
    let body = raw.trim()
    if (body === '' || body.startsWith('#')) return
    if (body.startsWith('export ')) body = body.slice('export '.length).trimStart()
    const eq = body.indexOf('=')
    const key = eq === -1 ? '' : body.slice(0, eq).trim()
    const value = eq === -1 ? undefined : valueOf(body.slice(eq + 1))
    if (!KEY.test(key) || value === undefined) {
      throw new ConfigError('MALFORMED_LINE', `${file}:${line}: expected key=value, got '${raw.trim()}'`, { file, line, value: raw })
    }
    const lower = key.toLowerCase()
    entries.push({ key: lower.startsWith('mesos_') ? lower.slice('mesos_'.length) : lower, value, line })
  })
  return entries
}

/** A directory (Mesos 0.9's `--conf=<dir>`) means the `mesos.conf` inside it. */
export function resolveConfPath(path: string): string {
  try {
    if (statSync(path).isDirectory()) return join(path, CONF_FILE_NAME)
  } catch {
    // Reported by readConfFile, with the path the user gave.
  }
  return path
}

export function readConfFile(path: string, readFile: (path: string) => string = (p) => readFileSync(p, 'utf8')): ConfFile {
  const resolved = resolveConfPath(path)
  let text: string
  try {
    text = readFile(resolved)
  } catch (err) {
    throw new ConfigError('UNREADABLE_FILE', `cannot read config file '${resolved}': ${(err as Error).message}`, { file: resolved })
  }
  return { path: resolved, entries: parseConfText(text, resolved) }
}
