// `mesos-ts local`: a master and N agents in one process (Mesos's `mesos-local`), with the
// master's and the agents' tuning flags. Mesos names the count `num_slaves` (default 1); the
// seed's cluster had three agents, which is the default here.

import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { agentOnlyFlags } from './agent-flags.js'
import { generalFlags, loggingFlags, natsFlags, networkFlags } from './common-flags.js'
import { flag, inGroup, without } from './flag-table.js'
import { masterOnlyFlags } from './master-flags.js'

export const localOnlyFlags = inGroup('Local cluster', {
  num_agents: flag.int({ default: 3, min: 1, aliases: ['num_slaves'], help: 'Number of agents to run.' }),
  work_dir: flag.path({
    default: join(tmpdir(), 'mesos', 'work'),
    help: 'Root of the work directories: the master\'s under master/, agent i\'s under agents/<i>/ (sandboxes in agents/<i>/work).',
  }),
  nats: flag.switch({
    default: false,
    placeholder: 'url,...',
    help: 'Also serve the cluster over NATS, so other processes (frameworks, more agents) can join: bare --nats starts a nats-server for you and prints its URL; --nats=<url,...> uses those servers. Without it everything stays in this process.',
  }),
})

export const localFlags = {
  ...localOnlyFlags,
  ...without(masterOnlyFlags, 'work_dir', 'registry', 'registry_replicas', 'master_lease'),
  ...without(agentOnlyFlags, 'master', 'work_dir'),
  ...networkFlags(5050, 'master'),
  cluster: natsFlags.cluster,
  ...loggingFlags,
  ...generalFlags,
}
