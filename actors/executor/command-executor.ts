// The built-in command executor (Mesos: src/launcher/executor.cpp), as an actor in the agent's
// runtime: registers with its agent, runs its one task's command through the agent's process
// launcher (own session and process group, stdout/stderr files in the sandbox), reports
// TASK_STARTING, TASK_RUNNING, then TASK_FINISHED / TASK_FAILED ("Command exited with status 3",
// "Command terminated with signal Killed") / TASK_KILLED, and kills with SIGTERM then SIGKILL
// after the grace period. It stops once its task is terminal and the agent has acknowledged the
// terminal update (or, when shut down, once the process is gone).
//
// Recovered mode (`recovered` in the input): the agent restarted and re-creates this executor for
// a run an earlier incarnation started. It reregisters (ReregisterExecutor) instead of registering,
// and instead of launching it re-adopts the process through the launcher (no longer our child: it
// is polled), reporting the terminal status from the exit status the wrapper recorded.
import { setup } from 'xstate'
import type { ActorPort, Pid } from '../../runtime/index.js'
import {
  describeExit,
  HOST_DEFAULT_PATH,
  LaunchError,
  newStatusUuid,
  type LaunchedProcess,
  type ProcessExit,
  type ProcessLauncher,
  type RandomSource,
  type RecoveredExecutorRun,
} from '../agent/index.js'
import type { FrameworkInfo, KillPolicy, ProtocolEvent, StatusUpdate, TaskInfo, TaskState, TaskStatus, TaskStatusReason } from '../protocol/index.js'
import { isTerminalState } from '../protocol/index.js'

export interface CommandExecutorInput {
  port: ActorPort
  agentPid: Pid
  agentId: string
  frameworkId: string
  executorId: string
  containerId: string
  sandbox: string
  metaDir?: string
  /** The executor's environment from the agent (MESOS_*, PATH); the task's own variables win. */
  env: Readonly<Record<string, string>>
  launcher: ProcessLauncher
  /** Grace period between SIGTERM and SIGKILL when neither the kill nor the task sets one. */
  killGracePeriodMs: number
  /** The time the agent gives this executor to shut down (ShutdownExecutor). */
  shutdownGracePeriodMs: number
  random?: RandomSource
  /** The agent restarted: re-adopt this run's process instead of launching one. */
  recovered?: RecoveredExecutorRun
}

/** The executor gives up waiting for the agent's acknowledgement of its terminal update. */
const TERMINAL_ACK_TIMEOUT_MS = 60_000

interface ProcessExitedEvent {
  type: 'ProcessExited'
  taskId: string
  exit: ProcessExit
}
interface EscalateEvent {
  type: 'Escalate'
  taskId: string
}
interface GiveUpEvent {
  type: 'GiveUp'
}

export type CommandExecutorEvent =
  | ProtocolEvent<'ExecutorRegistered'>
  | ProtocolEvent<'ExecutorReregistered'>
  | ProtocolEvent<'RunTask'>
  | ProtocolEvent<'RunTaskGroup'>
  | ProtocolEvent<'KillTask'>
  | ProtocolEvent<'StatusUpdateAcknowledgement'>
  | ProtocolEvent<'ShutdownExecutor'>
  | ProtocolEvent<'FrameworkToExecutorMessage'>
  | ProtocolEvent<'ReconnectExecutor'>
  | ProcessExitedEvent
  | EscalateEvent
  | GiveUpEvent

interface TaskRun {
  readonly info: TaskInfo
  state: TaskState
  proc: LaunchedProcess | undefined
  killPolicy: KillPolicy | undefined
  killed: boolean
  /** When SIGKILL is due (clock time), while a kill is in its grace period. */
  escalateAt: number | undefined
  escalateTimer: unknown
  terminalUuid: string | undefined
}

type Send = (event: CommandExecutorEvent) => void

/** The executor's state and behaviour, held by reference in the machine's context. */
export class CommandExecutorCore {
  readonly input: CommandExecutorInput
  readonly port: ActorPort
  private readonly random: RandomSource
  framework: FrameworkInfo | undefined
  task: TaskRun | undefined
  /** Updates the agent has not acknowledged yet (ReregisterExecutor would carry them). */
  readonly unacknowledged = new Map<string, StatusUpdate>()
  shuttingDown = false
  gaveUp = false
  private giveUpTimer: unknown

  constructor(input: CommandExecutorInput) {
    this.input = input
    this.port = input.port
    this.random = input.random ?? Math.random
  }

