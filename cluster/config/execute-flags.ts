// `mesos-ts execute`: run one command as a task (Mesos's `mesos-execute`), with its names.

import { flag, inGroup } from './flag-table.js'
import { generalFlags, loggingFlags, natsFlags } from './common-flags.js'
import { masterAddressFlag } from './agent-flags.js'
import { ValueError } from './errors.js'

/** `{"NAME":"value",...}`, as mesos-execute's --env takes it. */
export function parseEnvironmentJson(text: string): Record<string, string> {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (err) {
    throw new ValueError(`not JSON: ${(err as Error).message}`)
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new ValueError('not a JSON object')
  const env: Record<string, string> = {}
  for (const [name, value] of Object.entries(parsed)) {
    if (typeof value !== 'string') throw new ValueError(`the value of '${name}' is not a string`)
    env[name] = value
  }
  return env
}

export const executeOnlyFlags = inGroup('Execute', {
  master: masterAddressFlag,
  name: flag.string({ required: true, help: 'Name of the task.' }),
  command: flag.string({ required: true, placeholder: 'command', help: 'The command to run (through /bin/sh -c unless --no-shell).' }),
  resources: flag.string({ default: 'cpus:0.1;mem:32', placeholder: 'resources', help: 'Resources of each task instance.' }),
  instances: flag.int({ default: 1, min: 1, help: 'How many instances of the task to run.' }),
  framework_name: flag.string({ default: 'mesos-ts-execute', help: 'The name the framework registers with.' }),
  role: flag.string({ default: '*', help: 'The role the framework registers with.' }),
  env: flag.custom({
    parse: parseEnvironmentJson,
    expected: 'a JSON object of strings, e.g. {"NAME":"value"}',
    placeholder: 'json',
    help: 'Environment variables of the command, as a JSON object, or file:///path to a file holding one.',
  }),
  shell: flag.bool({ default: true, help: 'Run the command through a shell. With --no-shell it is an executable and arguments.' }),
  checkpoint: flag.bool({ default: false, help: 'Checkpoint the framework, so its tasks survive an agent restart.' }),
  kill_after: flag.duration({ help: 'Kill the task after this long (e.g. 10secs, 2mins).' }),
})

export const executeFlags = {
  ...executeOnlyFlags,
  ...natsFlags,
  ...loggingFlags,
  ...generalFlags,
}
