// The EMULATED executor, for benchmarks and simulation only (`--executor=emulated`): no process
// is started and no sandbox written. One actor per agent hosts every emulated executor of that
// agent (an actor per task would cost more than the 100,000-task benchmarks can afford), and
// speaks the executor protocol for each of them: RegisterExecutor, StatusUpdate, acks.
//
// A task "runs" for the number of milliseconds in its label `emulated_duration_ms` (absent or
// invalid: it finishes at once), on the runtime's clock, then reports TASK_FINISHED, or
// TASK_FAILED with "Command exited with status N" if its label `emulated_exit_code` is a non-zero
// integer. It reports TASK_RUNNING at launch (no TASK_STARTING: one message fewer per task).
// KillTask ends it at once with TASK_KILLED. Task groups run every task of the group.
import { setup } from 'xstate'
import type { ActorPort, Pid } from '../../runtime/index.js'
import { newStatusUuid, type RandomSource } from '../agent/index.js'
import type { ProtocolEvent, StatusUpdate, TaskInfo, TaskState, TaskStatus } from '../protocol/index.js'

export const EMULATED_DURATION_LABEL = 'emulated_duration_ms'
export const EMULATED_EXIT_CODE_LABEL = 'emulated_exit_code'

export interface EmulatedExecutorHostInput {
  port: ActorPort
  agentPid: Pid
  agentId: string
  random?: RandomSource
}

/** Local (in-process) event: start hosting one executor; it registers with the agent. */
export interface HostExecutorEvent {
  type: 'HostExecutor'
  frameworkId: string
  executorId: string
  containerId: string
}

interface TaskDoneEvent {
  type: 'EmulatedTaskDone'
  frameworkId: string
  taskId: string
}

export type EmulatedExecutorEvent =
  | HostExecutorEvent
  | TaskDoneEvent
  | ProtocolEvent<'ExecutorRegistered'>
  | ProtocolEvent<'RunTask'>
  | ProtocolEvent<'RunTaskGroup'>
  | ProtocolEvent<'KillTask'>
  | ProtocolEvent<'StatusUpdateAcknowledgement'>
  | ProtocolEvent<'ShutdownExecutor'>
  | ProtocolEvent<'FrameworkToExecutorMessage'>

interface EmulatedTask {
  readonly taskId: string
  readonly executorId: string
  readonly exitCode: number
  timer: unknown
}

function label(task: TaskInfo, key: string): string | undefined {
  for (const l of task.labels?.labels ?? []) if (l.key === key) return l.value
  return undefined
}

const taskKey = (frameworkId: string, taskId: string): string => `${frameworkId}\u0000${taskId}`

/** All emulated executors of one agent and their running tasks. */
export class EmulatedExecutorHost {
  readonly port: ActorPort
  readonly input: EmulatedExecutorHostInput
  private readonly random: RandomSource
  /** executor key (fw + executor id) -> container id */
  private readonly executors = new Map<string, string>()
  private readonly tasks = new Map<string, EmulatedTask>()

  constructor(input: EmulatedExecutorHostInput) {
    this.input = input
    this.port = input.port
    this.random = input.random ?? Math.random
  }

  get taskCount(): number {
    return this.tasks.size
  }

  get executorCount(): number {
    return this.executors.size
  }

  host(e: HostExecutorEvent): void {
    this.executors.set(taskKey(e.frameworkId, e.executorId), e.containerId)
    this.port.send(this.input.agentPid, 'RegisterExecutor', { framework_id: { value: e.frameworkId }, executor_id: { value: e.executorId } })
  }

  run(frameworkId: string, task: TaskInfo, send: (e: TaskDoneEvent) => void): void {
    const taskId = task.task_id.value
    const executorId = task.executor?.executor_id.value ?? taskId
    const duration = Number(label(task, EMULATED_DURATION_LABEL) ?? 0)
    const code = Number(label(task, EMULATED_EXIT_CODE_LABEL) ?? 0)
    const t: EmulatedTask = { taskId, executorId, exitCode: Number.isInteger(code) ? code : 0, timer: undefined }
    this.tasks.set(taskKey(frameworkId, taskId), t)
    this.status(frameworkId, t, 'TASK_RUNNING')
    const ms = Number.isFinite(duration) && duration > 0 ? duration : 0
    t.timer = this.port.clock.setTimeout(() => send({ type: 'EmulatedTaskDone', frameworkId, taskId }), ms)
  }

