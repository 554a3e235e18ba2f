// Flags every daemon shares, in Mesos's names where Mesos has the concept (logging's
// `log_dir`, `logging_level`, `quiet`; `hostname`, `ip`, `port`), plus the NATS ones.

import { isIP } from 'node:net'
import { checkClusterPrefix } from '../../runtime/index.js'
import { ValueError } from './errors.js'
import { flag, inGroup } from './flag-table.js'
import { parseNatsUrl } from './master-address.js'

export const generalFlags = inGroup('General', {
  help: flag.bool({ default: false, help: 'Prints this help message and exits.' }),
  config: flag.config({
    aliases: ['conf'],
    placeholder: 'file',
    help:
      'A file of key=value lines setting any of these flags (e.g. <prefix>/var/mesos/conf/mesos.conf), ' +
      'or a directory holding a mesos.conf, as Mesos 0.9 read it. Also MESOS_CONFIG. ' +
      'Values there are overridden by the environment and the command line.',
  }),
})

export const LOGGING_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARNING', 'ERROR'] as const
export type LoggingLevel = (typeof LOGGING_LEVELS)[number]

/** Mesos's level names to pino's. */
export function pinoLevel(level: LoggingLevel): 'trace' | 'debug' | 'info' | 'warn' | 'error' {
  return level === 'WARNING' ? 'warn' : (level.toLowerCase() as 'trace' | 'debug' | 'info' | 'error')
}

export const loggingFlags = inGroup('Logging', {
  logging_level: flag.enum(LOGGING_LEVELS, {
    default: 'INFO',
    caseInsensitive: true,
    help: 'Log messages at or above this level (Mesos has INFO, WARNING and ERROR; DEBUG and TRACE are more verbose). With --quiet this only affects the files in --log_dir.',
  }),
  log_dir: flag.path({
    help: 'Directory for log files (JSON lines). By default nothing is written to disk. Does not affect logging to stderr.',
  }),
  quiet: flag.bool({ default: false, help: 'Disable logging to stderr.' }),
})

function checkPrefix(value: string): string | undefined {
  try {
    checkClusterPrefix(value)
    return undefined
  } catch {
    return "a subject prefix: letters, digits, '_' and '-', in tokens separated by '.'"
  }
}

function checkNatsServer(value: string): string | undefined {
  // nats.js also takes a bare host:port.
  if (!value.includes('://')) return /^[^\s:/]+(:\d{1,5})?$/.test(value) ? undefined : 'NATS server URLs such as nats://host:4222'
  try {
    parseNatsUrl(value)
    return undefined
  } catch (err) {
    if (err instanceof ValueError) return 'NATS server URLs such as nats://host:4222'
    throw err
  }
}

export const natsFlags = inGroup('NATS', {
  cluster: flag.string({
    default: 'mesos',
    validate: checkPrefix,
    placeholder: 'prefix',
    help:
      'The cluster name: the prefix of every NATS subject this cluster uses, so several clusters can share one NATS, ' +
      'and the name shown in the web UI (Mesos: "Human readable name for the cluster").',
  }),
  nats: flag.list({
    default: 'nats://127.0.0.1:4222',
    validateItem: checkNatsServer,
    placeholder: 'url,...',
    help: 'The NATS server(s) to connect to, comma-separated; give several members of a NATS cluster to survive the loss of one. `mesos-ts nats` starts a server.',
  }),
})

function checkIp(value: string): string | undefined {
  return isIP(value) === 0 ? 'an IPv4 or IPv6 address' : undefined
}

/** hostname, ip and port; only the port's default differs between commands. */
export function networkFlags<const P extends number>(port: P, what: string) {
  return inGroup('Network', {
    hostname: flag.string({
      help: `The hostname the ${what} advertises. If unset, the host's name is used.`,
    }),
    ip: flag.string({ validate: checkIp, help: 'IP address to listen on. Default: all interfaces.' }),
    port: flag.int({ default: port, min: 1, max: 65535, help: `Port to listen on (HTTP API and web UI).` }),
  })
}
