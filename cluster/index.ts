// The public face of cluster/: running mesos-ts (configuration, nats-server management, CLI).

export * from './config/index.js'
export {
  startNatsServer,
  startNatsCluster,
  findNatsServer,
  natsServerPath,
  freePort,
  isPortFree,
  subjectMatches,
  NATS_SERVER_INSTALL_HINT,
  type NatsServer,
  type NatsServerOptions,
  type NatsCluster,
  type NatsClusterOptions,
  type NatsClusterSettings,
} from './nats-server.js'
export { main, version } from './cli/main.js'
export { CommandError, type CommandContext, type CommandModule, type CommandFile, type ParsedFlags } from './cli/command.js'
