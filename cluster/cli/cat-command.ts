// `mesos-ts cat <task-id> [stdout|stderr]`: a task's sandbox file, like Mesos's mesos-cat.

import type { CommandFile, CommandModule } from './command.js'
import { sandboxFileOf } from './sandbox-target.js'

export const command: CommandModule<'cat'> = {
  name: 'cat',
  summary: 'Print a task\'s sandbox file (like mesos-cat).',
  async run(flags, ctx) {
    const file = await sandboxFileOf('cat', ctx.positionals, flags, ctx.signal)
    await file.copy(0, await file.size(), (text) => ctx.stdout.write(text))
    return 0
  },
}

export default { command } satisfies CommandFile<'cat'>
