// `mesos-ts agent`: one agent process; runs tasks in sandboxes under --work_dir.
import { mkdirSync } from 'node:fs'
import { hostname } from 'node:os'
import { agentMachine, defaultAgentResources, parseAttributes, AttributeParseError } from '../../actors/agent/index.js'
import { executorSpawner } from '../../actors/executor/index.js'
import { ResourceError, ResourceParseError } from '../../actors/resources/index.js'
import { MASTER_PID, nodeNameFor } from '../node-names.js'
import { detectMaster } from '../lease-detector.js'
import { CommandError, type CommandFile, type CommandModule } from './command.js'
import { millis, natsRuntime, untilAborted } from './daemon-runtime.js'
import { natsServersOf } from './master-location.js'
import { agentIp } from '../host-ip.js'

export const command: CommandModule<'agent'> = {
  name: 'agent',
  summary: 'Run an agent: offers this host\'s resources to the master and runs tasks in sandboxes.',
  async run(flags, ctx) {
    const servers = natsServersOf(flags.master, flags.nats, 'agent')
    const host = flags.hostname ?? hostname()
    let resources
    let attributes
    try {
      mkdirSync(flags.work_dir, { recursive: true })
      resources = defaultAgentResources(flags.work_dir, flags.resources ?? '')
    } catch (err) {
      if (err instanceof ResourceParseError || err instanceof ResourceError) throw new CommandError(`--resources: ${err.message}`, 2)
      if ((err as NodeJS.ErrnoException).code) throw new CommandError(`--work_dir=${flags.work_dir}: ${(err as Error).message}`)
      throw err
    }
    try {
      attributes = flags.attributes ? parseAttributes(flags.attributes) : []
    } catch (err) {
      if (err instanceof AttributeParseError) throw new CommandError(`--attributes: ${err.message}`, 2)
      throw err
    }
    const node = nodeNameFor(host, flags.port)
    const runtime = await natsRuntime({ servers, node, prefix: flags.cluster, name: `mesos-ts agent ${node}`, log: ctx.log })
    // The leading master, from the JetStream lease (or the single `master@master`), and each change.
    const detection = await detectMaster({ servers, prefix: flags.cluster, clock: runtime.clock })
    const agent = runtime.spawn(agentMachine, {
      name: 'agent',
      input: {
        masterPid: detection.detector.current() ?? MASTER_PID,
        info: { hostname: host, port: flags.port, resources, attributes },
        ip: agentIp(flags.ip),
        workDir: flags.work_dir,
        executor: flags.executor,
        spawnExecutor: executorSpawner(runtime),
        flags: {
          registrationBackoffFactorMs: millis(flags.registration_backoff_factor, 1000),
          executorShutdownGracePeriodMs: millis(flags.executor_shutdown_grace_period, 5000),
        },
      },
    })
    const stopFollowing = detection.detector.onChange(masterPid => {
      if (masterPid) agent.send({ type: 'NewMasterDetected', masterPid })
    })
    ctx.log.info({ pid: agent.pid, workDir: flags.work_dir, nats: servers }, `agent ${agent.pid} is up; sandboxes under ${flags.work_dir}/slaves/`)
    await untilAborted(ctx.signal)
    // Without checkpointed recovery yet, a stopping agent kills its tasks rather than orphan them.
    ctx.log.info('agent stopping: killing its tasks')
    stopFollowing()
    await detection.close()
    agent.send({ type: 'ShutdownAgent', from: (agent.getSnapshot().context as { core: { masterPid: string } }).core.masterPid, body: { message: 'the agent process is stopping' } })
    const deadline = Date.now() + 15_000
    while (agent.alive && Date.now() < deadline) await new Promise(r => setTimeout(r, 20))
    await runtime.close()
    return 0
  },
}

export default { command } satisfies CommandFile<'agent'>
