// The framework of the launch benchmark: launches its share of short tasks from every offer
// until it has launched them all, then declines and suppresses; counts terminal updates.
import { fromJson, parseResources, toJson, type Resources } from '../../actors/resources/index.js'
import type { SchedulerCallbacks, SchedulerDriver } from '../../actors/scheduler/index.js'
import type { FrameworkInfo, Offer, TaskInfo } from '../../actors/protocol/index.js'
import { EMULATED_DURATION_LABEL } from '../../actors/executor/index.js'

export class LaunchFramework {
  readonly framework: FrameworkInfo
  readonly callbacks: SchedulerCallbacks
  launched = 0
  finished = 0
  running = 0
  failed = 0
  private readonly task: Resources
  private readonly taskJson: ReturnType<typeof toJson>
  private readonly seen = new Set<string>()
  private onDone?: () => void
  private onAllRunning?: () => void

  constructor(
    readonly name: string,
    readonly total: number,
    readonly durationMs: number,
    taskResources = 'cpus:0.1;mem:32',
  ) {
    this.task = parseResources(taskResources)
    this.taskJson = toJson(this.task)
    this.framework = { user: 'bench', name, failover_timeout: 0 }
    this.callbacks = {
      offers: (driver, offers) => this.onOffers(driver, offers),
      update: (_driver, status) => {
        // Updates can arrive twice (an agent re-sends what was not acknowledged in time): count
        // each task's state once.
        const key = `${status.task_id.value}/${status.state}`
        if (this.seen.has(key)) return
        this.seen.add(key)
        if (status.state === 'TASK_RUNNING') {
          if (++this.running === this.total) this.onAllRunning?.()
        } else if (status.state === 'TASK_FINISHED') {
          this.seen.delete(`${status.task_id.value}/TASK_RUNNING`)
          if (++this.finished === this.total) this.onDone?.()
        } else if (status.state !== 'TASK_STARTING') {
          this.failed++
        }
      },
    }
  }

  /** Resolves once every task has reported TASK_FINISHED. */
  done(): Promise<void> {
    return this.finished === this.total ? Promise.resolve() : new Promise(r => (this.onDone = r))
  }

  allRunning(): Promise<void> {
    return this.running >= this.total ? Promise.resolve() : new Promise(r => (this.onAllRunning = r))
  }

  private onOffers(driver: SchedulerDriver, offers: Offer[]): void {
    for (const offer of offers) {
      const left = this.total - this.launched
      if (left <= 0) {
        driver.decline(offer, { refuse_seconds: 3600 })
        continue
      }
      let available = fromJson(offer.resources ?? [])
      const tasks: TaskInfo[] = []
      const role = offer.allocation_info?.role ?? '*'
      const need = this.task.allocate(role)
      while (tasks.length < left && available.contains(need)) {
        available = available.subtract(need)
        const id = `${this.name}-${this.launched + tasks.length}`
        tasks.push({
          name: id,
          task_id: { value: id },
          agent_id: offer.agent_id,
          resources: this.taskJson,
          command: { value: 'true' },
          labels: { labels: [{ key: EMULATED_DURATION_LABEL, value: String(this.durationMs) }] },
        })
      }
      this.launched += tasks.length
      if (tasks.length === 0) driver.decline(offer, { refuse_seconds: 1 })
      else driver.launch(offer, tasks, { refuse_seconds: 1 })
      if (this.launched >= this.total) driver.suppress()
    }
  }
}