  /** Nothing left to do: the task is terminal and acknowledged, or we are shut down and it is gone. */
  get finished(): boolean {
    const run = this.task
    if (!run) return this.shuttingDown
    if (!isTerminalState(run.state)) return false
    return this.shuttingDown || this.gaveUp || run.terminalUuid === undefined || !this.unacknowledged.has(run.terminalUuid)
  }

  register(): void {
    const recovered = this.input.recovered
    if (recovered) {
      this.port.send(this.input.agentPid, 'ReregisterExecutor', {
        framework_id: { value: this.input.frameworkId },
        executor_id: { value: this.input.executorId },
        tasks: recovered.tasks.map(t => t.info),
        updates: [],
      })
      return
    }
    this.port.send(this.input.agentPid, 'RegisterExecutor', { framework_id: { value: this.input.frameworkId }, executor_id: { value: this.input.executorId } })
  }

  registered(body: ProtocolEvent<'ExecutorRegistered'>['body']): void {
    this.framework = body.framework_info
  }

  private sendStatus(taskId: string, state: TaskState, extra: { message?: string; reason?: TaskStatusReason } = {}): string {
    const { agentId, executorId, frameworkId } = this.input
    const uuid = newStatusUuid(this.random)
    const timestamp = this.port.now() / 1000
    const status: TaskStatus = {
      task_id: { value: taskId },
      state,
      source: 'SOURCE_EXECUTOR',
      agent_id: { value: agentId },
      executor_id: { value: executorId },
      uuid,
      timestamp,
      container_status: { container_id: { value: this.input.containerId } },
      ...extra,
    }
    const update: StatusUpdate = { framework_id: { value: frameworkId }, executor_id: { value: executorId }, agent_id: { value: agentId }, status, timestamp, uuid }
    this.unacknowledged.set(uuid, update)
    this.port.send(this.input.agentPid, 'StatusUpdate', { update, pid: this.port.self })
    return uuid
  }

  private setState(run: TaskRun, state: TaskState, extra?: { message?: string; reason?: TaskStatusReason }): void {
    run.state = state
    const uuid = this.sendStatus(run.info.task_id.value, state, extra)
    if (isTerminalState(state)) run.terminalUuid = uuid
  }

  /** ExecutorReregistered (recovered mode): re-adopt the process the previous agent started. */
  adopt(send: Send): void {
    const recovered = this.input.recovered
    const first = recovered?.tasks[0]
    if (!recovered || !first || this.task) return
    this.framework = recovered.framework
    const { info, state } = first
    const run: TaskRun = { info, state, proc: undefined, killPolicy: info.kill_policy, killed: state === 'TASK_KILLING', escalateAt: undefined, escalateTimer: undefined, terminalUuid: undefined }
    this.task = run
    const taskId = info.task_id.value
    const spec = { containerId: this.input.containerId, metaDir: this.input.metaDir ?? '' }
    const proc = this.input.metaDir === undefined ? 'no meta directory' : this.input.launcher.recover ? this.input.launcher.recover(spec, this.port.clock) : 'the launcher cannot re-adopt processes'
    if (typeof proc === 'string') {
      this.port.log.warn({ task: taskId }, `cannot re-adopt the task's process: ${proc}`)
      this.exited(taskId, { kind: 'failed', error: `the agent could not learn the exit status: ${proc}` }, send)
      return
    }
    run.proc = proc
    let gone = false
    proc.onExit(exit => {
      gone = true
      send({ type: 'ProcessExited', taskId, exit })
    })
    this.port.log.info({ task: taskId, pid: proc.pid }, `re-adopted task ${taskId} (pid ${proc.pid}) after an agent restart${gone ? ': it has ended' : ''}`)
    // An update the dead agent never checkpointed is lost with it: say RUNNING again if it lives.
    if (!gone && (state === 'TASK_STAGING' || state === 'TASK_STARTING')) this.setState(run, 'TASK_RUNNING')
  }

