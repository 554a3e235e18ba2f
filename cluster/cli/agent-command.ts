// `mesos-ts agent`: one agent process; runs tasks in sandboxes under --work_dir.
import { mkdirSync } from 'node:fs'
import { hostname } from 'node:os'
import {
  agentMachine,
  AttributeParseError,
  CheckpointError,
  cleanupCheckpoint,
  defaultAgentResources,
  FileCheckpointStore,
  parseAttributes,
  PosixProcessLauncher,
  readCheckpoint,
  type AgentContext,
  type RecoveredState,
} from '../../actors/agent/index.js'
import { RealClock } from '../../runtime/index.js'
import { executorSpawner } from '../../actors/executor/index.js'
import { ResourceError, ResourceParseError } from '../../actors/resources/index.js'
import { MASTER_PID, nodeNameFor } from '../node-names.js'
import { detectMaster } from '../lease-detector.js'
import { CommandError, type CommandFile, type CommandModule } from './command.js'
import { millis, natsRuntime, untilAborted } from './daemon-runtime.js'
import { natsServersOf } from './master-location.js'

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
    // Recovery (Mesos --recover): read <work_dir>/meta before joining the cluster.
    const checkpoint = new FileCheckpointStore(flags.work_dir)
    const launcher = flags.executor === 'command' ? new PosixProcessLauncher() : undefined
    if (flags.recover === 'cleanup') {
      const clock = new RealClock()
      const killed = cleanupCheckpoint(checkpoint, launcher, clock, ctx.log)
      ctx.log.info(`--recover=cleanup: killed ${killed} executor process(es) of the previous agent and removed its checkpoint under ${checkpoint.location}`)
      return 0
    }
    let recovered: RecoveredState | undefined
    try {
      recovered = readCheckpoint(checkpoint, flags.strict, ctx.log)
    } catch (err) {
      if (err instanceof CheckpointError) {
        throw new CommandError(
          `recovery failed: ${err.message}. To start as a new agent, remove ${checkpoint.location}/slaves/latest (or run with --recover=cleanup); to recover what can be read, run with --strict=false`,
        )
      }
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
        workDir: flags.work_dir,
        executor: flags.executor,
        launcher,
        checkpoint,
        recovered,
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
    if (recovered) ctx.log.info(`agent ${agent.pid} recovered agent ${recovered.agentInfo.id?.value} from ${checkpoint.location}`)
    ctx.log.info({ pid: agent.pid, workDir: flags.work_dir, nats: servers }, `agent ${agent.pid} is up; sandboxes under ${flags.work_dir}/slaves/`)
    await untilAborted(ctx.signal)
    stopFollowing()
    await detection.close()
    // As Mesos's agent on SIGTERM: tasks of checkpointing frameworks keep running, to be recovered
    // by the next agent on this work_dir; those of other frameworks would be lost anyway, so they
    // are killed now rather than orphaned.
    const core = () => (agent.alive ? (agent.getSnapshot().context as AgentContext).core : undefined)
    const doomed = [...(core()?.frameworks.values() ?? [])].filter(fw => !fw.info.checkpoint).map(fw => fw.id)
    ctx.log.info(`agent stopping: killing the tasks of ${doomed.length} framework(s) without checkpointing; checkpointed tasks keep running`)
    const masterPid = core()?.masterPid ?? MASTER_PID
    for (const id of doomed) agent.send({ type: 'ShutdownFramework', from: masterPid, body: { framework_id: { value: id } } })
    const deadline = Date.now() + 15_000
    while (doomed.some(id => core()?.frameworks.has(id)) && Date.now() < deadline) await new Promise(r => setTimeout(r, 20))
    await runtime.close()
    return 0
  },
}

export default { command } satisfies CommandFile<'agent'>
