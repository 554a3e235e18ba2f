// Reads a command's flags the way Mesos does (stout's FlagsBase::load), from three places:
//   command line  `--name=value`, `--name value`, `--name`/`--no-name` for booleans
//   environment   `MESOS_<NAME>` (or `MESOS_<name>`); other MESOS_* variables are not an error,
//                 since every Mesos tool shares that namespace: they are returned for logging
//   config file   `--config=<file>` (or MESOS_CONFIG; `--conf`/MESOS_CONF, Mesos 0.9's name,
//                 also a directory holding mesos.conf), `key=value` lines, see conf-file.ts
// Precedence: command line > environment > config file > default.
//
// As in Mesos, names are matched lower-cased, a value `file:///path` (or `file://relative`) is
// replaced by the file's contents (except for paths), giving a flag twice is an error, and an
// old name (`slave_ping_timeout`) still works with a deprecation warning.

import { readFileSync } from 'node:fs'
import { Bytes, BYTES_EXPECTED } from './bytes.js'
import { readConfFile } from './conf-file.js'
import { Duration, DURATION_EXPECTED } from './duration.js'
import { ConfigError, ValueError, type FlagSource } from './errors.js'
import type { AnyFlag, FlagTable, Flags } from './flag-table.js'
import { closest, didYouMean } from './suggest.js'

export const ENV_PREFIX = 'MESOS_'

export interface ParseOptions {
  /** The arguments after the command name. Default: none. */
  argv?: readonly string[]
  /** Default: none, so a test never reads the real environment by accident. */
  env?: Readonly<Record<string, string | undefined>>
  envPrefix?: string
  /** Reads config files and `file://` values. Default: fs.readFileSync as UTF-8. */
  readFile?: (path: string) => string
  /** Accept arguments that are not flags (returned as `positionals`). Default: an error. */
  allowPositionals?: boolean
  /** The program for messages, e.g. `mesos-ts master`. */
  program?: string
  /** Mesos flags that mean nothing here, each with what to do instead (`zk` -> use --nats). */
  unsupported?: Readonly<Record<string, string>>
  /** Other commands' tables, so `--resources` given to the master says it is an agent flag. */
  otherCommands?: Readonly<Record<string, FlagTable>>
}

export interface ParseResult<T extends FlagTable> {
  flags: Flags<T>
  /** Where each flag's value came from; undefined for an optional flag that was set nowhere. */
  sources: { [K in keyof T]: FlagSource | undefined }
  /** Non-flag arguments, and everything after `--`. */
  positionals: string[]
  /** Deprecated names that were used, and similar notes for the operator. */
  warnings: string[]
  /** `MESOS_*` variables that name no flag of this command (other Mesos tools share the prefix). */
  ignoredEnv: string[]
  /** The config file that was read, if any. */
  configFile: string | undefined
  /** The text each flag was set from (not for defaults), e.g. to hand the flags on: toEnvironment. */
  texts: { [K in keyof T]?: string }
}

interface Entry {
  name: string
  spec: AnyFlag
  /** Set when the name used was a deprecated alias. */
  alias?: string
}

/** One occurrence of a flag: a name as written and its raw value. */
interface Setting {
  entry: Entry
  raw: string | undefined
  source: FlagSource
  /** How messages name it: `--port`, `MESOS_PORT`, `mesos.conf:3: port`. */
  label: string
  file?: string
  line?: number
  /** The argument(s) as typed, for a command-line duplicate. */
  given?: string
}

/** Booleans and switches may stand alone (`--strict`) and be negated (`--no-strict`). */
function isBoolish(spec: AnyFlag): boolean {
  return spec.kind === 'bool' || spec.kind === 'switch'
}

function index(table: FlagTable): Map<string, Entry> {
  const byName = new Map<string, Entry>()
  for (const [name, spec] of Object.entries(table)) {
    byName.set(name, { name, spec })
    for (const alias of spec.aliases ?? []) byName.set(alias, { name, spec, alias })
  }
  return byName
}

function defaultReadFile(path: string): string {
  return readFileSync(path, 'utf8')
}

/** `--help`, `--help=true` or `-h` before any `--`: show help without judging the rest. */
export function wantsHelp(argv: readonly string[]): boolean {
  for (const arg of argv) {
    if (arg === '--') return false
    if (arg === '-h' || arg === '--help' || arg === '--help=true' || arg === '--help=1') return true
  }
  return false
}

