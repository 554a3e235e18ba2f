// `mesos-ts ps`: the tasks the master knows, like Mesos's mesos-ps, from /master/state.

import type { CommandFile, CommandModule } from './command.js'
import { getJson } from './operator-http.js'
import { masterUrl, type MasterState } from './task-locator.js'
import { taskTable } from './task-table.js'

export const command: CommandModule<'ps'> = {
  name: 'ps',
  summary: 'List the running tasks (like mesos-ps).',
  async run(flags, ctx) {
    const state = await getJson<MasterState>(`${masterUrl(flags.master)}/master/state`, ctx.signal)
    ctx.stdout.write(taskTable(state, flags.all))
    return 0
  },
}

export default { command } satisfies CommandFile<'ps'>
