// The agent actor (Mesos's Slave process): the lifecycle with the master (registering with
// backoff, registered and answering pings, disconnected and reregistering, terminating) as
// XState states; everything else is delegated to AgentCore, a plain class held by reference.
import { and, assign, setup } from 'xstate'
import type { ActorPort, ExitedEvent, Pid } from '../../runtime/index.js'
import type { AgentInfo, Attribute, DomainInfo, ProtocolEvent, Resource } from '../protocol/index.js'
import { AgentCore } from './agent-core.js'
import type { CheckpointStore, RecoveredState } from './checkpoint-store.js'
import type { ExecutorKind, SpawnExecutor } from './executors.js'
import { DEFAULT_AGENT_FLAGS, type AgentFlags } from './flags.js'
import type { RandomSource } from './ids.js'
import { HOST_DEFAULT_PATH, PosixProcessLauncher, type ProcessLauncher } from './process-launcher.js'

export interface AgentMachineInput {
  port: ActorPort
  /** The leading master's pid (`master@m1`); NewMasterDetected changes it. */
  masterPid: Pid
  /** The lease epoch of the term `masterPid` serves, if the detector knows it (see NewMasterDetected). */
  masterEpoch?: number
  info: { hostname: string; port?: number; resources: Resource[]; attributes?: Attribute[]; domain?: DomainInfo }
  /** This host's IP, sent with (re)registration for the master's Offer.url.address.ip. */
  ip?: string
  /** `--work_dir` (Mesos default /tmp/mesos): sandboxes go under `<work_dir>/slaves/...`. */
  workDir: string
  /** `--executor`: `command` (real processes) or `emulated` (benchmarks and simulation). */
  executor: ExecutorKind
  /** How executors are started (actors/executor's `executorSpawner(runtime)`). */
  spawnExecutor: SpawnExecutor
  flags?: Partial<AgentFlags>
  /** The process launcher for command executors (default: PosixProcessLauncher); tests inject a fake. */
  launcher?: ProcessLauncher
  /** Random source for backoff jitter and ids (default Math.random; a seeded Prng in simulation). */
  random?: RandomSource
  /**
   * Mesos `--executor_environment_variables`: the base environment of executors and tasks.
   * Default: PATH only (the agent's own PATH, else the host default).
   */
  executorEnvironment?: Record<string, string>
  /** Where frameworks with `checkpoint: true` are checkpointed (FileCheckpointStore under work_dir). */
  checkpoint?: CheckpointStore
  /** What readCheckpoint() found at start (`--recover=reconnect`): the agent recovers it first. */
  recovered?: RecoveredState
}

/** Cluster code tells the agent about a new leading master with this in-process event. */
export interface NewMasterDetectedEvent {
  type: 'NewMasterDetected'
  masterPid: Pid
  /**
   * The leader lease's epoch of the detected term. A re-elected master keeps its pid; with the
   * epoch on its ReregisterAgent, the agent's messages to an earlier term cannot be taken for
   * messages to this one.
   */
  masterEpoch?: number
}

type MessageEvents =
  | ProtocolEvent<'AgentRegistered'>
  | ProtocolEvent<'AgentReregistered'>
  | ProtocolEvent<'Ping'>
  | ProtocolEvent<'RunTask'>
  | ProtocolEvent<'RunTaskGroup'>
  | ProtocolEvent<'KillTask'>
  | ProtocolEvent<'ShutdownExecutor'>
  | ProtocolEvent<'ShutdownFramework'>
  | ProtocolEvent<'ShutdownAgent'>
  | ProtocolEvent<'StatusUpdateAcknowledgement'>
  | ProtocolEvent<'ReconcileTasks'>
  | ProtocolEvent<'UpdateFramework'>
  | ProtocolEvent<'CheckpointResources'>
  | ProtocolEvent<'FrameworkToExecutorMessage'>
  | ProtocolEvent<'ExecutorToFrameworkMessage'>
  | ProtocolEvent<'RegisterExecutor'>
  | ProtocolEvent<'ReregisterExecutor'>
  | ProtocolEvent<'StatusUpdate'>

export type AgentEvent = MessageEvents | ExitedEvent | NewMasterDetectedEvent

export interface AgentContext {
  port: ActorPort
  core: AgentCore
  flags: AgentFlags
  random: RandomSource
  /**
   * Registration backoff (Mesos detected + doReliableRegistration): attempt n waits
   * random * min(factor * 2^n, 1 min). Advanced by the delay function itself, because XState
   * resolves delays before it runs custom actions.
   */
  reg: { attempts: number; linked: boolean }
  pingTimeoutMs: number
  recovered: RecoveredState | undefined
  ip?: string
}

