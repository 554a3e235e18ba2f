// `mesos-ts master`: Mesos's master flags where the concept carries over, with Mesos's
// defaults (src/master/constants.hpp) and its deprecated `slave_*` names.

import { Duration } from './duration.js'
import { flag, inGroup } from './flag-table.js'
import { generalFlags, loggingFlags, natsFlags, networkFlags } from './common-flags.js'

function positive(value: Duration): string | undefined {
  return value.ns > 0 ? undefined : 'a duration greater than 0'
}

/** The master's own flags (shared with `local`, which runs a master). */
export const masterOnlyFlags = inGroup('Master', {
  work_dir: flag.path({
    help: 'Directory for the master\'s local state. The registry itself lives in NATS JetStream KV. Locations like /tmp that are cleaned automatically are not suitable in production.',
  }),
  agent_ping_timeout: flag.duration({
    default: '15secs',
    min: '1secs',
    max: '15mins',
    aliases: ['slave_ping_timeout'],
    help: 'How long an agent may take to answer a ping from the master. Agents that miss max_agent_ping_timeouts pings in a row are marked unreachable.',
  }),
  max_agent_ping_timeouts: flag.int({
    default: 5,
    min: 1,
    aliases: ['max_slave_ping_timeouts'],
    help: 'How many pings in a row an agent may miss before it is marked unreachable.',
  }),
  agent_reregister_timeout: flag.duration({
    default: '10mins',
    min: '10mins',
    aliases: ['slave_reregister_timeout'],
    help: 'How long a newly elected master waits for agents to reregister. Agents that do not are marked unreachable; non-partition-aware tasks on an agent that comes back later are killed. At least 10mins, as in Mesos.',
  }),
  allocation_interval: flag.duration({
    default: '1secs',
    validate: positive,
    help: 'Time between batch allocations (e.g. 500ms, 1secs). New agents, revived frameworks and recovered resources also trigger an allocation without waiting.',
  }),
  min_allocatable_resources: flag.string({
    default: 'cpus:0.01|mem:32',
    placeholder: 'resources|...',
    help: 'The smallest resources worth offering: sets of quantities separated by | (any one set suffices), each set ;-separated (all must be met), e.g. disk:1|cpus:1;mem:32.',
  }),
  offer_timeout: flag.duration({
    default: '1mins',
    validate: positive,
    help:
      'Rescind an offer a framework has held this long and offer its resources again. Mesos has no default (offers never time out); ' +
      'mesos-ts has one because NATS delivers at most once: a lost Offers, Accept or Decline message would otherwise hide the ' +
      "offer's resources from every framework for as long as the framework stays connected. A minute is far longer than a " +
      'scheduler needs to answer, and short enough for the cluster to heal on its own.',
  }),
  max_completed_frameworks: flag.int({ default: 50, min: 0, help: 'Completed frameworks kept in memory (shown by /master/state).' }),
  max_completed_tasks_per_framework: flag.int({ default: 1000, min: 0, help: 'Completed tasks kept in memory per framework.' }),
  max_unreachable_tasks_per_framework: flag.int({ default: 1000, min: 0, help: 'Unreachable tasks kept in memory per framework.' }),
  registry: flag.enum(['jetstream', 'in_memory'], {
    default: 'jetstream',
    help: 'Where the registry (admitted agents, frameworks, quota, weights) persists: JetStream KV (bucket <cluster>-registry; a new leader recovers it), or in_memory (a single master; nothing outlives it). Mesos has replicated_log here.',
  }),
  registry_replicas: flag.int({
    default: 1,
    min: 1,
    max: 5,
    help: 'JetStream replicas for the registry and the leader lease (3 with a 3-server NATS cluster, to survive the loss of one). This replaces Mesos\'s --quorum.',
  }),
  master_lease: flag.duration({
    default: '3secs',
    min: '1secs',
    max: '5mins',
    help: 'The leader lease in JetStream KV: the leader refreshes it at 75% of this time; if it dies, a standby takes over once the lease expires. Short: fast master failover; longer than JetStream\'s own failover (5-6 s): no change of leader when a NATS server dies. See the README.',
  }),
  webui_dir: flag.path({ help: 'Directory of the web UI\'s files. Default: the UI shipped with mesos-ts.' }),
})

export const masterFlags = {
  ...masterOnlyFlags,
  ...networkFlags(5050, 'master'),
  ...natsFlags,
  ...loggingFlags,
  ...generalFlags,
}

/** Mesos master flags an operator may bring along, with what to do instead. */
export const masterUnsupported: Readonly<Record<string, string>> = {
  zk: 'masters elect their leader through NATS JetStream KV, not ZooKeeper; point --nats at the NATS server(s)',
  zk_session_timeout: 'there is no ZooKeeper; see --master_lease for how fast a standby takes over',
  master_contender: 'leader election is built in (NATS JetStream KV); see --master_lease',
  master_detector: 'leader detection is built in (NATS JetStream KV)',
  quorum: 'the registry is replicated by JetStream; set --registry_replicas (3 with a 3-server NATS cluster)',
  log_auto_initialize: 'the registry lives in JetStream KV and needs no initialization',
  registry_strict: 'this flag was disabled in Mesos and is not carried over',
}
