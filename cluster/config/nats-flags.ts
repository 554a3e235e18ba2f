// `mesos-ts nats`: start nats-server with JetStream for a cluster that has none yet; with
// --cluster_size=3, three routed servers, which is what a control plane that must survive the
// loss of a host needs (DESIGN.md §4).

import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isIP } from 'node:net'
import { flag, inGroup } from './flag-table.js'
import { generalFlags, loggingFlags } from './common-flags.js'

export const natsServerFlags = inGroup('NATS server', {
  port: flag.int({ default: 4222, min: 1, max: 65535, help: 'Client port (of the first server, with --cluster_size > 1; the others take the next ports).' }),
  ip: flag.string({
    default: '127.0.0.1',
    validate: (v) => (isIP(v) === 0 ? 'an IPv4 or IPv6 address' : undefined),
    help: 'Address to listen on; 0.0.0.0 to let agents on other hosts connect.',
  }),
  store_dir: flag.path({ default: join(tmpdir(), 'mesos', 'nats'), help: 'JetStream store directory (one subdirectory per server with --cluster_size > 1).' }),
  cluster_size: flag.int({ default: 1, min: 1, max: 7, help: 'How many routed servers to start (3 to survive the loss of one).' }),
  cluster_name: flag.string({ default: 'mesos-ts', help: 'The NATS cluster name (with --cluster_size > 1).' }),
  http_port: flag.int({ min: 1, max: 65535, help: 'HTTP monitoring port (nats-server -m). Off by default.' }),
  user: flag.string({ help: 'Require clients to authenticate with this user (and --password).' }),
  password: flag.string({ help: 'The password for --user; file:///path reads it from a file, keeping it out of ps.' }),
  nats_config: flag.path({ help: 'A nats-server configuration file (nats-server -c), for accounts and permissions; the flags above override it.' }),
})

export const natsCommandFlags = {
  ...natsServerFlags,
  ...loggingFlags,
  ...generalFlags,
}
