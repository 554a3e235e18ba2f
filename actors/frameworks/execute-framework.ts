// The framework behind `mesos-ts execute` (Mesos's mesos-execute, src/cli/execute.cpp): run one
// command as K tasks, report their status updates, and end with an exit code. Built only on the
// public scheduler SDK.
//
// Differences from mesos-execute, on purpose: K instances (packed as many per offer as fit)
// instead of one task; an exit code that reflects the tasks (mesos-execute always exits 0);
// offers that cannot hold a task are declined with a filter rather than followed by SUPPRESS
// (the framework suppresses once every task is launched).
import { userInfo } from 'node:os'
import type { Pid, Runtime } from '../../runtime/index.js'
import { isTerminalState, type FrameworkInfo, type Offer, type TaskInfo, type TaskStatus } from '../protocol/index.js'
import { parseResources, ResourceParseError, type Resources } from '../resources/index.js'
import {
  connectScheduler,
  startScheduler,
  type DriverOutcome,
  type MasterDetector,
  type SchedulerCallbacks,
  type SchedulerDriver,
  type SchedulerOptions,
} from '../scheduler/index.js'
import { FrameworkInputError } from './errors.js'
import { offerResources, packTasks, resourcesJson } from './offer-packing.js'

/** mesos-execute's default --resources. */
export const DEFAULT_EXECUTE_RESOURCES = 'cpus:1;mem:128'
/** How long an offer that cannot hold a task stays away (Filters.refuse_seconds). */
export const DEFAULT_DECLINE_SECONDS = 5

export interface ExecuteOptions {
  /** The task's name; also its id (with `-<i>` appended when instances > 1). */
  name: string
  /** The command: a shell command line, or (shell: false) the executable. */
  command: string
  /** Per task, in Mesos's text form (default `cpus:1;mem:128`). */
  resources?: string
  /** How many tasks to run (default 1). */
  instances?: number
  /** Role to subscribe with (default `*`). */
  role?: string
  /** Environment variables of the command. */
  env?: Record<string, string>
  /** Run `command` through `/bin/sh -c` (default true); false runs it directly with `args`. */
  shell?: boolean
  /** Arguments (after argv[0]) when `shell` is false. */
  args?: string[]
  /** Kill each task this long after it reports TASK_RUNNING (mesos-execute --kill_after). */
  killAfterMs?: number
  /** The user tasks run as (default: this process's user). */
  user?: string
  /** The framework's name (default `mesos-ts execute: <name>`). */
  frameworkName?: string
  /** Ask agents to checkpoint the tasks (survive an agent restart). */
  checkpoint?: boolean
  /** refuse_seconds for declined offers and unused resources (default 5). */
  declineSeconds?: number
  /** Everything worth telling a person, as it happens (the CLI prints these). */
  onEvent?: (event: ExecuteEvent) => void
}

export type ExecuteEvent =
  | { type: 'subscribed'; frameworkId: string }
  | { type: 'launched'; taskId: string; agentId: string; hostname: string }
  | { type: 'update'; status: TaskStatus }
  | { type: 'killing'; taskId: string }
  | { type: 'disconnected' }
  | { type: 'error'; message: string }

export interface ExecuteResult {
  /** 0 if every task finished; else the first failed task's exit status when known; else 1. */
  exitCode: number
  /** The terminal status of each task, in task order. */
  statuses: TaskStatus[]
  frameworkId: string | undefined
  /** The master's Error message, if it ended the framework. */
  error?: string
}

interface Planned {
  readonly taskId: string
  status: TaskStatus | undefined
  agentId: string | undefined
  killTimer: unknown
}

/**
 * One run of `execute`: the FrameworkInfo and callbacks to start a driver with, and the result.
 * The constructor checks the options and throws FrameworkInputError before anything connects.
 */
export class ExecuteFramework {
  readonly framework: FrameworkInfo
  readonly callbacks: SchedulerCallbacks
  /** Settles once every task is terminal (and the framework torn down), or the master refused it. */
  readonly result: Promise<ExecuteResult>

  private readonly options: ExecuteOptions
  private readonly need: Resources
  private readonly role: string
  private readonly tasks: Planned[]
  /** Index of the next task to launch. */
  private next = 0
  /** Terminal statuses in the order they arrived (the first failure decides the exit code). */
  private readonly ended: TaskStatus[] = []
  private suppressed = false
  /** Set once every task is terminal. */
  private outcome: { exitCode: number } | undefined
  private finished = false
  private frameworkId: string | undefined
  private resolve!: (result: ExecuteResult) => void

