// `mesos-ts agent`: one agent process; runs tasks in sandboxes under --work_dir, and serves the
// agent's HTTP endpoints and the v1 executor API on --port (5051).
import { mkdirSync } from 'node:fs'
import { hostname } from 'node:os'
import { resolve } from 'node:path'
import {
  agentMachine,
  AGENT_VERSION,
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
import { RealClock, type ActorHandle } from '../../runtime/index.js'
import { executorSpawner } from '../../actors/executor/index.js'
import { startAgentServer, type RunningAgentServer } from '../http/agent-server.js'
import { CustomExecutors, customExecutorSpawner } from '../http/executor-proxy.js'
import { flagsAsText } from '../http/master-server.js'
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
    // Absolute, so that sandbox paths in /state work in /files/browse?path= (Mesos canonicalizes it too).
    const workDir = resolve(flags.work_dir)
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
    const executors = new CustomExecutors()
    // The server starts first, so that the agent registers with the port it really has (--port=0).
    let agent: ActorHandle | undefined
    let http: RunningAgentServer
    try {
      http = await startAgentServer(
        {
          runtime,
          agentPid: `agent@${runtime.node}`,
          core: () => (agent?.alive ? (agent.getSnapshot().context as AgentContext).core : undefined),
          workDir,
          flags: flagsAsText(flags),
          log: ctx.log,
          startedAt: Date.now(),
          version: AGENT_VERSION,
          executors,
          ...(launcher ? { processGroups: (containerId: string) => launcher.processGroups(containerId) } : {}),
        },
        { port: flags.port, host: flags.ip },
      )
    } catch (err) {
      await detection.close()
      await runtime.close()
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'EADDRINUSE') throw new CommandError(`port ${flags.port} is in use: pick another with --port`)
      if (code === 'EACCES') throw new CommandError(`not allowed to listen on port ${flags.port}: pick one above 1023 with --port`)
      throw err
    }
    // Executors run on this host: they reach the agent on the address it listens on.
    const endpoint = `${flags.ip && flags.ip !== '0.0.0.0' ? flags.ip : '127.0.0.1'}:${http.port}`
    agent = runtime.spawn(agentMachine, {
      name: 'agent',
      input: {
        masterPid: detection.detector.current() ?? MASTER_PID,
        masterEpoch: detection.detector.currentEpoch?.(),
        info: { hostname: host, port: http.port, resources, attributes },
        ip: agentIp(flags.ip),
        workDir,
        executor: flags.executor,
        checkpoint,
        recovered,
        spawnExecutor: customExecutorSpawner(runtime, executorSpawner(runtime), { executors, endpointFor: () => endpoint }),
        ...(launcher ? { launcher } : {}),
        flags: {
          registrationBackoffFactorMs: millis(flags.registration_backoff_factor, 1000),
          executorShutdownGracePeriodMs: millis(flags.executor_shutdown_grace_period, 5000),
          executorRegistrationTimeoutMs: millis(flags.executor_registration_timeout, 60_000),
        },
      },
    })
    const spawned = agent
    const stopFollowing = detection.detector.onChange(masterPid => {
      // The epoch too: a re-elected master keeps its pid, and drops what was meant for its old term.
      if (masterPid) spawned.send({ type: 'NewMasterDetected', masterPid, masterEpoch: detection.detector.currentEpoch?.() })
    })
    if (recovered) ctx.log.info(`agent ${agent.pid} recovered agent ${recovered.agentInfo.id?.value} from ${checkpoint.location}`)
    ctx.log.info({ pid: agent.pid, workDir, nats: servers, http: http.url }, `agent ${agent.pid} is up, HTTP on port ${http.port}; sandboxes under ${flags.work_dir}/slaves/`)
    await untilAborted(ctx.signal)
    stopFollowing()
    await detection.close()
    // As Mesos's agent on SIGTERM: tasks of checkpointing frameworks keep running, to be recovered
    // by the next agent on this work_dir; those of other frameworks would be lost anyway, so they
    // are killed now rather than orphaned.
    const core = () => (spawned.alive ? (spawned.getSnapshot().context as AgentContext).core : undefined)
    const doomed = [...(core()?.frameworks.values() ?? [])].filter(fw => !fw.info.checkpoint).map(fw => fw.id)
    ctx.log.info(`agent stopping: killing the tasks of ${doomed.length} framework(s) without checkpointing; checkpointed tasks keep running`)
    const masterPid = core()?.masterPid ?? MASTER_PID
    for (const id of doomed) spawned.send({ type: 'ShutdownFramework', from: masterPid, body: { framework_id: { value: id } } })
    const deadline = Date.now() + 15_000
    while (doomed.some(id => core()?.frameworks.has(id)) && Date.now() < deadline) await new Promise(r => setTimeout(r, 20))
    // After the agent: executors send their last updates over HTTP while it shuts them down.
    await http.close()
    await runtime.close()
    return 0
  },
}

export default { command } satisfies CommandFile<'agent'>
