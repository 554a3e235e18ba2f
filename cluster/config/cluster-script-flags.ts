// `mesos-ts start-cluster` / `stop-cluster`: Mesos's mesos-start-cluster.sh and
// mesos-stop-cluster.sh, which read `<prefix>/var/mesos/deploy/{masters,slaves}` and reach each
// host over password-less ssh (the seed's operator path). Mesos's scripts took ssh options from
// SSH_OPTS in mesos-deploy-env.sh; here that is --ssh_options.

import { flag, inGroup } from './flag-table.js'
import { generalFlags, loggingFlags } from './common-flags.js'

/** Where both scripts find hosts and keep their pid files. */
const deployFlags = inGroup('Deploy', {
  deploy_dir: flag.path({
    default: '/usr/local/var/mesos/deploy',
    placeholder: 'dir',
    help: 'The directory holding the deploy files: masters and slaves (or agents), one host (or user@host) per line.',
  }),
  ssh: flag.string({ default: 'ssh', help: 'The ssh client to run (BatchMode is always on: hosts need password-less ssh).' }),
  ssh_options: flag.string({
    default: '-o ConnectTimeout=10',
    placeholder: 'options',
    help: 'Options for every ssh call, separated by spaces (Mesos\'s SSH_OPTS), e.g. "-p 2222 -i ~/.ssh/mesos -l mesos -o StrictHostKeyChecking=no". The operator\'s ~/.ssh/config applies too.',
  }),
  run_dir: flag.path({
    default: '/tmp/mesos/run',
    placeholder: 'dir',
    help: 'On each host: where the pid files go, and the daemons\' output when mesos.conf sets no log_dir.',
  }),
})

export const startClusterOnlyFlags = inGroup('Start cluster', {
  // Not a `config` flag: mesos.conf holds the daemons' keys, not start-cluster's own.
  config: flag.path({
    aliases: ['conf'],
    placeholder: 'file',
    help:
      'The mesos.conf (key=value lines, or a directory holding one) whose keys are handed to the masters and agents as MESOS_* variables; ' +
      'each daemon gets the keys it knows (master=..., resources=... go to agents). Default: <deploy_dir>/../conf/mesos.conf if it exists.',
  }),
  mesos_ts: flag.string({
    placeholder: 'command',
    help: 'The mesos-ts command on the remote hosts. Default: this one\'s path (the seed installs the same path on every host).',
  }),
  nats_port: flag.int({
    default: 4222,
    min: 1,
    max: 65535,
    help: 'When mesos.conf names no NATS (nats=...), start-cluster runs `mesos-ts nats` on the first master host on this port and points masters and agents at it.',
  }),
  master_port: flag.int({ min: 1, max: 65535, help: 'The masters\' HTTP port (overrides port= in mesos.conf; default 5050).' }),
  agent_port: flag.int({ min: 1, max: 65535, help: 'The agents\' HTTP port (overrides port= in mesos.conf; default 5051).' }),
  open_files: flag.int({
    default: 8192,
    min: 1,
    help: 'Raise the open-file limit of each daemon to this (ulimit -Sn). Where the hard limit is lower it says so and carries on (the seed\'s pitfall).',
  }),
  ready_timeout: flag.duration({ default: '30secs', help: 'How long each daemon may take to report that it is up before start-cluster reports it as started but not yet up.' }),
})

export const startClusterFlags = { ...startClusterOnlyFlags, ...deployFlags, ...loggingFlags, help: generalFlags.help }
export const stopClusterFlags = { ...deployFlags, ...loggingFlags, help: generalFlags.help }
