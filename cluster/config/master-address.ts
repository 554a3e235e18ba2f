// Where an agent, a framework or `mesos-ts execute` finds the master (`--master`). Mesos takes
// `host:port` (the seed's `master=master:5050`), `zk://...` or `file:///path`; mesos-ts takes
// `host:port` (a master's HTTP endpoint) or NATS URL(s), through which the leading master is
// found from its lease. ZooKeeper is not used, so a zk:// URL gets an explanation.

import { ValueError } from './errors.js'

export type MasterAddress =
  | { readonly kind: 'nats'; readonly servers: readonly string[] }
  | { readonly kind: 'http'; readonly host: string; readonly port: number }

export const MASTER_ADDRESS_EXPECTED = 'host:port (e.g. master:5050) or NATS URL(s) (e.g. nats://master:4222)'

const NATS_SCHEMES = ['nats:', 'tls:', 'ws:', 'wss:']
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})?)*|\[[0-9A-Fa-f:.]+\])$/

function parsePort(text: string): number | undefined {
  if (!/^\d{1,5}$/.test(text)) return undefined
  const port = Number(text)
  return port >= 1 && port <= 65535 ? port : undefined
}

/** `nats://host:4222`, `tls://...`, `ws(s)://...`: one NATS server URL, returned as given. */
export function parseNatsUrl(text: string): string {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new ValueError('not a URL')
  }
  if (!NATS_SCHEMES.includes(url.protocol)) throw new ValueError(`unsupported scheme '${url.protocol}' (use nats://, tls://, ws:// or wss://)`)
  if (url.hostname === '') throw new ValueError('no host')
  return text
}

export function parseMasterAddress(text: string): MasterAddress {
  const value = text.trim()
  if (value.startsWith('zk://')) {
    throw new ValueError('mesos-ts finds the leading master through NATS JetStream, not ZooKeeper: give nats://<host>:4222 instead')
  }
  if (value.includes('://')) {
    const servers = value.split(',').map((s) => s.trim()).filter((s) => s !== '')
    if (servers.length === 0) throw new ValueError()
    return { kind: 'nats', servers: servers.map(parseNatsUrl) }
  }
  const colon = value.lastIndexOf(':')
  const host = colon === -1 ? value : value.slice(0, colon)
  const port = colon === -1 ? undefined : parsePort(value.slice(colon + 1))
  if (host === '' || !HOST.test(host)) throw new ValueError()
  if (port === undefined) throw new ValueError(colon === -1 ? 'the port is missing' : 'the port must be 1-65535', colon === -1 ? `${value}:5050` : undefined)
  return { kind: 'http', host: host.replace(/^\[|\]$/g, ''), port }
}

export function formatMasterAddress(address: MasterAddress): string {
  if (address.kind === 'nats') return address.servers.join(',')
  return `${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`
}