  done(frameworkId: string, taskId: string): void {
    const k = taskKey(frameworkId, taskId)
    const t = this.tasks.get(k)
    if (!t) return
    this.tasks.delete(k)
    if (t.exitCode === 0) this.status(frameworkId, t, 'TASK_FINISHED', 'Command exited with status 0')
    else this.status(frameworkId, t, 'TASK_FAILED', `Command exited with status ${t.exitCode}`)
  }

  kill(frameworkId: string, taskId: string): void {
    const k = taskKey(frameworkId, taskId)
    const t = this.tasks.get(k)
    if (!t) return
    this.tasks.delete(k)
    this.port.clock.clearTimeout(t.timer)
    this.status(frameworkId, t, 'TASK_KILLED', 'Command terminated with signal Terminated')
  }

  /** ShutdownExecutor: its remaining tasks are killed and it is forgotten. */
  shutdown(frameworkId: string | undefined, executorId: string | undefined): void {
    for (const [k, t] of this.tasks) {
      if ((frameworkId === undefined || k.startsWith(`${frameworkId}\u0000`)) && (executorId === undefined || t.executorId === executorId)) {
        this.kill(k.slice(0, k.indexOf('\u0000')), t.taskId)
      }
    }
    if (frameworkId !== undefined && executorId !== undefined) this.executors.delete(taskKey(frameworkId, executorId))
  }

  private status(frameworkId: string, t: EmulatedTask, state: TaskState, message?: string): void {
    const agentId = { value: this.input.agentId }
    const executorId = { value: t.executorId }
    const uuid = newStatusUuid(this.random)
    const timestamp = this.port.now() / 1000
    const status: TaskStatus = { task_id: { value: t.taskId }, state, source: 'SOURCE_EXECUTOR', agent_id: agentId, executor_id: executorId, uuid, timestamp }
    if (message !== undefined) status.message = message
    const update: StatusUpdate = { framework_id: { value: frameworkId }, executor_id: executorId, agent_id: agentId, status, timestamp, uuid }
    this.port.send(this.input.agentPid, 'StatusUpdate', { update, pid: this.port.self })
  }

  close(): void {
    for (const t of this.tasks.values()) this.port.clock.clearTimeout(t.timer)
    this.tasks.clear()
  }
}

export const emulatedExecutorHostMachine = setup({
  types: {
    context: {} as { host: EmulatedExecutorHost },
    events: {} as EmulatedExecutorEvent,
    input: {} as EmulatedExecutorHostInput,
  },
  guards: {
    fromAgent: ({ context, event }) => 'from' in event && event.from === context.host.input.agentPid,
  },
}).createMachine({
  id: 'emulated-executors',
  context: ({ input }) => ({ host: new EmulatedExecutorHost(input) }),
  on: {
    HostExecutor: { actions: ({ context, event }) => context.host.host(event) },
    ExecutorRegistered: {},
    RunTask: { guard: 'fromAgent', actions: ({ context, event, self }) => context.host.run(event.body.framework_id.value, event.body.task, e => self.send(e)) },
    RunTaskGroup: {
      guard: 'fromAgent',
      actions: ({ context, event, self }) => {
        for (const task of event.body.task_group.tasks ?? []) context.host.run(event.body.framework_id.value, { ...task, executor: event.body.executor }, e => self.send(e))
      },
    },
    EmulatedTaskDone: { actions: ({ context, event }) => context.host.done(event.frameworkId, event.taskId) },
    KillTask: { guard: 'fromAgent', actions: ({ context, event }) => context.host.kill(event.body.framework_id.value, event.body.task_id.value) },
    StatusUpdateAcknowledgement: {},
    ShutdownExecutor: { guard: 'fromAgent', actions: ({ context, event }) => context.host.shutdown(event.body.framework_id?.value, event.body.executor_id?.value) },
    FrameworkToExecutorMessage: {},
  },
})
