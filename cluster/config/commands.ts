// The commands whose flags this folder knows, for the CLI, --help and cross-command hints.

import { agentFlags, agentUnsupported } from './agent-flags.js'
import { executeFlags } from './execute-flags.js'
import type { FlagTable } from './flag-table.js'
import { parseFlags, type ParseOptions, type ParseResult } from './flags.js'
import { localFlags } from './local-flags.js'
import { masterFlags, masterUnsupported } from './master-flags.js'
import { natsCommandFlags } from './nats-flags.js'
import { startClusterFlags, stopClusterFlags } from './cluster-script-flags.js'
import { catFlags, psFlags, tailFlags } from './task-tool-flags.js'

export interface CommandSpec<T extends FlagTable = FlagTable> {
  readonly name: string
  /** One line for the command list. */
  readonly summary: string
  /** A paragraph for the command's own --help. */
  readonly description: string
  readonly flags: T
  readonly unsupported?: Readonly<Record<string, string>>
  /** The arguments it takes besides flags, for help (`<task-id> [file]`); none if unset. */
  readonly positionals?: string
  /** One-letter options Mesos's tools had (`tail -f`), each to its long flag. */
  readonly shortFlags?: Readonly<Record<string, string>>
}

export const commands = {
  master: {
    name: 'master',
    summary: 'Run a master: pools the agents\' resources and offers them to frameworks.',
    description:
      'Runs a master. Several masters on one NATS elect a leader through a lease in JetStream KV; the others stand by. ' +
      'Serves the HTTP API and web UI on --port.',
    flags: masterFlags,
    unsupported: masterUnsupported,
  },
  agent: {
    name: 'agent',
    summary: 'Run an agent: offers this host\'s resources and runs tasks in sandboxes.',
    description: 'Runs an agent, which registers with the leading master, offers --resources and runs tasks in sandboxes under --work_dir.',
    flags: agentFlags,
    unsupported: agentUnsupported,
  },
  local: {
    name: 'local',
    summary: 'Run a master and --num_agents agents in one process (no NATS needed).',
    description: 'Runs a master and --num_agents agents in this process, serving the HTTP API and web UI on --port. With --nats, other processes can join over NATS.',
    flags: localFlags,
  },
  execute: {
    name: 'execute',
    summary: 'Run one command as a task and wait for it to finish.',
    description: 'Registers a framework, launches --command as --instances task(s) with --resources, reports their status updates and exits when they finish.',
    flags: executeFlags,
  },
  nats: {
    name: 'nats',
    summary: 'Start nats-server with JetStream (one server, or a routed cluster).',
    description: 'Starts nats-server with JetStream for mesos-ts to use, and stops it on Ctrl-C. Needs the nats-server binary (apt-get install -y nats-server).',
    flags: natsCommandFlags,
  },
  'start-cluster': {
    name: 'start-cluster',
    summary: 'Start the masters and agents listed in the deploy files, over ssh.',
    description:
      'Reads <deploy_dir>/masters and <deploy_dir>/slaves (or agents) and, over ssh, starts mesos-ts master on each master host and mesos-ts agent on each agent host, ' +
      'detached, with the keys of mesos.conf as MESOS_* variables; without nats= in mesos.conf it first starts mesos-ts nats on the first master host. Reports each host; exits 1 if any failed.',
    flags: startClusterFlags,
  },
  'stop-cluster': {
    name: 'stop-cluster',
    summary: 'Stop the agents, masters (and NATS) start-cluster started, over ssh.',
    description: 'Stops, through the pid files in --run_dir on each host, the agents, then the masters, then the NATS server start-cluster started. Reports each host; exits 1 if any failed.',
    flags: stopClusterFlags,
  },
  ps: {
    name: 'ps',
    summary: 'List the running tasks (like mesos-ps), from the master\'s HTTP API.',
    description: 'Lists the tasks the master knows: framework, task id and name, state, host, cpus and mem.',
    flags: psFlags,
  },
  cat: {
    name: 'cat',
    summary: 'Print a task\'s sandbox file (stdout by default), like mesos-cat.',
    description: 'Finds the task\'s agent and sandbox through the master\'s and the agent\'s HTTP APIs and prints the file (stdout, stderr, or another file in the sandbox).',
    flags: catFlags,
    positionals: '<task-id> [stdout|stderr|<file>]',
  },
  tail: {
    name: 'tail',
    summary: 'Print the end of a task\'s sandbox file, and follow it with -f (like mesos-tail).',
    description: 'Like cat, but prints the last --lines lines; with -f/--follow keeps printing what is appended until Ctrl-C.',
    flags: tailFlags,
    positionals: '<task-id> [stdout|stderr|<file>]',
    shortFlags: { f: 'follow' },
  },
} as const satisfies Record<string, CommandSpec>

export type CommandName = keyof typeof commands
export type CommandFlags<N extends CommandName> = (typeof commands)[N]['flags']

export function isCommandName(name: string): name is CommandName {
  return Object.hasOwn(commands, name)
}

/**
 * Parses a command's flags from argv (after the command name), the environment and the config
 * file, with the command's hints wired in: Mesos flags it does not support, and flags that
 * belong to another command.
 */
export function parseCommandFlags<N extends CommandName>(
  name: N,
  options: Omit<ParseOptions, 'program' | 'unsupported' | 'otherCommands'> = {},
): ParseResult<CommandFlags<N>> {
  const spec: CommandSpec = commands[name]
  const otherCommands: Record<string, FlagTable> = {}
  for (const [other, otherSpec] of Object.entries(commands)) if (other !== name) otherCommands[other] = otherSpec.flags
  const short = spec.shortFlags ?? {}
  const argv = options.argv?.map((arg) => (arg.length === 2 && arg[0] === '-' && Object.hasOwn(short, arg[1]) ? `--${short[arg[1]]}` : arg))
  return parseFlags(spec.flags, {
    ...options,
    argv,
    allowPositionals: spec.positionals !== undefined,
    program: `mesos-ts ${name}`,
    unsupported: spec.unsupported,
    otherCommands,
  }) as ParseResult<CommandFlags<N>>
}
