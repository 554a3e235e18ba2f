// --help text, generated from the flag tables so it cannot drift from what the parser accepts.
// Like Mesos's usage(): one entry per flag with `--[no-]` for booleans and the default; unlike
// it, the help goes on its own wrapped lines (the TODO in stout's flags.hpp).

import type { CommandSpec } from './commands.js'
import type { AnyFlag, FlagTable } from './flag-table.js'
import { ENV_PREFIX } from './flags.js'

export interface HelpOptions {
  /** Default `mesos-ts`. */
  program?: string
  /** Wrap width. Default 100. */
  width?: number
}

function wrap(text: string, indent: number, width: number): string[] {
  const lines: string[] = []
  const pad = ' '.repeat(indent)
  let line = ''
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    if (line !== '' && indent + line.length + 1 + word.length > width) {
      lines.push(pad + line)
      line = word
    } else {
      line = line === '' ? word : `${line} ${word}`
    }
  }
  if (line !== '') lines.push(pad + line)
  return lines
}

function placeholderOf(spec: AnyFlag): string {
  if (spec.placeholder !== undefined) return spec.placeholder
  switch (spec.kind) {
    case 'enum':
      return spec.values.join('|')
    case 'list':
      return 'value,...'
    case 'config':
      return 'file'
    case 'int':
      return 'int'
    default:
      return spec.kind
  }
}

/** `--agent_ping_timeout=<duration>`, `--[no-]strict`, `--[no-]nats[=<url,...>]`. */
export function flagSyntax(name: string, spec: AnyFlag): string {
  if (spec.kind === 'bool') return `--[no-]${name}`
  if (spec.kind === 'switch') return `--[no-]${name}[=<${placeholderOf(spec)}>]`
  return `--${name}=<${placeholderOf(spec)}>`
}

function defaultText(spec: AnyFlag): string {
  if (spec.required === true) return '(required)'
  if (spec.default === undefined) return ''
  return spec.default === '' ? "(default: '')" : `(default: ${String(spec.default)})`
}

/** One flag: its syntax and default on the first line, then its help, wrapped and indented. */
export function flagHelp(name: string, spec: AnyFlag, width = 100): string {
  const head = `  ${flagSyntax(name, spec)}`
  const dflt = defaultText(spec)
  const lines = [dflt === '' ? head : `${head}  ${dflt}`]
  let help = spec.help
  if (spec.aliases && spec.aliases.length > 0) help += ` Deprecated name${spec.aliases.length > 1 ? 's' : ''}: ${spec.aliases.map((a) => `--${a}`).join(', ')}.`
  lines.push(...wrap(help, 6, width))
  return lines.join('\n')
}

/** The flags of one table under their group headings, in table order. */
export function flagsHelp(table: FlagTable, fallbackGroup: string, width = 100): string {
  const groups = new Map<string, string[]>()
  for (const [name, spec] of Object.entries(table)) {
    const group = spec.group ?? fallbackGroup
    if (!groups.has(group)) groups.set(group, [])
    groups.get(group)!.push(flagHelp(name, spec, width))
  }
  return [...groups].map(([group, entries]) => `${group} flags:\n${entries.join('\n')}`).join('\n\n')
}

const SOURCES_NOTE =
  `Every flag can also be set as ${ENV_PREFIX}<NAME> in the environment (e.g. ${ENV_PREFIX}PORT=5050) or as name=value ` +
  'in the file given by --config. The command line wins over the environment, which wins over the config file. ' +
  'A value file:///path is read from that file.'

/** `mesos-ts <command> --help`. */
export function commandHelp(spec: CommandSpec, options: HelpOptions = {}): string {
  const program = options.program ?? 'mesos-ts'
  const width = options.width ?? 100
  return [
    `Usage: ${program} ${spec.name} [--name=value ...]${spec.positionals !== undefined ? ` ${spec.positionals}` : ''}`,
    '',
    ...wrap(spec.description, 0, width),
    '',
    ...wrap(SOURCES_NOTE, 0, width),
    '',
    flagsHelp(spec.flags, spec.name, width),
    '',
  ].join('\n')
}

/** `mesos-ts --help`: the commands, then every command's flags, grouped by command. */
export function programHelp(specs: readonly CommandSpec[], options: HelpOptions = {}): string {
  const program = options.program ?? 'mesos-ts'
  const width = options.width ?? 100
  const nameWidth = Math.max(...specs.map((s) => s.name.length))
  const out = [`Usage: ${program} <command> [--name=value ...]`, '', 'Commands:']
  for (const spec of specs) out.push(`  ${spec.name.padEnd(nameWidth)}  ${spec.summary}`)
  out.push('', ...wrap(SOURCES_NOTE, 0, width))
  for (const spec of specs) {
    out.push('', `=== ${program} ${spec.name} ===`, '', flagsHelp(spec.flags, spec.name, width))
  }
  out.push('')
  return out.join('\n')
}
