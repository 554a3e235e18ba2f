// The frameworks of a simulation: BusyFramework-like schedulers built only on the public SDK,
// launching short emulated tasks (and now and then a task group) on every offer, killing one
// now and then, and keeping their own record of every task they launched. That record outlives
// the scheduler: a crashed scheduler fails over to a new instance with the same framework id and
// the same record, as a real framework that keeps its state in a store would. The invariants
// read it as "the framework's view".
import { Prng, type Pid, type Runtime } from '../../runtime/index.js'
import { isTerminalState, type FrameworkInfo, type Offer, type TaskInfo, type TaskState, type TaskStatus } from '../../actors/protocol/index.js'
import { parseResources, type Resources } from '../../actors/resources/index.js'
import { offerResources, packTasks, resourcesJson } from '../../actors/frameworks/index.js'
import { EMULATED_DURATION_LABEL, EMULATED_EXIT_CODE_LABEL } from '../../actors/executor/index.js'
import { startScheduler, type MasterDetector, type SchedulerCallbacks, type SchedulerDriver, type SchedulerOptions } from '../../actors/scheduler/index.js'

/** One task as the framework knows it. */
export interface FrameworkTask {
  readonly id: string
  readonly agentId: string
  readonly launchedAt: number
  readonly durationMs: number
  /** The executor of a task group's task (DEFAULT executor), else undefined. */
  readonly executorId: string | undefined
  /** The latest state the framework heard; undefined until the first update. */
  state: TaskState | undefined
  /** Every state heard, in order, with when. */
  readonly history: Array<{ at: number; state: TaskState; uuid: boolean; reason?: string }>
}

/** A breach of the framework's own expectations, seen as it happened (read by the invariants). */
export interface FrameworkObservation {
  readonly at: number
  readonly framework: string
  readonly taskId: string
  readonly message: string
}

export interface SimFrameworkOptions {
  name: string
  partitionAware: boolean
  /** FrameworkInfo.checkpoint: agents checkpoint its tasks, which survive an agent restart. */
  checkpoint: boolean
  /** Seeds everything this framework decides (task sizes, durations, kills). */
  random: Prng
  failoverTimeoutSeconds: number
  maxRunning: number
}

export interface SimFrameworkStats {
  launched: number
  groups: number
  updates: number
  duplicates: number
  declined: number
  kills: number
  subscriptions: number
  failovers: number
}

export class SimFramework {
  readonly name: string
  readonly partitionAware: boolean
  readonly checkpoint: boolean
  readonly tasks = new Map<string, FrameworkTask>()
  /** Uuids of every status update the framework's update callback received. */
  readonly seenUuids = new Set<string>()
  readonly observations: FrameworkObservation[] = []
  readonly stats: SimFrameworkStats = { launched: 0, groups: 0, updates: 0, duplicates: 0, declined: 0, kills: 0, subscriptions: 0, failovers: 0 }
  frameworkId: string | undefined
  driver: SchedulerDriver | undefined
  /** Instances started so far: the scheduler's pid name carries it, as a new process would. */
  generation = 0
  /** The master's Error message, once the master ended this framework. */
  aborted: string | undefined
  /** Settling: no new tasks, every offer declined. */
  draining = false
  private readonly random: Prng
  private readonly options: SimFrameworkOptions
  private readonly taskSize: Resources
  private seq = 0
  /** Ids of the tasks whose latest known state is not terminal. */
  private readonly open = new Set<string>()

  constructor(options: SimFrameworkOptions) {
    this.options = options
    this.name = options.name
    this.partitionAware = options.partitionAware
    this.checkpoint = options.checkpoint
    this.random = options.random
    const cpus = this.random.pick([0.5, 1, 1.5])
    const mem = this.random.pick([128, 256, 512])
    this.taskSize = parseResources(`cpus:${cpus};mem:${mem}`)
  }

  get running(): boolean {
    return this.driver !== undefined
  }

  /** Tasks launched whose latest known state is not terminal. */
  activeTasks(): FrameworkTask[] {
    return [...this.open].map(id => this.tasks.get(id)!)
  }

  frameworkInfo(): FrameworkInfo {
    const info: FrameworkInfo = {
      user: 'sim',
      name: this.name,
      role: '*',
      failover_timeout: this.options.failoverTimeoutSeconds,
      capabilities: this.partitionAware ? [{ type: 'PARTITION_AWARE' }] : [],
      checkpoint: this.checkpoint,
    }
    if (this.frameworkId !== undefined) info.id = { value: this.frameworkId }
    return info
  }

  /** Starts a scheduler instance on `runtime`: the first, or a failover with the framework id. */
  start(runtime: Runtime, detector: MasterDetector, options: Omit<SchedulerOptions, 'random'>): SchedulerDriver {
    this.generation++
    if (this.generation > 1) this.stats.failovers++
    const jitter = new Prng(this.random.int(1, 2 ** 31))
    this.driver = startScheduler({
      runtime,
      detector,
      framework: this.frameworkInfo(),
      callbacks: this.callbacks(),
      id: `${this.name}-g${this.generation}`,
      options: { ...options, random: () => jitter.next() },
    })
    return this.driver
  }

  /** The scheduler's process is gone (its runtime was crashed by the world). */
  crashed(): void {
    this.driver = undefined
  }

