// `mesos-ts [--help|--version] <command> [flags]`: finds the command, parses its flags (command
// line, MESOS_* environment, --config file), builds the root logger, wires the signals and runs
// it. User errors are one line on stderr, never a stack trace: exit 2 for a usage or
// configuration error, 1 for a failure at run time.

import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pino, type DestinationStream, type StreamEntry } from 'pino'
import {
  closest,
  commandHelp,
  commands,
  ConfigError,
  isCommandName,
  parseCommandFlags,
  pinoLevel,
  programHelp,
  wantsHelp,
  type CommandName,
  type Flags,
  type loggingFlags,
} from '../config/index.js'
import { createLogger, TransportError, type Logger } from '../../runtime/index.js'
import { CommandError, type CommandContext, type CommandFile } from './command.js'
import { checkOpenFileLimit, handleShutdownSignals } from './process-lifecycle.js'

interface RegistryEntry<N extends CommandName> {
  /** The command's module, or undefined when this build does not have it. */
  load(): Promise<CommandFile<N> | undefined>
  /** A long-running process: it checks the open-file limit as the seed's start script did. */
  daemon: boolean
}

/**
 * Commands are imported only when run, so `mesos-ts nats` does not load the master. A module
 * whose file is missing is "not available in this build"; one that exists but fails to load is
 * a real error and is reported as one.
 */
export async function optionalCommand<N extends CommandName>(specifier: string): Promise<CommandFile<N> | undefined> {
  const asTs = specifier.replace(/\.js$/, '.ts')
  if (!existsSync(new URL(specifier, import.meta.url)) && !existsSync(new URL(asTs, import.meta.url))) return undefined
  return (await import(specifier)) as CommandFile<N>
}

const registry: { [N in CommandName]: RegistryEntry<N> } = {
  master: { load: () => optionalCommand<'master'>('./master-command.js'), daemon: true },
  agent: { load: () => optionalCommand<'agent'>('./agent-command.js'), daemon: true },
  local: { load: () => optionalCommand<'local'>('./local-command.js'), daemon: true },
  execute: { load: () => optionalCommand<'execute'>('./execute-command.js'), daemon: false },
  nats: { load: () => import('./nats-command.js'), daemon: true },
  'start-cluster': { load: () => import('./start-cluster-command.js'), daemon: false },
  'stop-cluster': { load: () => import('./stop-cluster-command.js'), daemon: false },
  ps: { load: () => import('./ps-command.js'), daemon: false },
  cat: { load: () => import('./cat-command.js'), daemon: false },
  tail: { load: () => import('./tail-command.js'), daemon: false },
}

export interface MainOptions {
  env?: NodeJS.ProcessEnv
  stdout?: NodeJS.WritableStream & { isTTY?: boolean }
  stderr?: NodeJS.WritableStream & { isTTY?: boolean }
}

interface Io {
  env: NodeJS.ProcessEnv
  stdout: NodeJS.WritableStream
  stderr: NodeJS.WritableStream & { isTTY?: boolean }
}

export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string }
  return pkg.version ?? 'unknown'
}

function usage(): string {
  const specs = Object.values(commands)
  const width = Math.max(...specs.map((s) => s.name.length))
  return [
    'Usage: mesos-ts [--help|--version] <command> [--name=value ...]',
    '',
    'Commands:',
    ...specs.map((s) => `  ${s.name.padEnd(width)}  ${s.summary}`),
    '',
    "'mesos-ts <command> --help' lists a command's flags; 'mesos-ts --help' lists every command's.",
    '',
  ].join('\n')
}