  /** RunTask: Mesos's CommandExecutor::launch. */
  launch(body: ProtocolEvent<'RunTask'>['body'], send: Send): void {
    const info = body.task
    if (this.task) {
      this.sendStatus(info.task_id.value, 'TASK_FAILED', { message: 'Attempted to run multiple tasks using a "command" executor' })
      return
    }
    this.framework ??= body.framework
    const run: TaskRun = { info, state: 'TASK_STAGING', proc: undefined, killPolicy: info.kill_policy, killed: false, escalateAt: undefined, escalateTimer: undefined, terminalUuid: undefined }
    this.task = run
    this.setState(run, 'TASK_STARTING')
    const command = info.command
    if (!command?.value) {
      this.setState(run, 'TASK_FAILED', { message: `Task ${info.task_id.value} has no command to run`, reason: 'REASON_COMMAND_EXECUTOR_FAILED' })
      return
    }
    const shell = command.shell !== false
    const described = shell ? `/bin/sh -c ${JSON.stringify(command.value)}` : JSON.stringify([command.value, ...(command.arguments ?? []).slice(1)])
    try {
      run.proc = this.input.launcher.launch({
        containerId: this.input.containerId,
        sandbox: this.input.sandbox,
        metaDir: this.input.metaDir,
        command: { shell, value: command.value, arguments: command.arguments },
        env: this.environment(info),
        banner: [`mesos-ts command executor: starting task ${info.task_id.value}`, `Running ${described}`],
      })
    } catch (err) {
      const why = err instanceof LaunchError ? err.message : String(err)
      this.port.log.warn({ task: info.task_id.value }, `failed to launch task: ${why}`)
      this.setState(run, 'TASK_FAILED', { message: `Failed to launch the command: ${why}`, reason: 'REASON_COMMAND_EXECUTOR_FAILED' })
      return
    }
    this.port.log.info({ task: info.task_id.value, pid: run.proc.pid }, `forked command at ${run.proc.pid}`)
    this.setState(run, 'TASK_RUNNING')
    const taskId = info.task_id.value
    run.proc.onExit(exit => send({ type: 'ProcessExited', taskId, exit }))
  }

  /**
   * The task's environment, as Mesos's command executor builds it: the executor's environment
   * (MESOS_* from the agent, PATH), then the task's own variables, which win. Secrets are skipped
   * (no secret store). MESOS_TASK_ID is a mesos-ts addition (Mesos tasks read MESOS_EXECUTOR_ID,
   * which for a command task is the same id).
   */
  private environment(info: TaskInfo): Record<string, string> {
    const env: Record<string, string> = { PATH: HOST_DEFAULT_PATH, ...this.input.env, MESOS_TASK_ID: info.task_id.value }
    const role = info.resources?.[0]?.allocation_info?.role ?? this.framework?.roles?.[0] ?? this.framework?.role
    if (role !== undefined) env.MESOS_ALLOCATION_ROLE = role
    for (const v of info.command?.environment?.variables ?? []) {
      if (v.type === 'SECRET') continue
      env[v.name] = v.value ?? ''
    }
    return env
  }

  /** KillTask: Mesos's CommandExecutor::killTask/kill (the grace period can only shrink). */
  kill(taskId: string, override: KillPolicy | undefined, send: Send): void {
    const run = this.task
    if (!run || run.info.task_id.value !== taskId) {
      this.port.log.warn(`ignoring kill of unknown task ${taskId}`)
      return
    }
    if (isTerminalState(run.state) || !run.proc) return
    const graceNs = override?.grace_period?.nanoseconds ?? run.killPolicy?.grace_period?.nanoseconds
    this.killWithin(run, graceNs !== undefined ? Math.max(0, graceNs / 1e6) : this.input.killGracePeriodMs, send)
  }

  private killWithin(run: TaskRun, graceMs: number, send: Send): void {
    const clock = this.port.clock
    const now = this.port.now()
    if (run.killed) {
      if (run.escalateAt === undefined || now + graceMs >= run.escalateAt) return
      clock.clearTimeout(run.escalateTimer)
    } else {
      run.killed = true
      if ((this.framework?.capabilities ?? []).some(c => c.type === 'TASK_KILLING_STATE')) this.setState(run, 'TASK_KILLING')
      this.port.log.info({ task: run.info.task_id.value }, `sending SIGTERM to process group ${run.proc!.pgid}; SIGKILL in ${graceMs} ms`)
      run.proc!.terminate()
    }
    run.escalateAt = now + graceMs
    const taskId = run.info.task_id.value
    run.escalateTimer = clock.setTimeout(() => send({ type: 'Escalate', taskId }), graceMs)
  }

