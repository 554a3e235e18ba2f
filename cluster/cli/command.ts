// The contract between `mesos-ts` (main.ts) and each of its commands. main parses the flags,
// builds the logger and wires the signals; a command only does its work and returns an exit code.

import type { CommandFlags, CommandName, Flags } from '../config/index.js'
import { RuntimeError, type Logger } from '../../runtime/index.js'

export interface CommandContext {
  /** The arguments after the command name, as given. */
  argv: string[]
  /** The arguments that are not flags (`mesos-ts cat <task-id> stderr`). */
  positionals: string[]
  env: NodeJS.ProcessEnv
  /** For the command's own output to the user (URLs, status lines); logs go through `log`. */
  stdout: NodeJS.WritableStream
  stderr: NodeJS.WritableStream
  /** Aborted on the first SIGINT/SIGTERM: shut down cleanly and return. */
  signal: AbortSignal
  log: Logger
}

/** A command's parsed flags (`flags.port` is a number): the values, not the table. */
export type ParsedFlags<N extends CommandName> = Flags<CommandFlags<N>>

export interface CommandModule<N extends CommandName> {
  name: N
  summary: string
  /** Resolves to the process's exit code: 0 on success, including a clean stop after a signal. */
  run(flags: ParsedFlags<N>, ctx: CommandContext): Promise<number>
}

/** What a command's file exports; main.ts imports it lazily. */
export interface CommandFile<N extends CommandName> {
  command: CommandModule<N>
}

/**
 * A failure the user can act on (a port in use, a server that died): main prints its message as
 * one line, `mesos-ts <command>: <message>`, without a stack trace, and exits with `exitCode`.
 */
export class CommandError extends RuntimeError {
  readonly exitCode: number
  constructor(message: string, exitCode = 1, code = 'COMMAND_FAILED') {
    super(code, message)
    this.exitCode = exitCode
  }
}
