// Custom executors over Mesos's v1 executor HTTP API (docs/executor-http-api.md). A TaskInfo with
// an ExecutorInfo whose command is a program: the agent starts the program (through its process
// launcher: own session and process group, stdout/stderr in the sandbox, Mesos's MESOS_*
// environment) and, inside the agent's runtime, one proxy actor that stands for it. To the agent
// the proxy *is* the executor, a pid like the built-in command executor's: the agent links to it,
// sends it RunTask, KillTask, acknowledgements, and hears StatusUpdate from it. The program
// reaches the proxy over `POST /api/v1/executor` (executor-api.ts): its SUBSCRIBE becomes the
// proxy's RegisterExecutor, the agent's answers become events on the subscription's RecordIO
// stream (executor-messages.ts has the mapping), its UPDATE and MESSAGE calls become
// StatusUpdate and ExecutorToFrameworkMessage. The proxy ends when the program exits (or when
// the agent destroys the container); the agent hears `exited` for its pid, as for any executor.
//
// A dropped connection does not end the executor: the program may SUBSCRIBE again (Mesos's
// executor library does, resending its unacknowledged updates), and the proxy carries on with the
// new stream; what happens in between is not queued (an agent's event the executor missed, a
// LAUNCH, is the framework's to reconcile, as with Mesos).
import { setup } from 'xstate'
import type { ActorHandle, ActorPort, Pid, Runtime } from '../../runtime/index.js'
import {
  LaunchError,
  type ExecutorHandle,
  type ExecutorLaunch,
  type LaunchedProcess,
  type ProcessExit,
  type SpawnExecutor,
} from '../../actors/agent/index.js'
import type { ExecutorRegisteredBody, ProtocolEvent, StatusUpdate } from '../../actors/protocol/index.js'
import type { EventStream } from './scheduler-proxy.js'

/** SUBSCRIBE's `subscribe` field (executor.proto Call.Subscribe). */
export interface ExecutorSubscribe {
  unacknowledged_tasks?: unknown[]
  unacknowledged_updates?: Array<{ status: StatusUpdate['status'] }>
}

export type ExecutorProxyEvent =
  | ProtocolEvent<'ExecutorRegistered'>
  | ProtocolEvent<'RunTask'>
  | ProtocolEvent<'RunTaskGroup'>
  | ProtocolEvent<'KillTask'>
  | ProtocolEvent<'StatusUpdateAcknowledgement'>
  | ProtocolEvent<'FrameworkToExecutorMessage'>
  | ProtocolEvent<'ShutdownExecutor'>
  | ProtocolEvent<'ReconnectExecutor'>
  /** A SUBSCRIBE call that passed validation: the new stream replaces any older one. */
  | { type: 'http.subscribe'; stream: EventStream; subscribe: ExecutorSubscribe }
  /** UPDATE: a validated status update, to forward as this executor's. */
  | { type: 'http.update'; update: StatusUpdate }
  /** MESSAGE: base64 data for the framework. */
  | { type: 'http.message'; data: string }
  /** The subscription's stream is over (client closed it, or dropped as a slow consumer). */
  | { type: 'http.closed'; stream: EventStream }
  /** The executor's program is gone. */
  | { type: 'process.exited'; exit: ProcessExit }

export interface ExecutorProxyInput {
  port: ActorPort
  agentPid: Pid
  agentId: string
  frameworkId: string
  executorId: string
  process: LaunchedProcess
}

interface ProxyContext {
  readonly port: ActorPort
  readonly agentPid: Pid
  readonly agentId: string
  readonly frameworkId: string
  readonly executorId: string
  readonly process: LaunchedProcess
  stream: EventStream | undefined
  registered: ExecutorRegisteredBody | undefined
}

/** Mesos DEFAULT_EXECUTOR_HEARTBEAT_INTERVAL (src/slave/constants.hpp): HEARTBEAT events on the stream. */
export const EXECUTOR_HEARTBEAT_INTERVAL_MS = 30 * 60_000

