// `mesos-ts local`: the embedded cluster, a master and N agents in this process.
import { join } from 'node:path'
import { startNatsServer, type NatsServer } from '../nats-server.js'
import { LocalCluster } from '../local-cluster.js'
import { ResourceError, ResourceParseError } from '../../actors/resources/index.js'
import { AttributeParseError } from '../../actors/agent/index.js'
import { CommandError, type CommandFile, type CommandModule } from './command.js'
import { millis, untilAborted } from './daemon-runtime.js'
import { flagsAsText, startMasterServer, type RunningMasterServer } from '../http/master-server.js'
import { version } from './main.js'

export const command: CommandModule<'local'> = {
  name: 'local',
  summary: 'Run a master and agents in this one process (no NATS needed; --nats lets other processes join).',
  async run(flags, ctx) {
    let nats: NatsServer | undefined
    let servers: string[] | undefined
    if (typeof flags.nats === 'string' && flags.nats !== '') {
      servers = flags.nats.split(',').map(s => s.trim()).filter(Boolean)
    } else if (flags.nats === true || flags.nats === '') {
      nats = await startNatsServer({ logger: ctx.log })
      servers = [nats.url]
    }
    let cluster: LocalCluster
    try {
      cluster = await LocalCluster.start({
        numAgents: flags.num_agents,
        resources: flags.resources,
        attributes: flags.attributes,
        workDir: flags.work_dir,
        executor: flags.executor,
        prefix: flags.cluster,
        natsServers: servers,
        logger: ctx.log,
        masterOptions: {
          agentPingTimeoutMs: millis(flags.agent_ping_timeout, 15_000),
          maxAgentPingTimeouts: flags.max_agent_ping_timeouts,
          allocationIntervalMs: millis(flags.allocation_interval, 1000),
          offerTimeoutMs: millis(flags.offer_timeout, 60_000),
          minAllocatableResources: flags.min_allocatable_resources,
          port: flags.port,
        },
        agentFlags: {
          executorShutdownGracePeriodMs: millis(flags.executor_shutdown_grace_period, 5000),
          executorRegistrationTimeoutMs: millis(flags.executor_registration_timeout, 60_000),
        },
      })
    } catch (err) {
      await nats?.stop()
      if (err instanceof ResourceParseError || err instanceof ResourceError) throw new CommandError(`--resources: ${err.message}`, 2)
      if (err instanceof AttributeParseError) throw new CommandError(`--attributes: ${err.message}`, 2)
      throw err
    }
    await cluster.waitForAgents()
    let http: RunningMasterServer
    try {
      const settings = { flags: flagsAsText(flags), version: version(), log: ctx.log }
      // Agent N's endpoints under /slave(N)/ on this port (see local-cluster.ts).
      http = await startMasterServer(cluster.httpDeps(settings), { port: flags.port, host: flags.ip }, { plugins: cluster.agentPlugins(settings) })
    } catch (err) {
      await cluster.stop()
      await nats?.stop()
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'EADDRINUSE') throw new CommandError(`port ${flags.port} is in use: pick another with --port`)
      if (code === 'EACCES') throw new CommandError(`not allowed to listen on port ${flags.port}: pick one above 1023 with --port`)
      throw err
    }
    cluster.setAgentEndpoint(`${flags.ip && flags.ip !== '0.0.0.0' ? flags.ip : '127.0.0.1'}:${http.port}`)
    const lines = [
      `mesos-ts local: master and ${flags.num_agents} agent(s) running (executor: ${flags.executor}).`,
      `  HTTP (state, metrics, operator and scheduler APIs): http://${flags.hostname ?? 'localhost'}:${http.port}/master/state`,
      `  agents' HTTP (state, sandbox files, executor API): http://${flags.hostname ?? 'localhost'}:${http.port}/slave(<i>)/state`,
      `  sandboxes: ${join(flags.work_dir, 'agents', '<i>', 'slaves', '<agent>', 'frameworks', '<framework>', 'executors', '<task>', 'runs', 'latest')}/{stdout,stderr}`,
    ]
    if (servers) {
      lines.push(`  NATS: ${servers.join(',')}`)
      lines.push(`  run a task: mesos-ts execute --master=${servers[0]} --name=hello --command='echo hello'`)
    } else {
      lines.push(`  run a task: mesos-ts execute --master=127.0.0.1:${http.port} --name=hello --command='echo hello'`)
      lines.push('  (frameworks reach it over the v1 HTTP APIs; start with --nats to let NATS frameworks and more agents join)')
    }
    lines.push('  Ctrl-C stops it (tasks are killed, sandboxes kept).')
    ctx.stdout.write(`${lines.join('\n')}\n`)
    await untilAborted(ctx.signal)
    ctx.log.info('stopping the local cluster')
    // The agents first: their HTTP executors hear SHUTDOWN and send their last updates over HTTP.
    await cluster.stop()
    await http.close()
    await nats?.stop()
    return 0
  },
}

export default { command } satisfies CommandFile<'local'>