  /** Explicit reconciliation of every task not known terminal, then implicit (Mesos's advice). */
  reconcile(): void {
    const driver = this.driver
    if (!driver || driver.state !== 'subscribed') return
    const open = this.activeTasks()
    if (open.length > 0) driver.reconcile(open.map(t => ({ task_id: { value: t.id }, agent_id: { value: t.agentId } })))
    driver.reconcile()
  }

  /** Now and then a framework kills one of its tasks (the harness calls this between steps). */
  maybeKill(): void {
    const driver = this.driver
    if (!driver || driver.state !== 'subscribed' || this.draining || !this.random.chance(0.05)) return
    const open = this.activeTasks()
    if (open.length === 0) return
    const task = this.random.pick(open)
    this.stats.kills++
    driver.kill(task.id, task.agentId)
  }

  private callbacks(): SchedulerCallbacks {
    return {
      subscribed: (_driver, frameworkId, _master, info) => {
        this.stats.subscriptions++
        this.frameworkId = frameworkId.value
        // After a reconnection or a failover, updates may have been missed: ask.
        if (info.resubscribed || this.generation > 1) this.reconcile()
      },
      offers: (driver, offers) => this.onOffers(driver, offers),
      update: (driver, status) => this.onUpdate(driver, status),
      error: (_driver, message) => {
        this.aborted = message
      },
    }
  }

  private onOffers(driver: SchedulerDriver, offers: Offer[]): void {
    for (const offer of offers) {
      const room = this.options.maxRunning - this.open.size
      if (this.draining || this.aborted !== undefined || room <= 0 || this.random.chance(0.15)) {
        this.stats.declined++
        driver.decline(offer, { refuse_seconds: this.draining ? 30 : this.random.pick([0.5, 1, 2]) })
        continue
      }
      let pieces: Resources[]
      try {
        pieces = packTasks(offerResources(offer), this.taskSize, offer.allocation_info?.role ?? '*', Math.min(room, this.random.int(1, 3))).pieces
      } catch {
        pieces = []
      }
      if (pieces.length === 0) {
        this.stats.declined++
        driver.decline(offer, { refuse_seconds: 1 })
        continue
      }
      if (pieces.length >= 2 && this.random.chance(0.25)) this.launchGroup(driver, offer, pieces)
      else this.launchTasks(driver, offer, pieces)
    }
  }

  private newTask(offer: Offer, resources: Resources, executorId: string | undefined): TaskInfo {
    const id = `${this.name}-${this.seq++}`
    const durationMs = this.random.int(300, 8_000)
    const exitCode = this.random.chance(0.1) ? 1 : 0
    this.open.add(id)
    this.tasks.set(id, { id, agentId: offer.agent_id.value, launchedAt: driverNow(this.driver), durationMs, executorId, state: undefined, history: [] })
    this.stats.launched++
    return {
      name: id,
      task_id: { value: id },
      agent_id: offer.agent_id,
      resources: resourcesJson(resources),
      command: { shell: true, value: 'emulated' },
      labels: {
        labels: [
          { key: EMULATED_DURATION_LABEL, value: String(durationMs) },
          { key: EMULATED_EXIT_CODE_LABEL, value: String(exitCode) },
        ],
      },
    }
  }

  private launchTasks(driver: SchedulerDriver, offer: Offer, pieces: Resources[]): void {
    const tasks = pieces.map(p => this.newTask(offer, p, undefined))
    driver.launch(offer, tasks, { refuse_seconds: 1 })
  }

  private launchGroup(driver: SchedulerDriver, offer: Offer, pieces: Resources[]): void {
    const executorId = `${this.name}-ex-${this.seq}`
    const tasks = pieces.map(p => {
      const task = this.newTask(offer, p, executorId)
      delete task.command
      return task
    })
    this.stats.groups++
    driver.launchGroup(offer, { type: 'DEFAULT', executor_id: { value: executorId }, framework_id: { value: this.frameworkId ?? '' } }, tasks, { refuse_seconds: 1 })
  }

  private onUpdate(driver: SchedulerDriver, status: TaskStatus): void {
    this.stats.updates++
    const now = driver.clock.now()
    if (status.uuid) {
      if (this.seenUuids.has(status.uuid)) this.stats.duplicates++
      this.seenUuids.add(status.uuid)
    }
    const task = this.tasks.get(status.task_id.value)
    if (!task) {
      this.observe(now, status.task_id.value, `update ${status.state} for a task this framework never launched`)
      return
    }
    const before = task.state
    const last = task.history.at(-1)
    // Mesos: TASK_LOST may be followed by the task's real state once its agent is back (that is
    // why PARTITION_AWARE exists); any other terminal state is final.
    if (before !== undefined && isTerminalState(before) && before !== 'TASK_LOST' && !isTerminalState(status.state)) {
      this.observe(now, task.id, `went from ${before} (${last?.reason ?? '-'}) back to ${status.state} (${status.source ?? '?'}, ${status.reason ?? '-'})`)
    }
    task.state = status.state
    if (isTerminalState(status.state)) this.open.delete(task.id)
    else this.open.add(task.id)
    const entry: FrameworkTask['history'][number] = { at: now, state: status.state, uuid: Boolean(status.uuid) }
    if (status.reason) entry.reason = status.reason
    task.history.push(entry)
  }

  private observe(at: number, taskId: string, message: string): void {
    this.observations.push({ at, framework: this.name, taskId, message })
  }
}

function driverNow(driver: SchedulerDriver | undefined): number {
  return driver?.clock.now() ?? 0
}
