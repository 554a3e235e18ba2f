// `mesos-ts master`: the master as its own process, reached by agents and frameworks over NATS.
import { hostname } from 'node:os'
import { masterMachine } from '../../actors/master/index.js'
import { MASTER_PID, nodeNameFor } from '../node-names.js'
import type { CommandFile, CommandModule } from './command.js'
import { millis, natsRuntime, untilAborted } from './daemon-runtime.js'

export const command: CommandModule<'master'> = {
  name: 'master',
  summary: 'Run the master: pools the agents, offers their resources to frameworks, tracks tasks.',
  async run(flags, ctx) {
    const host = flags.hostname ?? hostname()
    const runtime = await natsRuntime({ servers: flags.nats, node: MASTER_PID.split('@')[1]!, prefix: flags.cluster, name: `mesos-ts master ${nodeNameFor(host)}`, log: ctx.log })
    runtime.spawn(masterMachine, {
      name: MASTER_PID.split('@')[0]!,
      input: {
        options: {
          agentPingTimeoutMs: millis(flags.agent_ping_timeout, 15_000),
          maxAgentPingTimeouts: flags.max_agent_ping_timeouts,
          allocationIntervalMs: millis(flags.allocation_interval, 1000),
          minAllocatableResources: flags.min_allocatable_resources,
          maxCompletedFrameworks: flags.max_completed_frameworks,
          maxCompletedTasksPerFramework: flags.max_completed_tasks_per_framework,
          hostname: host,
          port: flags.port,
          idPrefix: `${nodeNameFor(host)}-${Date.now().toString(36)}`,
        },
      },
    })
    await runtime.flush()
    ctx.log.info({ pid: MASTER_PID, nats: flags.nats, cluster: flags.cluster }, `master ${MASTER_PID} is up on NATS ${flags.nats.join(',')}`)
    await untilAborted(ctx.signal)
    ctx.log.info('master stopping')
    await runtime.close()
    return 0
  },
}

export default { command } satisfies CommandFile<'master'>