/** Writes one v1 executor Event to the current stream (dropped while the executor is disconnected). */
function write(context: ProxyContext, event: Record<string, unknown>): void {
  if (context.stream === undefined) {
    context.port.log.warn({ executor: context.executorId, event: event.type }, `executor '${context.executorId}' is not connected: dropping its ${String(event.type)} event`)
    return
  }
  context.stream.write(event)
}

/** Mesos Event.Subscribed from our ExecutorRegistered. */
function subscribedEvent(body: ExecutorRegisteredBody): Record<string, unknown> {
  const subscribed: Record<string, unknown> = { executor_info: body.executor_info, framework_info: body.framework_info, agent_info: body.agent_info }
  if (body.container_id) subscribed.container_id = body.container_id
  return { type: 'SUBSCRIBED', subscribed }
}

type Args = { context: ProxyContext; event: ExecutorProxyEvent }
const ev = <T extends ExecutorProxyEvent['type']>(event: ExecutorProxyEvent): Extract<ExecutorProxyEvent, { type: T }> => event as Extract<ExecutorProxyEvent, { type: T }>

/** A new stream replaces the old one, which is ended (Mesos closes the old HTTP connection). */
function takeStream({ context, event }: Args): void {
  const e = ev<'http.subscribe'>(event)
  if (context.stream !== undefined && context.stream !== e.stream) context.stream.end()
  context.stream = e.stream
}

