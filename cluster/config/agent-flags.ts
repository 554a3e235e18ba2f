// `mesos-ts agent`: Mesos's agent flags where the concept carries over, with Mesos's defaults
// (src/slave/constants.hpp). `work_dir` defaults to /tmp/mesos, where Mesos 0.9 kept sandboxes
// (the seed's `/tmp/mesos/slaves/.../stderr`).

import { flag, inGroup } from './flag-table.js'
import { generalFlags, loggingFlags, natsFlags, networkFlags } from './common-flags.js'
import { MASTER_ADDRESS_EXPECTED, parseMasterAddress } from './master-address.js'

export const masterAddressFlag = flag.custom({
  parse: parseMasterAddress,
  expected: MASTER_ADDRESS_EXPECTED,
  placeholder: 'host:port|nats://...',
  help: 'The master: its host:port (as in the seed\'s master=master:5050), or NATS URL(s), through which the leading master is found. If unset, the leader is found through --nats.',
})

/** The agent's own flags (shared with `local`, which runs agents). */
export const agentOnlyFlags = inGroup('Agent', {
  master: masterAddressFlag,
  resources: flag.string({
    placeholder: 'resources',
    help: 'Total resources this agent offers, e.g. cpus:4;mem:2300;disk:10000;ports:[31000-32000] (mem and disk in MB), with optional roles: cpus(prod):2. Resources not named are detected from the host.',
  }),
  attributes: flag.string({ placeholder: 'attributes', help: 'Attributes of this machine for schedulers to match, e.g. rack:2;zone:a.' }),
  work_dir: flag.path({
    default: '/tmp/mesos',
    help: 'Where executor sandboxes (a task\'s stdout and stderr) and the agent\'s checkpointed state live. Locations like /tmp that are cleaned automatically are not suitable in production.',
  }),
  executor: flag.enum(['command', 'emulated'], {
    default: 'command',
    help: 'command: run each task as a real process in its own process group, as Mesos\'s command executor does. emulated: pretend to run tasks (no processes), for benchmarks and simulations.',
  }),
  isolation: flag.list({
    default: 'posix/cpu,posix/mem',
    placeholder: 'isolator,...',
    help: 'Isolators to use, comma-separated (Mesos\'s names, e.g. posix/cpu,posix/mem).',
  }),
  default_role: flag.string({ default: '*', help: 'The role of resources in --resources that name none, and of detected resources.' }),
  executor_registration_timeout: flag.duration({ default: '1mins', help: 'How long an executor may take to register before it is considered hung and shut down.' }),
  executor_shutdown_grace_period: flag.duration({
    default: '5secs',
    help: 'How long an executor gets to shut down (after SIGTERM to its process group) before it is killed; ExecutorInfo.shutdown_grace_period overrides it.',
  }),
  recover: flag.enum(['reconnect', 'cleanup'], {
    default: 'reconnect',
    help: 'After a restart: reconnect to the executors still running, or cleanup: kill them and exit (for an incompatible upgrade).',
  }),
  recovery_timeout: flag.duration({ default: '15mins', help: 'How long the agent may take to recover; executors waiting to reconnect longer than this terminate.' }),
  strict: flag.bool({
    default: true,
    help: 'Treat every recovery error as fatal. With --no-strict, expected errors (e.g. an executor that died before registering) are skipped and as much state as possible is recovered.',
  }),
  gc_delay: flag.duration({ default: '1weeks', help: 'The longest time a finished executor\'s sandbox is kept (e.g. 3days, 2weeks); less when the disk fills up.' }),
  gc_disk_headroom: flag.number({
    default: 0.1,
    min: 0,
    max: 1,
    help: 'Disk headroom for sandbox garbage collection: sandboxes older than gc_delay * max(0, 1 - gc_disk_headroom - disk usage) are removed.',
  }),
  disk_watch_interval: flag.duration({ default: '1mins', help: 'How often the agent checks disk usage, which drives sandbox garbage collection.' }),
  registration_backoff_factor: flag.duration({
    default: '1secs',
    help: 'The agent waits a random time in [0, b] before (re-)registering with a new master, doubling b on each retry, up to 1mins.',
  }),
})

export const agentFlags = {
  ...agentOnlyFlags,
  ...networkFlags(5051, 'agent'),
  ...natsFlags,
  ...loggingFlags,
  ...generalFlags,
}

export const agentUnsupported: Readonly<Record<string, string>> = {
  containerizers: 'mesos-ts has one containerizer; choose how tasks run with --executor',
  zk: 'there is no ZooKeeper: give --master=nats://<host>:4222 or --nats',
}