  constructor(options: ExecuteOptions) {
    this.options = options
    this.need = checkOptions(options)
    this.role = options.role ?? '*'
    const instances = options.instances ?? 1
    this.tasks = Array.from({ length: instances }, (_, i) => ({
      taskId: instances === 1 ? options.name : `${options.name}-${i}`,
      status: undefined,
      agentId: undefined,
      killTimer: undefined,
    }))
    this.framework = {
      user: options.user ?? currentUser(),
      name: options.frameworkName ?? `mesos-ts execute: ${options.name}`,
      role: this.role,
      checkpoint: options.checkpoint ?? false,
    }
    this.result = new Promise(resolve => (this.resolve = resolve))
    this.callbacks = {
      subscribed: (driver, frameworkId, _master, info) => {
        this.frameworkId = frameworkId.value
        this.emit({ type: 'subscribed', frameworkId: frameworkId.value })
        // Updates sent while we were away are retried by the agents, but a task can also have
        // been lost with its agent: ask about every launched task that is not known to be done.
        if (info.resubscribed) {
          const open = this.tasks.slice(0, this.next).filter(t => t.status === undefined || !isTerminalState(t.status.state))
          if (open.length > 0) driver.reconcile(open.map(t => ({ task_id: { value: t.taskId }, ...(t.agentId ? { agent_id: { value: t.agentId } } : {}) })))
        }
      },
      offers: (driver, offers) => this.onOffers(driver, offers),
      update: (driver, status) => this.onUpdate(driver, status),
      disconnected: () => this.emit({ type: 'disconnected' }),
      error: (_driver, message) => {
        this.emit({ type: 'error', message })
        this.finish({ exitCode: 1, error: message })
      },
    }
  }

  private onOffers(driver: SchedulerDriver, offers: Offer[]): void {
    const filters = { refuse_seconds: this.options.declineSeconds ?? DEFAULT_DECLINE_SECONDS }
    for (const offer of offers) {
      const wanted = this.tasks.length - this.next
      if (wanted === 0 || this.finished) {
        driver.decline(offer, filters)
        continue
      }
      let available: Resources
      try {
        available = offerResources(offer)
      } catch (err) {
        driver.log.warn({ offer: offer.id.value, err }, 'declining an offer whose resources do not parse')
        driver.decline(offer, filters)
        continue
      }
      const role = offer.allocation_info?.role ?? this.role
      const { pieces } = packTasks(available, this.need, role, wanted)
      if (pieces.length === 0) {
        driver.decline(offer, filters)
        continue
      }
      const infos = pieces.map(resources => this.taskInfo(offer, resources))
      driver.launch(offer, infos, filters)
      for (const info of infos) this.emit({ type: 'launched', taskId: info.task_id.value, agentId: offer.agent_id.value, hostname: offer.hostname })
    }
    if (this.next === this.tasks.length && !this.suppressed) {
      this.suppressed = true
      driver.suppress()
    }
  }

  private taskInfo(offer: Offer, resources: Resources): TaskInfo {
    const planned = this.tasks[this.next++]!
    planned.agentId = offer.agent_id.value
    const o = this.options
    const command: TaskInfo['command'] =
      o.shell === false ? { shell: false, value: o.command, arguments: [o.command, ...(o.args ?? [])] } : { shell: true, value: o.command }
    if (o.env && Object.keys(o.env).length > 0) {
      command.environment = { variables: Object.entries(o.env).map(([name, value]) => ({ name, type: 'VALUE' as const, value })) }
    }
    return {
      name: o.name,
      task_id: { value: planned.taskId },
      agent_id: offer.agent_id,
      resources: resourcesJson(resources),
      command,
    }
  }

  private onUpdate(driver: SchedulerDriver, status: TaskStatus): void {
    this.emit({ type: 'update', status })
    const planned = this.tasks.find(t => t.taskId === status.task_id.value)
    if (!planned || (planned.status && isTerminalState(planned.status.state))) return
    planned.status = status
    if (status.agent_id) planned.agentId = status.agent_id.value
    const killAfter = this.options.killAfterMs
    if (killAfter !== undefined && status.state === 'TASK_RUNNING' && planned.killTimer === undefined) {
      planned.killTimer = driver.clock.setTimeout(() => {
        if (this.finished || (planned.status && isTerminalState(planned.status.state))) return
        this.emit({ type: 'killing', taskId: planned.taskId })
        driver.kill(planned.taskId, planned.agentId)
      }, killAfter)
    }
    if (!isTerminalState(status.state)) return
    if (planned.killTimer !== undefined) driver.clock.clearTimeout(planned.killTimer)
    this.ended.push(status)
    if (this.ended.length < this.tasks.length) return
    const failed = this.ended.find(s => s.state !== 'TASK_FINISHED')
    this.outcome = { exitCode: failed ? exitCodeOf(failed) : 0 }
    // Every task is done: tear the framework down, then report.
    void driver.stop({ failover: false }).then(() => this.finish(this.outcome!))
  }

  /**
   * Tells the run that its driver has ended: if tasks were still running (the driver was stopped
   * from outside, or its runtime closed), the result settles now with exit code 1.
   */
  driverEnded(outcome: DriverOutcome): void {
    this.finish(this.outcome ?? { exitCode: 1, error: outcome.message ?? `the scheduler ${outcome.status} before every task ended` })
  }