function describeRange(what: string, min: unknown, max: unknown): string {
  if (min !== undefined && max !== undefined) return `${what} between ${String(min)} and ${String(max)}`
  if (min !== undefined) return `${what} of at least ${String(min)}`
  if (max !== undefined) return `${what} of at most ${String(max)}`
  return what
}

/** What a flag accepts, in words: `an integer between 1 and 65535`. */
export function expectedOf(spec: AnyFlag): string {
  switch (spec.kind) {
    case 'int':
      return describeRange('an integer', spec.min, spec.max)
    case 'number':
      return describeRange('a number', spec.min, spec.max)
    case 'bool':
      return 'a boolean (true, false, 1 or 0)'
    case 'duration':
      return spec.min !== undefined || spec.max !== undefined ? describeRange('a duration', spec.min, spec.max) : DURATION_EXPECTED
    case 'bytes':
      return spec.min !== undefined || spec.max !== undefined ? describeRange('a size', spec.min, spec.max) : BYTES_EXPECTED
    case 'enum':
      return `one of ${spec.values.join(', ')}`
    case 'list':
      return 'a comma-separated list'
    case 'switch':
      return 'true, false or a value'
    case 'custom':
      return spec.expected
    case 'path':
    case 'config':
      return 'a path'
    case 'string':
      return 'a string'
  }
}

const INTEGER = /^[+-]?\d+$/
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i

/** Text to typed value; throws ValueError (the caller adds the flag's name and source). */
function convert(spec: AnyFlag, text: string): unknown {
  switch (spec.kind) {
    case 'string':
    case 'path':
    case 'config':
      return text
    case 'int': {
      const n = Number(text)
      if (!INTEGER.test(text) || !Number.isSafeInteger(n)) throw new ValueError()
      if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) throw new ValueError()
      return n
    }
    case 'number': {
      const n = Number(text)
      if (!NUMBER.test(text) || !Number.isFinite(n)) throw new ValueError()
      if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) throw new ValueError()
      return n
    }
    case 'bool':
      // stout's FlagsBase::load: a boolean given no value (or an empty one) is true; then
      // parse<bool> takes exactly these four spellings.
      if (text === '' || text === 'true' || text === '1') return true
      if (text === 'false' || text === '0') return false
      throw new ValueError(undefined, closest(text, ['true', 'false']))
    case 'switch':
      if (text === '' || text === 'true' || text === '1') return true
      if (text === 'false' || text === '0') return false
      return text
    case 'duration': {
      const d = Duration.parse(text)
      if ((spec.min !== undefined && d.ns < Duration.parse(spec.min).ns) || (spec.max !== undefined && d.ns > Duration.parse(spec.max).ns)) throw new ValueError()
      return d
    }
    case 'bytes': {
      const b = Bytes.parse(text)
      if ((spec.min !== undefined && b.bytes < Bytes.parse(spec.min).bytes) || (spec.max !== undefined && b.bytes > Bytes.parse(spec.max).bytes)) throw new ValueError()
      return b
    }
    case 'enum': {
      const found = spec.values.find((v) => v === text || (spec.caseInsensitive === true && v.toLowerCase() === text.toLowerCase()))
      if (found === undefined) throw new ValueError(undefined, closest(text, spec.values))
      return found
    }
    case 'list':
      return text
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '')
    case 'custom':
      return spec.parse(text)
  }
}

/** The flag's own check (`validate`, or `validateItem` for each list item). */
function check(spec: AnyFlag, value: unknown): string | undefined {
  if (spec.kind === 'list') {
    if (!spec.validateItem) return undefined
    for (const item of value as string[]) {
      const problem = spec.validateItem(item)
      if (problem !== undefined) return problem
    }
    return undefined
  }
  if (spec.kind === 'switch') return typeof value === 'string' && spec.validate ? spec.validate(value) : undefined
  if ('validate' in spec && spec.validate) return (spec.validate as (v: unknown) => string | undefined)(value)
  return undefined
}