export const executorProxyMachine = setup({
  types: {
    input: {} as ExecutorProxyInput,
    context: {} as ProxyContext,
    events: {} as ExecutorProxyEvent,
  },
  guards: {
    fromAgent: ({ context, event }) => 'from' in event && event.from === context.agentPid,
    currentStream: ({ context, event }) => ev<'http.closed'>(event).stream === context.stream,
  },
  actions: {
    takeStream,
    forgetStream: ({ context }) => {
      context.stream = undefined
      context.port.log.info({ executor: context.executorId }, `executor '${context.executorId}' disconnected from the executor API; it may subscribe again`)
    },
    launch: ({ context, event }) => write(context, { type: 'LAUNCH', launch: { task: ev<'RunTask'>(event).body.task } }),
    launchGroup: ({ context, event }) => write(context, { type: 'LAUNCH_GROUP', launch_group: { task_group: ev<'RunTaskGroup'>(event).body.task_group } }),
    kill: ({ context, event }) => {
      const body = ev<'KillTask'>(event).body
      write(context, { type: 'KILL', kill: body.kill_policy ? { task_id: body.task_id, kill_policy: body.kill_policy } : { task_id: body.task_id } })
    },
    acknowledged: ({ context, event }) => {
      const body = ev<'StatusUpdateAcknowledgement'>(event).body
      write(context, { type: 'ACKNOWLEDGED', acknowledged: { task_id: body.task_id, uuid: body.uuid } })
    },
    message: ({ context, event }) => write(context, { type: 'MESSAGE', message: { data: ev<'FrameworkToExecutorMessage'>(event).body.data } }),
    shutdown: ({ context }) => write(context, { type: 'SHUTDOWN' }),
    update: ({ context, event }) => context.port.send(context.agentPid, 'StatusUpdate', { update: ev<'http.update'>(event).update, pid: context.port.self }),
    frameworkMessage: ({ context, event }) =>
      context.port.send(context.agentPid, 'ExecutorToFrameworkMessage', {
        agent_id: { value: context.agentId },
        framework_id: { value: context.frameworkId },
        executor_id: { value: context.executorId },
        data: ev<'http.message'>(event).data,
      }),
    /** Mesos's executor library resends what the agent has not acknowledged when it resubscribes. */
    resendUpdates: ({ context, event }) => {
      for (const u of ev<'http.subscribe'>(event).subscribe.unacknowledged_updates ?? []) {
        const status = u.status
        if (!status.uuid) continue
        const update: StatusUpdate = {
          framework_id: { value: context.frameworkId },
          executor_id: { value: context.executorId },
          agent_id: { value: context.agentId },
          status: { ...status, agent_id: { value: context.agentId }, executor_id: { value: context.executorId }, source: 'SOURCE_EXECUTOR' },
          timestamp: status.timestamp ?? context.port.now() / 1000,
          uuid: status.uuid,
        }
        context.port.send(context.agentPid, 'StatusUpdate', { update, pid: context.port.self })
      }
    },
    terminateProcess: ({ context }) => context.process.terminate(),
  },
}).createMachine({
  id: 'http-executor',
  context: ({ input }) => ({
    port: input.port,
    agentPid: input.agentPid,
    agentId: input.agentId,
    frameworkId: input.frameworkId,
    executorId: input.executorId,
    process: input.process,
    stream: undefined,
    registered: undefined,
  }),
  initial: 'launched',
  on: {
    'process.exited': {
      target: '.exited',
      actions: ({ context, event }) => {
        const exit = ev<'process.exited'>(event).exit
        context.port.log.info({ executor: context.executorId, exit }, `executor '${context.executorId}' of framework ${context.frameworkId} exited`)
      },
    },
    'http.closed': { guard: 'currentStream', actions: 'forgetStream' },
    ReconnectExecutor: {},
  },
  states: {
    /** The program runs; the proxy waits for its SUBSCRIBE (the agent's registration timeout runs). */
    launched: {
      on: {
        'http.subscribe': {
          target: 'subscribing',
          actions: [
            'takeStream',
            ({ context }) => context.port.send(context.agentPid, 'RegisterExecutor', { framework_id: { value: context.frameworkId }, executor_id: { value: context.executorId } }),
          ],
        },
        // Shut down before it ever subscribed (its framework went away): end the program.
        ShutdownExecutor: { guard: 'fromAgent', actions: 'terminateProcess' },
      },
    },
    subscribing: {
      on: {
        'http.subscribe': { actions: 'takeStream' },
        ExecutorRegistered: {
          guard: 'fromAgent',
          target: 'subscribed',
          actions: ({ context, event }) => {
            const body = ev<'ExecutorRegistered'>(event).body
            context.registered = body
            write(context, subscribedEvent(body))
          },
        },
        // The agent refused it (unknown, or already shutting down): Mesos answers SHUTDOWN.
        ShutdownExecutor: { guard: 'fromAgent', actions: ['shutdown', 'terminateProcess'] },
      },
    },
    subscribed: {
      // Mesos's ResponseHeartbeater for HTTP executors: keeps idle connections through proxies.
      after: { [EXECUTOR_HEARTBEAT_INTERVAL_MS]: { target: 'subscribed', reenter: true, actions: ({ context }) => context.stream?.write({ type: 'HEARTBEAT' }) } },
      on: {
        'http.subscribe': {
          actions: [
            'takeStream',
            ({ context }) => {
              if (context.registered) write(context, subscribedEvent(context.registered))
            },
            'resendUpdates',
          ],
        },
        'http.update': { actions: 'update' },
        'http.message': { actions: 'frameworkMessage' },
        RunTask: { guard: 'fromAgent', actions: 'launch' },
        RunTaskGroup: { guard: 'fromAgent', actions: 'launchGroup' },
        KillTask: { guard: 'fromAgent', actions: 'kill' },
        StatusUpdateAcknowledgement: { guard: 'fromAgent', actions: 'acknowledged' },
        FrameworkToExecutorMessage: { guard: 'fromAgent', actions: 'message' },
        // The executor is expected to exit; the agent destroys its container after the grace period.
        ShutdownExecutor: { guard: 'fromAgent', actions: 'shutdown' },
      },
    },
    /** Final: the runtime stops the actor and the agent sees this pid exit. */
    exited: {
      type: 'final',
      entry: ({ context }) => context.stream?.end(),
    },
  },
})

/**
 * The HTTP executors of one runtime, by agent, framework and executor id: how the executor API
 * finds the proxy a call is for.
 */
export class CustomExecutors {
  private readonly byKey = new Map<string, ActorHandle>()

  private static key(agentPid: Pid, frameworkId: string, executorId: string): string {
    return JSON.stringify([agentPid, frameworkId, executorId])
  }

  add(agentPid: Pid, frameworkId: string, executorId: string, handle: ActorHandle): void {
    this.byKey.set(CustomExecutors.key(agentPid, frameworkId, executorId), handle)
  }

  remove(agentPid: Pid, frameworkId: string, executorId: string, handle: ActorHandle): void {
    const key = CustomExecutors.key(agentPid, frameworkId, executorId)
    if (this.byKey.get(key) === handle) this.byKey.delete(key)
  }