  private finish(result: { exitCode: number; error?: string }): void {
    if (this.finished) return
    this.finished = true
    const statuses = this.tasks.map(t => t.status).filter((s): s is TaskStatus => s !== undefined)
    this.resolve({ ...result, statuses, frameworkId: this.frameworkId })
  }

  private emit(event: ExecuteEvent): void {
    this.options.onEvent?.(event)
  }
}

/**
 * The exit code a failed task reports: Mesos's command executor says `Command exited with
 * status N` (src/launcher/executor.cpp, WSTRINGIFY). Anything else, or a status of 0 on a task
 * that did not finish, is 1.
 */
export function exitCodeOf(status: TaskStatus): number {
  if (status.state === 'TASK_FINISHED') return 0
  const m = /exited with status (\d+)/.exec(status.message ?? '')
  const code = m ? Number(m[1]) : 0
  return code > 0 && code < 256 ? code : 1
}

/** mesos-execute's report of one update, as lines for a person. */
export function describeUpdate(status: TaskStatus): string[] {
  const lines = [`Received status update ${status.state} for task '${status.task_id.value}'`]
  if (status.message !== undefined) lines.push(`  message: '${status.message}'`)
  if (status.source !== undefined) lines.push(`  source: ${status.source}`)
  if (status.reason !== undefined) lines.push(`  reason: ${status.reason}`)
  if (status.healthy !== undefined) lines.push(`  healthy?: ${status.healthy}`)
  return lines
}

function checkOptions(o: ExecuteOptions): Resources {
  if (typeof o.name !== 'string' || o.name.trim() === '') throw new FrameworkInputError('name', 'is required (it names the task)')
  if (/[/\s]/.test(o.name) || o.name === '.' || o.name === '..') {
    throw new FrameworkInputError('name', `'${o.name}' cannot be a task id: no '/', whitespace, '.' or '..'`)
  }
  if (typeof o.command !== 'string' || o.command.trim() === '') throw new FrameworkInputError('command', 'is required and must not be empty')
  const instances = o.instances ?? 1
  if (!Number.isSafeInteger(instances) || instances <= 0) throw new FrameworkInputError('instances', `must be a positive integer, got ${instances}`)
  if (o.killAfterMs !== undefined && !(Number.isFinite(o.killAfterMs) && o.killAfterMs > 0)) {
    throw new FrameworkInputError('kill_after', `must be a positive duration, got ${o.killAfterMs} ms`)
  }
  if (o.declineSeconds !== undefined && !(Number.isFinite(o.declineSeconds) && o.declineSeconds >= 0)) {
    throw new FrameworkInputError('declineSeconds', `must be a non-negative number, got ${o.declineSeconds}`)
  }
  for (const key of Object.keys(o.env ?? {})) if (key === '' || key.includes('=')) throw new FrameworkInputError('env', `'${key}' is not a variable name`)
  return parseTaskResources(o.resources ?? DEFAULT_EXECUTE_RESOURCES, 'resources')
}

/** Parses per-task resources: Mesos's text form, non-empty. */
export function parseTaskResources(text: string, option: string): Resources {
  let need: Resources
  try {
    need = parseResources(text)
  } catch (err) {
    if (err instanceof ResourceParseError) throw new FrameworkInputError(option, err.message)
    throw err
  }
  if (need.isEmpty()) throw new FrameworkInputError(option, `'${text}' names no resources (e.g. cpus:1;mem:128)`)
  return need
}

/** This process's user, the default FrameworkInfo.user. */
export function currentUser(): string {
  try {
    return userInfo().username
  } catch {
    return process.env.USER ?? 'root'
  }
}

/** Where the master is and how to reach it: a runtime of the caller's, or NATS. */
export type ExecuteConnection = ({ runtime: Runtime } | { nats: string | string[]; prefix?: string }) &
  ({ masterPid: Pid; detector?: undefined } | { detector: MasterDetector; masterPid?: undefined }) & { schedulerOptions?: SchedulerOptions }

/**
 * Runs `execute` to the end: checks the options (FrameworkInputError before subscribing), starts
 * a driver, and resolves with the result once every task is terminal.
 */
export async function runExecute(options: ExecuteOptions, connection: ExecuteConnection): Promise<ExecuteResult> {
  const run = new ExecuteFramework(options)
  const location = connection.detector ? { detector: connection.detector } : { masterPid: connection.masterPid! }
  const common = { ...location, framework: run.framework, callbacks: run.callbacks, options: connection.schedulerOptions }
  const driver =
    'runtime' in connection
      ? startScheduler({ ...common, runtime: connection.runtime })
      : await connectScheduler({ ...common, nats: connection.nats, prefix: connection.prefix })
  void driver.done.then(outcome => run.driverEnded(outcome))
  const result = await run.result
  await driver.done
  return result
}
