// The IP an agent reports to the master (Offer.url.address.ip). Mesos takes it from the agent's
// libprocess address: `--ip`, else its hostname resolved. Resolving is asynchronous and may fail
// at startup, so without `--ip` this takes the first non-loopback IPv4 address of this host.
import { networkInterfaces } from 'node:os'

export function agentIp(flagIp?: string): string {
  if (flagIp && flagIp !== '0.0.0.0' && flagIp !== '::') return flagIp
  for (const addresses of Object.values(networkInterfaces())) {
    for (const a of addresses ?? []) if (a.family === 'IPv4' && !a.internal) return a.address
  }
  return '127.0.0.1'
}
