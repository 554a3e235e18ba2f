// Where agents and frameworks find the master: NATS URL(s) in --master, else --nats.
import type { MasterAddress } from '../config/index.js'
import { CommandError } from './command.js'

export function natsServersOf(master: MasterAddress | undefined, nats: string[], who: string): string[] {
  if (master === undefined) return nats
  if (master.kind === 'nats') return [...master.servers]
  throw new CommandError(
    `--master=${master.host}:${master.port}: this ${who} reaches the master over NATS; give its NATS URL (--master=nats://${master.host}:4222, as printed by 'mesos-ts nats' or 'mesos-ts local --nats'). Reaching a master by its HTTP address comes with the HTTP API.`,
    2,
  )
}
