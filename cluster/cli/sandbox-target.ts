// What `cat` and `tail` share: `<task-id> [stdout|stderr|<file>]` to a file in the task's sandbox.

import { CommandError } from './command.js'
import { SandboxFile } from './sandbox-file.js'
import { locateTask, masterUrl } from './task-locator.js'

export async function sandboxFileOf(
  name: string,
  positionals: readonly string[],
  flags: { master: { host: string; port: number }; framework: string | undefined },
  signal: AbortSignal,
): Promise<SandboxFile> {
  const [taskId, file = 'stdout', ...extra] = positionals
  if (taskId === undefined || taskId === '') throw new CommandError(`which task? usage: mesos-ts ${name} <task-id> [stdout|stderr|<file>] (see 'mesos-ts ps')`, 2)
  if (extra.length > 0) throw new CommandError(`unexpected argument '${extra[0]}': give one task id and one file`, 2)
  if (file.startsWith('/') || file.split('/').includes('..')) throw new CommandError(`'${file}': name a file inside the sandbox, such as stdout or stderr`, 2)
  const located = await locateTask(masterUrl(flags.master), taskId, flags.framework, signal)
  return new SandboxFile(located.agentUrl, `${located.directory}/${file}`, signal)
}