/** Flag text from the command line, environment or a file, to its typed value. */
function valueOf(setting: Setting, readFile: (path: string) => string): unknown {
  const { entry, label } = setting
  const spec = entry.spec
  let text = setting.raw ?? (isBoolish(spec) ? 'true' : '')
  const fetchable = spec.kind !== 'path' && spec.kind !== 'config' && !isBoolish(spec)
  if (fetchable && text.startsWith('file://')) {
    // Mesos's flags::fetch: the value is the file's contents (`--resources=file:///etc/mesos/resources`).
    const path = text.slice('file://'.length)
    try {
      text = readFile(path).trim()
    } catch (err) {
      throw new ConfigError('UNREADABLE_FILE', `${label}: cannot read '${path}': ${(err as Error).message}`, { ...where(setting), file: path })
    }
  }
  let value: unknown
  let problem: string | undefined
  let error: ValueError | undefined
  try {
    value = convert(spec, text)
    problem = check(spec, value)
  } catch (err) {
    if (!(err instanceof ValueError)) throw err
    error = err
  }
  if (error === undefined && problem === undefined) return value
  const expected = problem ?? expectedOf(spec)
  const hint = error?.suggestion !== undefined ? didYouMean(error.suggestion) : error?.reason !== undefined ? ` (${error.reason})` : ''
  throw new ConfigError('INVALID_VALUE', `${label}: expected ${expected}, got '${text}'${hint}`, { ...where(setting), suggestion: error?.suggestion })
}

function where(setting: Setting): { key: string; source: FlagSource; file?: string; line?: number; value?: string } {
  return { key: setting.entry.name, source: setting.source, file: setting.file, line: setting.line, value: setting.raw }
}

/** Every name a table answers to, for suggestions. */
function namesOf(table: FlagTable): string[] {
  return Object.entries(table).flatMap(([name, spec]) => [name, ...(spec.aliases ?? [])])
}

/**
 * Parses one command's flags. Throws a ConfigError for anything the operator must fix; returns
 * the typed flags, where each came from, and what to log (warnings, ignored MESOS_* variables).
 */
