// Where agents and frameworks find the master: NATS URL(s) in --master, else --nats; frameworks
// may also name the master's HTTP address (`--master=host:5050`) and use the v1 scheduler API.
import { formatMasterAddress, type MasterAddress } from '../config/index.js'
import { CommandError } from './command.js'

export function natsServersOf(master: MasterAddress | undefined, nats: string[], who: string): string[] {
  if (master === undefined) return nats
  if (master.kind === 'nats') return [...master.servers]
  throw new CommandError(
    `--master=${master.host}:${master.port}: this ${who} reaches the master over NATS; give its NATS URL (--master=nats://${master.host}:4222, as printed by 'mesos-ts nats' or 'mesos-ts local --nats').`,
    2,
  )
}

/** How a framework reaches the master: NATS servers, or the master's v1 HTTP API at host:port. */
export type FrameworkMasterLocation = { kind: 'nats'; servers: string[] } | { kind: 'http'; address: string }

export function frameworkMasterOf(master: MasterAddress | undefined, nats: string[]): FrameworkMasterLocation {
  if (master?.kind === 'http') return { kind: 'http', address: formatMasterAddress(master) }
  return { kind: 'nats', servers: natsServersOf(master, nats, 'framework') }
}
