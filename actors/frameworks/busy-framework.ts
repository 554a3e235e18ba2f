// A framework that is never satisfied: it fills every offer with fixed-size tasks (by default
// `sleep 10`) and launches more as they end. Two of them with different task sizes should
// settle at their DRF shares, which is what the DRF integration test and the benchmarks watch.
// Built only on the public scheduler SDK.
import { isTerminalState, type FrameworkInfo, type Offer, type TaskStatus } from '../protocol/index.js'
import { Resources } from '../resources/index.js'
import type { SchedulerCallbacks, SchedulerDriver } from '../scheduler/index.js'
import { FrameworkInputError } from './errors.js'
import { currentUser, parseTaskResources } from './execute-framework.js'
import { offerResources, packTasks, resourcesJson } from './offer-packing.js'

export interface BusyOptions {
  /** The framework's name; tasks are `<name>-<n>`. */
  name: string
  /** Each task's resources, Mesos's text form (`cpus:1;mem:128`). */
  taskResources: string
  /** What each task runs (default `sleep 10`). */
  command?: string
  /** Role to subscribe with (default `*`). */
  role?: string
  /** The user tasks run as (default: this process's user). */
  user?: string
  /** At most this many tasks at once (default: no limit). */
  maxRunning?: number
  /**
   * At most this many tasks from one offer (default: as many as fit). One per offer makes the
   * allocator's DRF order decide every task, as in the DRF paper's example.
   */
  tasksPerOffer?: number
  /** refuse_seconds for offers it cannot use (default 1: it wants more as soon as tasks end). */
  declineSeconds?: number
}

export interface BusyStats {
  launched: number
  finished: number
  /** Terminal in any state but TASK_FINISHED. */
  failed: number
  /** Offers declined whole. */
  declined: number
}

/** The callbacks and FrameworkInfo of one busy framework, and what it holds now. */
export class BusyFramework {
  readonly framework: FrameworkInfo
  readonly callbacks: SchedulerCallbacks
  readonly stats: BusyStats = { launched: 0, finished: 0, failed: 0, declined: 0 }

  private readonly options: BusyOptions
  private readonly need: Resources
  private readonly role: string
  private readonly maxRunning: number
  /** Launched and not yet terminal: task id -> its resources and agent. */
  private readonly active = new Map<string, { resources: Resources; agentId: string }>()
  private seq = 0

  constructor(options: BusyOptions) {
    if (typeof options.name !== 'string' || options.name.trim() === '' || /[/\s]/.test(options.name)) {
      throw new FrameworkInputError('name', `'${options.name}' must be non-empty, without '/' or whitespace`)
    }
    if (options.command !== undefined && options.command.trim() === '') throw new FrameworkInputError('command', 'must not be empty')
    const max = options.maxRunning ?? Infinity
    if (!(max > 0) || (Number.isFinite(max) && !Number.isSafeInteger(max))) throw new FrameworkInputError('maxRunning', `must be a positive integer, got ${max}`)
    const perOffer = options.tasksPerOffer ?? Infinity
    if (!(perOffer > 0) || (Number.isFinite(perOffer) && !Number.isSafeInteger(perOffer))) {
      throw new FrameworkInputError('tasksPerOffer', `must be a positive integer, got ${perOffer}`)
    }
    this.options = options
    this.need = parseTaskResources(options.taskResources, 'taskResources')
    this.role = options.role ?? '*'
    this.maxRunning = max
    this.framework = { user: options.user ?? currentUser(), name: options.name, role: this.role }
    this.callbacks = {
      subscribed: (driver, _id, _master, info) => {
        if (info.resubscribed && this.active.size > 0) {
          driver.reconcile([...this.active].map(([task, a]) => ({ task_id: { value: task }, agent_id: { value: a.agentId } })))
        }
      },
      offers: (driver, offers) => this.onOffers(driver, offers),
      update: (_driver, status) => this.onUpdate(status),
    }
  }

  /** Tasks launched and not yet terminal. */
  get running(): number {
    return this.active.size
  }

  /** The resources of those tasks: what the framework holds now. */
  inUse(): Resources {
    let sum = Resources.EMPTY
    for (const a of this.active.values()) sum = sum.add(a.resources)
    return sum
  }

  private onOffers(driver: SchedulerDriver, offers: Offer[]): void {
    const filters = { refuse_seconds: this.options.declineSeconds ?? 1 }
    for (const offer of offers) {
      const room = Math.min(this.maxRunning - this.active.size, this.options.tasksPerOffer ?? Infinity)
      let pieces: Resources[] = []
      if (room > 0) {
        try {
          pieces = packTasks(offerResources(offer), this.need, offer.allocation_info?.role ?? this.role, room).pieces
        } catch (err) {
          driver.log.warn({ offer: offer.id.value, err }, 'declining an offer whose resources do not parse')
        }
      }
      if (pieces.length === 0) {
        this.stats.declined++
        driver.decline(offer, filters)
        continue
      }
      const tasks = pieces.map(resources => {
        const taskId = `${this.options.name}-${this.seq++}`
        this.active.set(taskId, { resources, agentId: offer.agent_id.value })
        return {
          name: taskId,
          task_id: { value: taskId },
          agent_id: offer.agent_id,
          resources: resourcesJson(resources),
          command: { shell: true, value: this.options.command ?? 'sleep 10' },
        }
      })
      this.stats.launched += tasks.length
      driver.launch(offer, tasks, filters)
    }
  }

  private onUpdate(status: TaskStatus): void {
    if (!isTerminalState(status.state) || !this.active.delete(status.task_id.value)) return
    if (status.state === 'TASK_FINISHED') this.stats.finished++
    else this.stats.failed++
  }
}