/** Runs the CLI with `args` (the arguments after the program) and resolves to the exit code. */
export async function main(args: readonly string[], options: MainOptions = {}): Promise<number> {
  const io: Io = { env: options.env ?? process.env, stdout: options.stdout ?? process.stdout, stderr: options.stderr ?? process.stderr }
  const [first, ...rest] = args
  if (first === undefined) {
    io.stderr.write(usage())
    return 2
  }
  if (first === '--help' || first === '-h' || first === 'help') {
    const topic = rest[0]
    if (first === 'help' && topic !== undefined && isCommandName(topic)) io.stdout.write(commandHelp(commands[topic]))
    else io.stdout.write(programHelp(Object.values(commands)))
    return 0
  }
  if (first === '--version' || first === '-V') {
    io.stdout.write(`mesos-ts ${version()}\n`)
    return 0
  }
  if (first.startsWith('-')) {
    io.stderr.write(`mesos-ts: expected a command before any flag, got '${first}' (see 'mesos-ts --help')\n`)
    return 2
  }
  if (!isCommandName(first)) {
    const names = Object.keys(commands)
    const near = closest(first, names)
    const hint = near !== undefined ? ` (did you mean '${near}'?)` : `; the commands are ${names.join(', ')}`
    io.stderr.write(`mesos-ts: unknown command '${first}'${hint} (see 'mesos-ts --help')\n`)
    return 2
  }
  return runCommand(first, rest, io)
}

async function runCommand<N extends CommandName>(name: N, argv: string[], io: Io): Promise<number> {
  const program = `mesos-ts ${name}`
  if (wantsHelp(argv)) {
    io.stdout.write(commandHelp(commands[name]))
    return 0
  }
  let parsed: ReturnType<typeof parseCommandFlags<N>>
  try {
    parsed = parseCommandFlags(name, { argv, env: io.env })
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    io.stderr.write(configErrorLine(name, err))
    return 2
  }
  // Every command's table includes the general and logging flags (config/commands.ts).
  const general = parsed.flags as unknown as Flags<typeof loggingFlags> & { help: boolean }
  if (general.help) {
    io.stdout.write(commandHelp(commands[name]))
    return 0
  }

  let logging: RootLogging
  try {
    logging = await createRootLogging(name, general, io)
  } catch (err) {
    io.stderr.write(`${program}: --log_dir: ${(err as Error).message}\n`)
    return 1
  }
  const { log } = logging
  try {
    for (const warning of parsed.warnings) log.warn(warning)
    if (parsed.ignoredEnv.length > 0) {
      log.warn({ variables: parsed.ignoredEnv }, `ignoring ${parsed.ignoredEnv.join(', ')}: no flag of ${program} has that name`)
    }
    if (parsed.configFile !== undefined) log.info({ configFile: parsed.configFile }, 'read flags from the config file')

    const entry: RegistryEntry<N> = registry[name]
    const file = await entry.load()
    if (file === undefined) {
      io.stderr.write(`${program}: not available in this build\n`)
      return 1
    }
    if (entry.daemon) checkOpenFileLimit({ log })

    const shutdown = handleShutdownSignals({ log })
    const onCrash = (err: unknown) => {
      log.fatal({ err }, 'uncaught exception')
      logging.echoToStderr(`${program}: uncaught exception: ${(err as Error)?.stack ?? String(err)}\n`)
      process.exit(1)
    }
    process.on('uncaughtException', onCrash)
    process.on('unhandledRejection', onCrash)
    const ctx: CommandContext = { argv, positionals: parsed.positionals, env: io.env, stdout: io.stdout, stderr: io.stderr, signal: shutdown.signal, log }
    try {
      return await file.command.run(parsed.flags, ctx)
    } finally {
      shutdown.dispose()
      process.off('uncaughtException', onCrash)
      process.off('unhandledRejection', onCrash)
    }
  } catch (err) {
    return reportFailure(name, err, logging, io)
  }
}

function configErrorLine(name: CommandName, err: ConfigError): string {
  return `mesos-ts ${name}: ${err.message.replace(/\n/g, ' ')} (see 'mesos-ts ${name} --help')\n`
}