  get(agentPid: Pid, frameworkId: string, executorId: string): ActorHandle | undefined {
    const handle = this.byKey.get(CustomExecutors.key(agentPid, frameworkId, executorId))
    return handle?.alive ? handle : undefined
  }

  get size(): number {
    return this.byKey.size
  }
}

export interface CustomExecutorSpawnerOptions {
  /** Where the proxies are registered for the executor API. */
  executors: CustomExecutors
  /**
   * MESOS_AGENT_ENDPOINT (`host:port` of the agent's HTTP server) for an agent's executors; the
   * agent's own value (its AgentInfo hostname and port) when this returns undefined.
   */
  endpointFor?(agentPid: Pid): string | undefined
}

let proxySeq = 0

function nextProxyName(runtime: Runtime): string {
  for (;;) {
    const name = `http-executor-${++proxySeq}`
    if (!runtime.isHosting(`${name}@${runtime.node}`)) return name
  }
}

/** The executor's environment: the agent's (MESOS_*, PATH), then the ExecutorInfo's own variables. */
function executorEnv(launch: ExecutorLaunch, endpoint: string | undefined): Record<string, string> {
  const env: Record<string, string> = { ...launch.env }
  if (endpoint !== undefined) env.MESOS_AGENT_ENDPOINT = endpoint
  for (const v of launch.info?.command?.environment?.variables ?? []) {
    if (v.type === 'SECRET') continue
    env[v.name] = v.value ?? ''
  }
  return env
}

/**
 * A SpawnExecutor for `custom` executors (the program of an ExecutorInfo, over the executor
 * HTTP API); every other kind goes to `base` (actors/executor's executorSpawner).
 */
export function customExecutorSpawner(runtime: Runtime, base: SpawnExecutor, options: CustomExecutorSpawnerOptions): SpawnExecutor {
  return (kind, launch): ExecutorHandle => {
    if (kind !== 'custom') return base(kind, launch)
    const command = launch.info?.command
    if (!launch.launcher || launch.sandbox === undefined) throw new LaunchError('a custom executor needs a launcher and a sandbox')
    if (command?.value === undefined || command.value === '') throw new LaunchError(`executor '${launch.executorId}' has no command to run (ExecutorInfo.command.value)`)
    const shell = command.shell !== false
    const proc = launch.launcher.launch({
      containerId: launch.containerId,
      sandbox: launch.sandbox,
      ...(launch.metaDir !== undefined ? { metaDir: launch.metaDir } : {}),
      command: shell ? { shell, value: command.value } : { shell, value: command.value, arguments: command.arguments ?? [command.value] },
      env: executorEnv(launch, options.endpointFor?.(launch.agentPid)),
      banner: [`Starting executor '${launch.executorId}' of framework ${launch.frameworkId}: ${shell ? `sh -c '${command.value}'` : [command.value, ...(command.arguments ?? []).slice(1)].join(' ')}`],
    })
    const handle = runtime.spawn(executorProxyMachine, {
      name: nextProxyName(runtime),
      input: { agentPid: launch.agentPid, agentId: launch.agentId, frameworkId: launch.frameworkId, executorId: launch.executorId, process: proc },
    })
    options.executors.add(launch.agentPid, launch.frameworkId, launch.executorId, handle)
    let done = false
    const cleanup = (): void => {
      if (done) return
      done = true
      options.executors.remove(launch.agentPid, launch.frameworkId, launch.executorId, handle)
      const stream = (handle.getSnapshot().context as ProxyContext | undefined)?.stream
      stream?.end()
      // Whatever is left of the program's process group goes with its proxy.
      launch.launcher?.destroy(launch.containerId)
    }
    handle.actor.subscribe({ complete: cleanup, error: cleanup })
    proc.onExit(exit => {
      if (handle.alive) handle.send({ type: 'process.exited', exit } satisfies ExecutorProxyEvent)
      else cleanup()
    })
    return {
      pid: handle.pid,
      linked: true,
      stop: () => {
        handle.stop()
        cleanup()
      },
    }
  }
}