export function parseFlags<const T extends FlagTable>(table: T, options: ParseOptions = {}): ParseResult<T> {
  const byName = index(table)
  const prefix = options.envPrefix ?? ENV_PREFIX
  const readFile = options.readFile ?? defaultReadFile
  const program = options.program ?? 'this command'
  const warnings: string[] = []
  const positionals: string[] = []
  const ignoredEnv: string[] = []

  const unknown = (written: string, shown: string, at: { file?: string; line?: number }): ConfigError => {
    const inFile = at.file !== undefined
    const prefixText = inFile ? `${at.file}:${at.line}: ` : ''
    const instead = options.unsupported !== undefined && Object.hasOwn(options.unsupported, written) ? options.unsupported[written] : undefined
    if (instead !== undefined) {
      return new ConfigError('UNSUPPORTED_FLAG', `${prefixText}'${shown}' is not supported by ${program}: ${instead}`, { key: written, ...at })
    }
    const near = closest(written, namesOf(table))
    const suggestion = near === undefined ? undefined : (byName.get(near)?.name ?? near)
    let hint = suggestion === undefined ? '' : didYouMean(inFile ? suggestion : `--${suggestion}`)
    if (suggestion === undefined) {
      const elsewhere = Object.entries(options.otherCommands ?? {})
        .filter(([, other]) => Object.hasOwn(other, written))
        .map(([command]) => command)
      if (elsewhere.length > 0) hint = ` (it is a flag of ${elsewhere.map((c) => `'${c}'`).join(', ')})`
    }
    const what = inFile ? `unknown key '${shown}'` : `unknown flag '${shown}'`
    return new ConfigError(inFile ? 'UNKNOWN_KEY' : 'UNKNOWN_FLAG', `${prefixText}${what}${hint}`, { key: written, suggestion, ...at })
  }

  const deprecated = (setting: Setting, shownOld: string, shownNew: string) => {
    if (setting.entry.alias !== undefined) warnings.push(`${setting.file !== undefined ? `${setting.file}:${setting.line}: ` : ''}${shownOld} is deprecated; use ${shownNew}`)
  }

  // 1. Command line.
  const fromArgv = new Map<string, Setting>()
  const argv = options.argv ?? []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1))
      break
    }
    if (arg === '-h' && byName.has('help')) {
      fromArgv.set('help', { entry: byName.get('help')!, raw: 'true', source: 'command line', label: '-h', given: '-h' })
      continue
    }
    if (!arg.startsWith('--')) {
      if (/^-[A-Za-z]/.test(arg)) {
        // `-p` is a short option, which Mesos never had; only a long name with one dash gets a guess.
        const written = arg.slice(1).split('=')[0].toLowerCase()
        const near = written.length > 1 ? closest(written, namesOf(table)) : undefined
        const suggestion = near === undefined ? undefined : (byName.get(near)?.name ?? near)
        throw new ConfigError('UNKNOWN_FLAG', `unknown flag '${arg}': flags are written --name=value${didYouMean(suggestion && `--${suggestion}`)}`, { key: arg, suggestion, source: 'command line' })
      }
      positionals.push(arg)
      continue
    }
    const body = arg.slice(2)
    const eq = body.indexOf('=')
    const written = (eq === -1 ? body : body.slice(0, eq)).toLowerCase()
    let raw = eq === -1 ? undefined : body.slice(eq + 1)
    let entry = byName.get(written)
    let negated = false
    if (entry === undefined && written.startsWith('no-') && byName.has(written.slice(3))) {
      entry = byName.get(written.slice(3))!
      negated = true
    }
    if (entry === undefined) throw unknown(written, `--${written}`, {})
    const label = `--${written}`
    if (negated) {
      if (!isBoolish(entry.spec)) {
        throw new ConfigError('NEGATED_NON_BOOLEAN', `${label}: only boolean flags can be negated; --${entry.name} takes ${expectedOf(entry.spec)}`, { key: entry.name, source: 'command line' })
      }
      if (raw !== undefined && raw !== '') {
        throw new ConfigError('NEGATED_WITH_VALUE', `${label}: a negated flag takes no value, got '${raw}'`, { key: entry.name, source: 'command line', value: raw })
      }
      raw = 'false'
    } else if (raw === undefined && !isBoolish(entry.spec)) {
      const next = argv[i + 1]
      if (next === undefined || next.startsWith('--')) {
        throw new ConfigError('MISSING_VALUE', `${label}: missing value (expected ${expectedOf(entry.spec)})`, { key: entry.name, source: 'command line' })
      }
      raw = next
      i++
    }
    const given = eq === -1 && raw !== undefined && !negated ? `${arg} ${raw}` : arg
    const setting: Setting = { entry, raw, source: 'command line', label, given }
    const earlier = fromArgv.get(entry.name)
    if (earlier !== undefined) {
      throw new ConfigError('DUPLICATE_FLAG', `--${entry.name} is given twice: '${earlier.given}' and '${given}'`, { key: entry.name, source: 'command line' })
    }
    fromArgv.set(entry.name, setting)
    deprecated(setting, `--${written}`, `--${entry.name}`)
  }
  if (positionals.length > 0 && options.allowPositionals !== true) {
    const first = positionals[0]
    const before = argv[argv.indexOf(first) - 1]
    const beforeSpec = before?.startsWith('--') && !before.includes('=') ? byName.get(before.slice(2).toLowerCase())?.spec : undefined
    const hint = beforeSpec !== undefined && isBoolish(beforeSpec) ? ` (${before} takes no separate value: write ${before}=${first})` : ' (flags are written --name=value)'
    throw new ConfigError('UNEXPECTED_ARGUMENT', `unexpected argument '${first}'${hint}`, { value: first, source: 'command line' })
  }

  // 2. Environment. Canonical names win over deprecated ones; unknown names are only reported.
  const fromEnv = new Map<string, Setting>()
  const env = options.env ?? {}
  for (const key of Object.keys(env).sort()) {
    const raw = env[key]
    if (!key.startsWith(prefix) || raw === undefined) continue
    const entry = byName.get(key.slice(prefix.length).toLowerCase())
    if (entry === undefined) {
      ignoredEnv.push(key)
      continue
    }
    const setting: Setting = { entry, raw, source: 'environment', label: key }
    const earlier = fromEnv.get(entry.name)
    if (earlier !== undefined) {
      const keep = earlier.entry.alias === undefined ? earlier : setting
      const drop = keep === earlier ? setting : earlier
      warnings.push(`${drop.label} is ignored: ${keep.label} is also set`)
      fromEnv.set(entry.name, keep)
      continue
    }
    fromEnv.set(entry.name, setting)
  }
  for (const setting of fromEnv.values()) deprecated(setting, setting.label, `${prefix}${setting.entry.name.toUpperCase()}`)

  // 3. Config file, named on the command line or in the environment (never in itself).
  const configName = Object.entries(table).find(([, spec]) => spec.kind === 'config')?.[0]
  const fromFile = new Map<string, Setting>()
  let configFile: string | undefined
  if (configName !== undefined) {
    const named = fromArgv.get(configName) ?? fromEnv.get(configName)
    const path = named?.raw ?? (table[configName].default as string | undefined)
    if (path !== undefined && path !== '') {
      const conf = readConfFile(path, readFile)
      configFile = conf.path
      for (const { key, value, line } of conf.entries) {
        const at = { file: conf.path, line }
        const entry = byName.get(key)
        if (entry === undefined) throw unknown(key, key, at)
        if (entry.name === configName) {
          throw new ConfigError('UNSUPPORTED_FLAG', `${conf.path}:${line}: '${key}' cannot be set inside a config file`, { key, ...at })
        }
        const setting: Setting = { entry, raw: value, source: 'config file', label: `${conf.path}:${line}: ${key}`, ...at }
        const earlier = fromFile.get(entry.name)
        if (earlier !== undefined) {
          throw new ConfigError('DUPLICATE_KEY', `${conf.path}:${line}: '${key}' is already set on line ${earlier.line}`, { key: entry.name, ...at })
        }
        fromFile.set(entry.name, setting)
        deprecated(setting, `'${key}'`, `'${entry.name}'`)
      }
    }
  }

  // 4. Values. Every command-line and config-file value is checked, even one that is overridden
  // (a broken line in mesos.conf should not wait for the day the override goes away); an
  // environment value only when it is the one used, since other tools may share the variable.
  const flags: Record<string, unknown> = {}
  const sources: Record<string, FlagSource | undefined> = {}
  const texts: Record<string, string> = {}
  for (const setting of [...fromArgv.values(), ...fromFile.values()]) valueOf(setting, readFile)
  for (const [name, spec] of Object.entries(table)) {
    const setting = fromArgv.get(name) ?? fromEnv.get(name) ?? fromFile.get(name)
    if (setting !== undefined) {
      flags[name] = valueOf(setting, readFile)
      sources[name] = setting.source
      texts[name] = setting.raw ?? 'true'
    } else if (spec.default !== undefined) {
      flags[name] = defaultOf(name, spec)
      sources[name] = 'default'
    } else if (spec.required === true) {
      const placeholder = spec.placeholder ?? 'value'
      throw new ConfigError(
        'MISSING_REQUIRED',
        `missing required flag --${name} (set --${name}=<${placeholder}>, ${prefix}${name.toUpperCase()}, or ${name}=... in a config file)`,
        { key: name },
      )
    } else {
      flags[name] = undefined
      sources[name] = undefined
    }
  }

  return { flags: flags as Flags<T>, sources: sources as ParseResult<T>['sources'], positionals, warnings, ignoredEnv, configFile, texts: texts as ParseResult<T>['texts'] }
}

/** A table's default goes through the same conversion as a given value; a bad one is a bug here. */
function defaultOf(name: string, spec: AnyFlag): unknown {
  const raw = spec.default
  if (typeof raw !== 'string') return raw
  try {
    return valueOf({ entry: { name, spec }, raw, source: 'default', label: `default of --${name}` }, defaultReadFile)
  } catch (err) {
    throw new Error(`flag table bug: ${(err as Error).message}`)
  }
}

/**
 * The environment that hands the flags that were set (not defaulted) to another process, as
 * stout's buildEnvironment does: `{ MESOS_PORT: '5051', ... }`. start-cluster uses it over ssh.
 */
export function toEnvironment(result: Pick<ParseResult<FlagTable>, 'texts'>, prefix = ENV_PREFIX, skip: readonly string[] = ['help', 'config']): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, text] of Object.entries(result.texts)) {
    if (text !== undefined && !skip.includes(name)) out[`${prefix}${name.toUpperCase()}`] = text
  }
  return out
}