function makeContext(input: AgentMachineInput): AgentContext {
  const flags: AgentFlags = { ...DEFAULT_AGENT_FLAGS, ...input.flags }
  const random = input.random ?? Math.random
  const info: AgentInfo = { hostname: input.info.hostname, port: input.info.port ?? 5051, resources: input.info.resources, attributes: input.info.attributes ?? [] }
  if (input.info.domain) info.domain = input.info.domain
  const launcher = input.launcher ?? (input.executor === 'command' ? new PosixProcessLauncher() : undefined)
  const core = new AgentCore({
    port: input.port,
    masterPid: input.masterPid,
    masterEpoch: input.masterEpoch,
    info,
    workDir: input.workDir,
    executor: input.executor,
    flags,
    spawnExecutor: input.spawnExecutor,
    launcher,
    random,
    executorEnvironment: input.executorEnvironment ?? { PATH: process.env.PATH ?? HOST_DEFAULT_PATH },
    checkpoint: input.checkpoint,
  })
  return { port: input.port, core, flags, random, reg: { attempts: 0, linked: false }, pingTimeoutMs: flags.masterPingTimeoutMs, recovered: input.recovered, ip: input.ip }
}

type Ev<T extends AgentEvent['type']> = Extract<AgentEvent, { type: T }>