  escalate(taskId: string): void {
    const run = this.task
    if (!run || run.info.task_id.value !== taskId || isTerminalState(run.state) || !run.proc) return
    run.escalateAt = undefined
    run.escalateTimer = undefined
    this.port.log.warn({ task: taskId }, `process group ${run.proc.pgid} did not terminate within the grace period: sending SIGKILL`)
    run.proc.kill()
  }

  /** The command's process is gone: Mesos's CommandExecutor::reaped. */
  exited(taskId: string, exit: ProcessExit, send: Send): void {
    const run = this.task
    if (!run || run.info.task_id.value !== taskId || isTerminalState(run.state)) return
    if (run.escalateTimer !== undefined) this.port.clock.clearTimeout(run.escalateTimer)
    let state: TaskState
    let message: string
    if (exit.kind === 'failed') {
      state = 'TASK_FAILED'
      message = `Failed to get exit status for Command: ${exit.error}`
    } else {
      state = run.killed ? 'TASK_KILLED' : exit.kind === 'exited' && exit.code === 0 ? 'TASK_FINISHED' : 'TASK_FAILED'
      message = `Command ${describeExit(exit)}`
    }
    this.port.log.info({ task: taskId }, message)
    this.setState(run, state, { message })
    this.giveUpTimer = this.port.clock.setTimeout(() => send({ type: 'GiveUp' }), TERMINAL_ACK_TIMEOUT_MS)
  }

  acknowledged(uuid: string): void {
    this.unacknowledged.delete(uuid)
  }

  /** ShutdownExecutor: kill the task with what is left of the shutdown grace period. */
  shutdown(send: Send): void {
    this.shuttingDown = true
    const run = this.task
    if (!run || isTerminalState(run.state) || !run.proc) return
    // Mesos leaves a buffer so the forced kill and TASK_KILLED happen before the agent's deadline.
    this.killWithin(run, Math.max(0, this.input.shutdownGracePeriodMs - 2_000), send)
  }

  giveUp(): void {
    this.gaveUp = true
  }

  close(): void {
    const run = this.task
    if (run?.escalateTimer !== undefined) this.port.clock.clearTimeout(run.escalateTimer)
    if (this.giveUpTimer !== undefined) this.port.clock.clearTimeout(this.giveUpTimer)
  }
}

export const commandExecutorMachine = setup({
  types: {
    context: {} as { core: CommandExecutorCore },
    events: {} as CommandExecutorEvent,
    input: {} as CommandExecutorInput,
  },
  guards: {
    fromAgent: ({ context, event }) => 'from' in event && event.from === context.core.input.agentPid,
    finished: ({ context }) => context.core.finished,
  },
}).createMachine({
  id: 'command-executor',
  context: ({ input }) => ({ core: new CommandExecutorCore(input) }),
  initial: 'registering',
  on: {
    ShutdownExecutor: { guard: 'fromAgent', actions: ({ context, self }) => context.core.shutdown(e => self.send(e)) },
  },
  states: {
    registering: {
      entry: ({ context }) => context.core.register(),
      on: {
        ExecutorRegistered: { guard: 'fromAgent', target: 'registered', actions: ({ context, event }) => context.core.registered(event.body) },
        ExecutorReregistered: { guard: 'fromAgent', target: 'registered', actions: ({ context, self }) => context.core.adopt(e => self.send(e)) },
        ShutdownExecutor: { guard: 'fromAgent', target: 'done' },
      },
    },
    registered: {
      always: { guard: 'finished', target: 'done' },
      on: {
        RunTask: { guard: 'fromAgent', actions: ({ context, event, self }) => context.core.launch(event.body, e => self.send(e)) },
        RunTaskGroup: {
          guard: 'fromAgent',
          actions: ({ context, event }) => context.core.port.log.warn(`the command executor does not run task groups (${(event.body.task_group.tasks ?? []).length} tasks)`),
        },
        KillTask: { guard: 'fromAgent', actions: ({ context, event, self }) => context.core.kill(event.body.task_id.value, event.body.kill_policy, e => self.send(e)) },
        StatusUpdateAcknowledgement: { guard: 'fromAgent', actions: ({ context, event }) => context.core.acknowledged(event.body.uuid) },
        ProcessExited: { actions: ({ context, event, self }) => context.core.exited(event.taskId, event.exit, e => self.send(e)) },
        Escalate: { actions: ({ context, event }) => context.core.escalate(event.taskId) },
        GiveUp: { actions: ({ context }) => context.core.giveUp() },
      },
    },
    done: { type: 'final', entry: ({ context }) => context.core.close() },
  },
})
