// `mesos-ts tail [-f] <task-id> [stdout|stderr]`: the end of a task's sandbox file, like Mesos's
// mesos-tail; -f polls the agent's /files/read for what is appended, until Ctrl-C.

import { RealClock, type Clock } from '../../runtime/index.js'
import type { CommandFile, CommandModule } from './command.js'
import { sandboxFileOf } from './sandbox-target.js'

function pause(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clock.clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    const timer = clock.setTimeout(done, ms)
    signal.addEventListener('abort', done, { once: true })
  })
}

export const command: CommandModule<'tail'> = {
  name: 'tail',
  summary: 'Print the end of a task\'s sandbox file; -f follows it (like mesos-tail).',
  async run(flags, ctx) {
    const file = await sandboxFileOf('tail', ctx.positionals, flags, ctx.signal)
    const clock = new RealClock()
    const write = (text: string) => void ctx.stdout.write(text)
    let size = await file.size()
    let offset = await file.copy(await file.startOfLastLines(flags.lines, size), size, write)
    while (flags.follow && !ctx.signal.aborted) {
      await pause(clock, flags.interval.ms, ctx.signal)
      if (ctx.signal.aborted) break
      size = await file.size()
      // A file that shrank was truncated or replaced: start again from its beginning, as tail -F does.
      if (size < offset) offset = 0
      offset = await file.copy(offset, size, write)
    }
    return 0
  },
}

export default { command } satisfies CommandFile<'tail'>
