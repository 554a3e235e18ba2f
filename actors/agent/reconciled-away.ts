// Tasks the agent reported TASK_LOST/TASK_DROPPED because the master asked about them
// (ReconcileTasks) before their RunTask arrived. On a bus that delays and reorders messages, the
// RunTask may only have been held back: running it then would resurrect a task its framework
// was told is terminal. Mesos needs no such memory because TCP keeps master -> agent order.
export class ReconciledAway {
  private readonly keys = new Set<string>()

  /** `capacity`: keys remembered, the oldest forgotten first (a late RunTask is rare). */
  constructor(private readonly capacity = 1_000) {}

  add(frameworkId: string, taskId: string): void {
    const key = `${frameworkId}/${taskId}`
    this.keys.delete(key)
    this.keys.add(key)
    if (this.keys.size > this.capacity) this.keys.delete(this.keys.values().next().value as string)
  }

  /** True (and forgotten, so that the task id can be used again) if the task was reported lost. */
  forget(frameworkId: string, taskId: string): boolean {
    return this.keys.delete(`${frameworkId}/${taskId}`)
  }

  get size(): number {
    return this.keys.size
  }
}