export const agentMachine = setup({
  types: {
    context: {} as AgentContext,
    events: {} as AgentEvent,
    input: {} as AgentMachineInput,
  },
  delays: {
    registrationDelay: ({ context }) => {
      const { flags, reg } = context
      const cap = Math.min(flags.registrationBackoffFactorMs * 2 ** reg.attempts, flags.registrationRetryMaxMs)
      reg.attempts++
      return context.random() * cap
    },
    pingTimeout: ({ context }) => context.pingTimeoutMs,
    shutdownDeadline: ({ context }) => context.flags.executorShutdownGracePeriodMs + 1_000,
  },
  guards: {
    fromMaster: ({ context, event }) => 'from' in event && event.from === context.core.masterPid,
    masterExited: ({ context, event }) => event.type === 'exited' && event.pid === context.core.masterPid,
    masterSaysDisconnected: ({ context, event }) => event.type === 'Ping' && event.from === context.core.masterPid && !event.body.connected,
    idle: ({ context }) => context.core.idle,
    /**
     * A launch stamped by another term of the master's pid than the one this agent follows: sent
     * by an earlier term and held back by the bus (sim K12). The term that would account for the
     * task is gone and the current one never heard of it, so running it would use resources the
     * master offers again. A restarted Mesos master's old connection dies with it; here the epoch
     * tells. Unstamped launches, or an agent told no epoch, are taken as before.
     */
    fromAnotherTerm: ({ context, event }) => {
      const epoch = (event as Ev<'RunTask'> | Ev<'RunTaskGroup'>).body.master_epoch
      return epoch !== undefined && context.core.masterEpoch !== undefined && epoch !== context.core.masterEpoch
    },
    // An AgentRegistered for another id is a reply meant for someone else (e.g. a dead
    // predecessor on this pid): it must not make this agent 'registered' (sim K6).
    // A reply to an earlier process on this pid (another boot id) counts as someone else's too.
    registeredAsThisAgent: ({ context, event }) => context.core.registeredMismatch((event as Ev<'AgentRegistered'>).body) === undefined,
    reregisteredAsThisAgent: ({ context, event }) => context.core.agentId === (event as Ev<'AgentReregistered'>).body.agent_id.value,
  },
  actions: {
    /** Mesos Slave::detected: the first attempt after a random share of the backoff factor. */
    resetBackoff: assign({ reg: ({ context }) => ({ attempts: 0, linked: context.reg.linked }) }),
    pauseUpdates: ({ context }) => context.core.onDisconnected(),
    /** Mesos Slave::doReliableRegistration: send; the next attempt's delay doubles its cap. */
    attemptRegistration: ({ context }) => {
      const { core, port, reg } = context
      if (!reg.linked) {
        port.link(core.masterPid)
        reg.linked = true
      }
      const ip = context.ip === undefined ? {} : { ip: context.ip }
      if (core.agentId === undefined) port.send(core.masterPid, 'RegisterAgent', { ...core.registerMessage(), ...ip })
      else port.send(core.masterPid, 'ReregisterAgent', { ...core.reregisterMessage(), ...ip, ...(core.masterEpoch === undefined ? {} : { master_epoch: core.masterEpoch }) })
      port.metrics.counter('slave/registration_attempts').inc()
    },
    setPingTimeout: assign({
      pingTimeoutMs: ({ context, event }) =>
        pingTimeout(context, (event as Ev<'AgentRegistered'> | Ev<'AgentReregistered'>).body.connection?.total_ping_timeout_seconds),
    }),
    /** Recovery after a restart (recovery.ts), before the first registration attempt. */
    recover: ({ context }) => {
      const state = context.recovered
      // The root's entry runs again whenever NewMasterDetected re-enters the root, and clearing
      // `context.recovered` does not survive XState's context copies: the core says if it is done.
      if (!state || context.core.recovered) return
      context.recovered = undefined
      context.core.recover(state)
      context.port.log.info(`recovered agent ${context.core.agentId}: ${context.core.frameworks.size} framework(s); reregistering`)
    },
    ignoreOtherTerm: ({ context, event }) => {
      const e = event as Ev<'RunTask'> | Ev<'RunTaskGroup'>
      context.port.log.warn(`ignoring ${e.type} from ${e.from}: launched by the master of epoch ${e.body.master_epoch}, this agent follows epoch ${context.core.masterEpoch}`)
    },
    ignoreOtherId: ({ context, event }) => {
      const e = event as Ev<'AgentRegistered'> | Ev<'AgentReregistered'>
      const why = e.type === 'AgentRegistered' ? context.core.registeredMismatch(e.body) : `it names agent id ${e.body.agent_id.value}, but this agent is ${context.core.agentId}`
      context.port.log.error(`ignoring ${e.type} from ${e.from}: ${why}`)
    },
    onRegistered: ({ context, event }) => {
      const e = event as Ev<'AgentRegistered'>
      const { core, port } = context
      port.log.info(`registered with ${e.from} as agent ${e.body.agent_id.value}`)
      core.onRegistered(e.body.agent_id.value)
    },
    onReregistered: ({ context, event }) => {
      const e = event as Ev<'AgentReregistered'>
      const { core, port } = context
      port.log.info(`reregistered with ${e.from}`)
      // Resuming the manager resends the head of every stream: the new master hears every update
      // that was not acknowledged.
      core.onRegistered(e.body.agent_id.value)
      for (const reconcile of e.body.reconciliations ?? []) core.onReconcileTasks(reconcile)
    },
    pong: ({ context, event }) => context.port.send((event as Ev<'Ping'>).from, 'Pong', {}),
    masterLost: ({ context }, params: { why: string }) => {
      context.port.log.warn(`master ${context.core.masterPid} lost (${params.why}): reregistering`)
    },
    forgetLink: ({ context }) => {
      context.reg.linked = false
    },
    newMaster: ({ context, event }) => {
      const e = event as NewMasterDetectedEvent
      const { core, port, reg } = context
      if (reg.linked) port.unlink(core.masterPid)
      reg.linked = false
      core.masterPid = e.masterPid
      core.masterEpoch = e.masterEpoch
      port.log.info(`new master detected: ${e.masterPid}`)
    },
    shutdownAgent: ({ context, event }) => {
      const e = event as Ev<'ShutdownAgent'>
      context.port.log.warn(`shutting down at the master's request${e.body.message ? `: ${e.body.message}` : ''}`)
      context.core.onShutdownAgent()
    },
    close: ({ context }) => {
      context.core.close()
      if (context.reg.linked) context.port.unlink(context.core.masterPid)
    },
  },
}).createMachine({
  id: 'agent',
  context: ({ input }) => makeContext(input),
  initial: 'disconnected',
  // Root entry runs before 'disconnected' is entered: recovered state is in place (and the
  // recovered id set) before the first ReregisterAgent.
  entry: 'recover',
  on: {
    // Messages from the master, whatever the lifecycle state (Mesos handles them while
    // DISCONNECTED too). A message from anyone else claiming to be the master is ignored.
    RunTask: [
      { guard: and(['fromMaster', 'fromAnotherTerm']), actions: 'ignoreOtherTerm' },
      { guard: 'fromMaster', actions: ({ context, event }) => context.core.onRunTask(event.body) },
    ],
    RunTaskGroup: [
      { guard: and(['fromMaster', 'fromAnotherTerm']), actions: 'ignoreOtherTerm' },
      { guard: 'fromMaster', actions: ({ context, event }) => context.core.onRunTaskGroup(event.body) },
    ],
    KillTask: { guard: 'fromMaster', actions: ({ context, event }) => context.core.onKillTask(event.body) },
    ShutdownExecutor: { guard: 'fromMaster', actions: ({ context, event }) => context.core.onShutdownExecutor(event.body) },
    ShutdownFramework: { guard: 'fromMaster', actions: ({ context, event }) => context.core.onShutdownFramework(event.body.framework_id.value) },
    ShutdownAgent: { guard: 'fromMaster', target: '.terminating', actions: 'shutdownAgent' },
    StatusUpdateAcknowledgement: { guard: 'fromMaster', actions: ({ context, event }) => context.core.onAcknowledgement(event.body) },
    ReconcileTasks: { guard: 'fromMaster', actions: ({ context, event }) => context.core.onReconcileTasks(event.body) },
    UpdateFramework: { guard: 'fromMaster', actions: ({ context, event }) => context.core.onUpdateFramework(event.body) },
    FrameworkToExecutorMessage: { guard: 'fromMaster', actions: ({ context, event }) => context.core.onFrameworkToExecutor(event.body) },
    Ping: { guard: 'fromMaster', actions: 'pong' },
    // From executors.
    RegisterExecutor: { actions: ({ context, event }) => context.core.onRegisterExecutor(event.from, event.body) },
    ReregisterExecutor: { actions: ({ context, event }) => context.core.onReregisterExecutor(event.from, event.body) },
    StatusUpdate: { actions: ({ context, event }) => context.core.onExecutorStatusUpdate(event.from, event.body) },
    ExecutorToFrameworkMessage: { actions: ({ context, event }) => context.core.onExecutorToFramework(event.body) },
    exited: [
      { guard: 'masterExited', actions: 'forgetLink' },
      { actions: ({ context, event }) => context.core.onExecutorExited(event.pid) },
    ],
    NewMasterDetected: { target: '.disconnected', reenter: true, actions: 'newMaster' },
  },
  states: {
    disconnected: {
      entry: ['resetBackoff', 'pauseUpdates'],
      initial: 'waiting',
      states: {
        waiting: {
          after: { registrationDelay: { target: 'waiting', reenter: true, actions: 'attemptRegistration' } },
        },
      },
      on: {
        AgentRegistered: [
          { guard: and(['fromMaster', 'registeredAsThisAgent']), target: 'registered', actions: ['setPingTimeout', 'onRegistered'] },
          { guard: 'fromMaster', actions: 'ignoreOtherId' },
        ],
        AgentReregistered: [
          { guard: and(['fromMaster', 'reregisteredAsThisAgent']), target: 'registered', actions: ['setPingTimeout', 'onReregistered'] },
          { guard: 'fromMaster', actions: 'ignoreOtherId' },
        ],
      },
    },
    registered: {
      after: {
        pingTimeout: { target: 'disconnected', actions: { type: 'masterLost', params: { why: 'no ping within the timeout' } } },
      },
      on: {
        Ping: [
          // Mesos Slave::ping: the master marked us disconnected while we think we are registered
          // (a one-way partition): reregister to reconcile.
          { guard: 'masterSaysDisconnected', target: 'disconnected', actions: ['pong', { type: 'masterLost', params: { why: 'the master says this agent is not connected' } }] },
          { guard: 'fromMaster', target: 'registered', reenter: true, actions: 'pong' },
        ],
        exited: [
          { guard: 'masterExited', target: 'disconnected', actions: ['forgetLink', { type: 'masterLost', params: { why: 'link exited' } }] },
          { actions: ({ context, event }) => context.core.onExecutorExited(event.pid) },
        ],
        AgentRegistered: { actions: ({ context }) => context.port.log.warn('already registered') },
        // Mesos Slave::reregistered reconciles in every state: an answer to a retry that crossed
        // the first answer still names the tasks the master believes this agent runs.
        AgentReregistered: [
          {
            guard: and(['fromMaster', 'reregisteredAsThisAgent']),
            actions: ({ context, event }) => {
              context.port.log.debug('already reregistered: reconciling the tasks the answer names')
              for (const reconcile of event.body.reconciliations ?? []) context.core.onReconcileTasks(reconcile)
            },
          },
          { actions: ({ context }) => context.port.log.warn('already reregistered') },
        ],
      },
    },
    terminating: {
      always: { guard: 'idle', target: 'stopped' },
      after: { shutdownDeadline: { target: 'stopped' } },
      on: {
        // No new work while shutting down; ShutdownAgent again changes nothing.
        RunTask: {},
        RunTaskGroup: {},
        ShutdownAgent: {},
        NewMasterDetected: {},
        AgentRegistered: {},
        AgentReregistered: {},
      },
    },
    stopped: { type: 'final', entry: 'close' },
  },
})

function pingTimeout(context: AgentContext, seconds: number | undefined): number {
  return seconds !== undefined && seconds > 0 ? seconds * 1000 : context.flags.masterPingTimeoutMs
}
