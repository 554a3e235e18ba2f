// `mesos-ts master`: a master process, reached by agents and frameworks over NATS. With the
// JetStream registry (the default) several masters contend for the lease and only the leader
// hosts the master actor; with --registry=in_memory it is the cluster's one master.
import { hostname } from 'node:os'
import { MASTER_VERSION } from '../../actors/master/index.js'
import { TransportError } from '../../runtime/index.js'
import { flagsAsText, startMasterServer, type RunningMasterServer } from '../http/master-server.js'
import { MasterContender } from '../master-contender.js'
import { CommandError, type CommandFile, type CommandModule } from './command.js'
import { millis, untilAborted } from './daemon-runtime.js'

export const command: CommandModule<'master'> = {
  name: 'master',
  summary: 'Run the master: pools the agents, offers their resources to frameworks, tracks tasks.',
  async run(flags, ctx) {
    const host = flags.hostname ?? hostname()
    const startedAt = Date.now()
    let contender: MasterContender
    try {
      contender = await MasterContender.start({
        servers: flags.nats,
        prefix: flags.cluster,
        registry: flags.registry,
        leaseMs: millis(flags.master_lease, 3000),
        replicas: flags.registry_replicas,
        hostname: host,
        port: flags.port,
        log: ctx.log,
        masterOptions: {
          agentPingTimeoutMs: millis(flags.agent_ping_timeout, 15_000),
          maxAgentPingTimeouts: flags.max_agent_ping_timeouts,
          allocationIntervalMs: millis(flags.allocation_interval, 1000),
          offerTimeoutMs: millis(flags.offer_timeout, 60_000),
          minAllocatableResources: flags.min_allocatable_resources,
          maxCompletedFrameworks: flags.max_completed_frameworks,
          maxCompletedTasksPerFramework: flags.max_completed_tasks_per_framework,
          agentReregisterTimeoutMs: millis(flags.agent_reregister_timeout, 600_000),
          hostname: host,
          port: flags.port,
        },
      })
    } catch (err) {
      if (err instanceof TransportError) throw new CommandError(err.message)
      throw err
    }
    let http: RunningMasterServer
    try {
      http = await startMasterServer(
        {
          runtime: contender.runtime,
          masterPid: contender.masterPid,
          core: () => contender.core(),
          leader: () => {
            const leader = contender.leader()
            return leader && !contender.leading ? { hostname: leader.hostname, port: leader.port } : undefined
          },
          flags: flagsAsText(flags),
          log: ctx.log,
          startedAt,
          version: MASTER_VERSION,
        },
        { port: flags.port, host: flags.ip },
      )
    } catch (err) {
      await contender.stop()
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'EADDRINUSE') throw new CommandError(`port ${flags.port} is in use: pick another with --port`)
      if (code === 'EACCES') throw new CommandError(`not allowed to listen on port ${flags.port}: pick one above 1023 with --port`)
      throw err
    }
    ctx.log.info({ pid: contender.masterPid, nats: flags.nats, cluster: flags.cluster, http: http.url, registry: flags.registry }, `master ${contender.masterPid} is up on NATS ${flags.nats.join(',')}, HTTP on port ${http.port}`)
    await untilAborted(ctx.signal)
    ctx.log.info('master stopping')
    await http.close()
    await contender.stop()
    return 0
  },
}

export default { command } satisfies CommandFile<'master'>
