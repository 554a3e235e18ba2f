// Named errors of the scheduler SDK, caught by class (or `code`), never by message text.

/** Bad input to startScheduler/connectScheduler (a framework that would not subscribe, a bad id). */
export class SchedulerConfigError extends Error {
  readonly code = 'SCHEDULER_CONFIG'
  /** The option at fault (`framework.user`, `id`, `masterPid`). */
  readonly option: string
  constructor(option: string, reason: string) {
    super(`scheduler: ${option} ${reason}`)
    this.name = 'SchedulerConfigError'
    this.option = option
  }
}

/** A call the driver can never honour as made (e.g. an explicit acknowledge while acks are automatic). */
export class SchedulerUsageError extends Error {
  readonly code = 'SCHEDULER_USAGE'
  readonly call: string
  constructor(call: string, reason: string) {
    super(`scheduler: ${call}(): ${reason}`)
    this.name = 'SchedulerUsageError'
    this.call = call
  }
}