/** An error out of a command: one line for what the user can fix, a stack trace for a bug. */
function reportFailure(name: CommandName, err: unknown, logging: RootLogging, io: Io): number {
  if (err instanceof ConfigError) {
    logging.fileLog?.error({ code: err.code }, err.message)
    io.stderr.write(configErrorLine(name, err))
    return 2
  }
  if (err instanceof CommandError || err instanceof TransportError) {
    logging.fileLog?.error({ code: err.code }, err.message)
    io.stderr.write(`mesos-ts ${name}: ${err.message}\n`)
    return err instanceof CommandError ? err.exitCode : 1
  }
  logging.log.error({ err }, 'unexpected error')
  logging.echoToStderr(`mesos-ts ${name}: unexpected error: ${(err as Error)?.stack ?? String(err)}\n`)
  return 1
}

interface RootLogging {
  log: Logger
  /** The same lines to the log file only (for errors also printed as a plain line), if --log_dir. */
  fileLog: Logger | undefined
  /** Writes to stderr what the log did not already put there (with --quiet). */
  echoToStderr(text: string): void
}

/**
 * Logs go to stderr (Mesos's daemons log there; stdout is for what a command prints, such as the
 * NATS URL a script may capture), pretty at a terminal and JSON lines otherwise, and with
 * --log_dir also as JSON lines to <log_dir>/mesos-<command>.log, where the seed's operators look.
 * Both are written synchronously, as pino's default destination is, so the lines before a crash
 * reach the file.
 */
async function createRootLogging(name: CommandName, flags: Flags<typeof loggingFlags>, io: Io): Promise<RootLogging> {
  const level = pinoLevel(flags.logging_level)
  const streams: StreamEntry[] = []
  if (!flags.quiet) {
    let stderr: DestinationStream
    if (io.stderr === process.stderr && process.stderr.isTTY) {
      const { default: pretty } = await import('pino-pretty')
      // No 'ignore: pid,hostname' (runtime's pretty has it): the base has neither, and an actor's pid is worth seeing.
      stderr = pretty({ destination: 2, sync: true, colorize: true, translateTime: 'SYS:HH:MM:ss.l' })
    } else if (io.stderr === process.stderr) {
      stderr = pino.destination({ dest: 2, sync: true })
    } else {
      stderr = io.stderr as unknown as DestinationStream
    }
    streams.push({ level, stream: stderr })
  }
  let file: DestinationStream | undefined
  if (flags.log_dir !== undefined) {
    mkdirSync(flags.log_dir, { recursive: true })
    file = pino.destination({ dest: join(flags.log_dir, `mesos-${name}.log`), sync: true, append: true })
    streams.push({ level, stream: file })
  }
  // createLogger hands `destination` straight to pino, which needs only write(): a pino stream fits.
  // Its base is the name alone: `pid` and `hostname` are the actors' and agents' fields here.
  const to = (stream: DestinationStream) => stream as unknown as NodeJS.WritableStream
  const log = streams.length === 0 ? pino({ level: 'silent' }) : createLogger({ level, name: `mesos-${name}`, destination: to(pino.multistream(streams)) })
  const fileLog = file === undefined ? undefined : createLogger({ level, name: `mesos-${name}`, destination: to(file) })
  return {
    log,
    fileLog,
    echoToStderr: (text) => {
      if (flags.quiet) io.stderr.write(text)
    },
  }
}

/** The executable's entry (cluster/bin/mesos-ts.js): runs main on process.argv and exits. */
export async function runCli(): Promise<void> {
  let code: number
  try {
    code = await main(process.argv.slice(2))
  } catch (err) {
    process.stderr.write(`mesos-ts: unexpected error: ${(err as Error)?.stack ?? String(err)}\n`)
    code = 1
  }
  process.exitCode = code
  // A command that returned has shut down; a handle it leaked (a socket, a timer) must not keep
  // the process alive. The grace lets pending output drain when nothing leaked.
  setTimeout(() => process.exit(code), 2_000).unref()
}
