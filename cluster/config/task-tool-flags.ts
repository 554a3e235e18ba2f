// `mesos-ts ps`, `cat` and `tail`: Mesos's mesos-ps, mesos-cat and mesos-tail, which read the
// master's HTTP API and the agents' sandbox files.

import { flag, inGroup } from './flag-table.js'
import { generalFlags, loggingFlags } from './common-flags.js'
import { parseMasterAddress, type MasterAddress } from './master-address.js'
import { ValueError } from './errors.js'

/** The master's HTTP address; these tools never speak NATS. */
export function parseMasterHttpAddress(text: string): MasterAddress & { kind: 'http' } {
  const address = parseMasterAddress(text)
  if (address.kind !== 'http') throw new ValueError('these tools read the master\'s HTTP API: give its host:port (e.g. master:5050), not a NATS URL')
  return address
}

const masterHttpFlag = flag.custom({
  parse: parseMasterHttpAddress,
  expected: 'the master\'s host:port (e.g. master:5050)',
  placeholder: 'host:port',
  default: '127.0.0.1:5050',
  help: 'The master\'s HTTP address (host:port), as in the seed\'s master=master:5050.',
})

export const psFlags = {
  ...inGroup('Tasks', {
    master: masterHttpFlag,
    all: flag.bool({ default: false, help: 'Also list finished tasks (completed ones the master still remembers).' }),
  }),
  ...loggingFlags,
  ...generalFlags,
}

const sandboxFlags = inGroup('Sandbox', {
  master: masterHttpFlag,
  framework: flag.string({ placeholder: 'id', help: 'The framework of the task, when several frameworks have a task with this id.' }),
})

export const catFlags = { ...sandboxFlags, ...loggingFlags, ...generalFlags }

export const tailFlags = {
  ...sandboxFlags,
  ...inGroup('Tail', {
    lines: flag.int({ default: 10, min: 0, help: 'How many lines from the end to print first.' }),
    follow: flag.bool({ default: false, help: 'Keep printing what is appended to the file until Ctrl-C (also -f).' }),
    interval: flag.duration({ default: '1secs', help: 'How often --follow reads the file again.' }),
  }),
  ...loggingFlags,
  ...generalFlags,
}
