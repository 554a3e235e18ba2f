// start-cluster's reading of mesos.conf: one file for the whole cluster, as in the seed, whose
// keys go to the daemons that know them (`resources`, `master` to agents; `log_dir` to both).
// Each daemon's keys are checked against its own flag table here, on the operator's machine, so
// a typo is reported with file and line before any host is touched; they then travel to the
// hosts as MESOS_* variables (toEnvironment), which every daemon reads.

import { readFileSync } from 'node:fs'
import { agentFlags } from './agent-flags.js'
import { readConfFile } from './conf-file.js'
import { ConfigError } from './errors.js'
import type { FlagTable } from './flag-table.js'
import { parseFlags, toEnvironment } from './flags.js'
import { masterFlags, masterUnsupported } from './master-flags.js'
import { agentUnsupported } from './agent-flags.js'
import { closest, didYouMean } from './suggest.js'

export interface ClusterConf {
  /** The file read, or undefined when there was none. */
  readonly path: string | undefined
  readonly master: Record<string, string>
  readonly agent: Record<string, string>
}

function names(table: FlagTable): Set<string> {
  return new Set(Object.entries(table).flatMap(([name, spec]) => [name, ...(spec.aliases ?? [])]))
}

/** The environment of one role: the file with other roles' lines blanked, so line numbers hold. */
function roleEnvironment(path: string, text: string, lines: ReadonlySet<number>, table: FlagTable, unsupported: Record<string, string>, program: string): Record<string, string> {
  const kept = text.split(/\r?\n/).map((line, i) => (lines.has(i + 1) ? line : '')).join('\n')
  const parsed = parseFlags(table, { argv: [`--config=${path}`], env: {}, readFile: (p) => (p === path ? kept : readFileSync(p, 'utf8')), program, unsupported })
  return toEnvironment(parsed)
}

export function readClusterConf(path: string | undefined, readFile: (path: string) => string = (p) => readFileSync(p, 'utf8')): ClusterConf {
  if (path === undefined) return { path: undefined, master: {}, agent: {} }
  const conf = readConfFile(path, readFile)
  const text = readFile(conf.path)
  const masterNames = names(masterFlags)
  const agentNames = names(agentFlags)
  const masterLines = new Set<number>()
  const agentLines = new Set<number>()
  for (const { key, line } of conf.entries) {
    if (key === 'config' || key === 'conf') throw new ConfigError('UNSUPPORTED_FLAG', `${conf.path}:${line}: '${key}' cannot be set inside a config file`, { key, file: conf.path, line })
    if (masterNames.has(key)) masterLines.add(line)
    if (agentNames.has(key)) agentLines.add(line)
    if (!masterNames.has(key) && !agentNames.has(key)) {
      const instead = masterUnsupported[key] ?? agentUnsupported[key]
      if (instead !== undefined) throw new ConfigError('UNSUPPORTED_FLAG', `${conf.path}:${line}: '${key}' is not supported: ${instead}`, { key, file: conf.path, line })
      const near = closest(key, [...masterNames, ...agentNames])
      throw new ConfigError('UNKNOWN_KEY', `${conf.path}:${line}: unknown key '${key}' (neither a master nor an agent flag)${didYouMean(near)}`, { key, file: conf.path, line, suggestion: near })
    }
  }
  return {
    path: conf.path,
    master: roleEnvironment(conf.path, text, masterLines, masterFlags, masterUnsupported as Record<string, string>, 'mesos-ts master'),
    agent: roleEnvironment(conf.path, text, agentLines, agentFlags, agentUnsupported as Record<string, string>, 'mesos-ts agent'),
  }
}
