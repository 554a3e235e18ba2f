// Subscription retry timing, as Mesos's scheduler driver does it (src/sched/sched.cpp,
// doReliableRegistration): the first Subscribe goes out at once; each retry waits a random time
// in [0, bound), and the bound starts at --registration_backoff_factor (2 s), doubles per
// attempt, and is capped at REGISTRATION_RETRY_INTERVAL_MAX (1 min) and at a tenth of the
// framework's failover_timeout, so a failing-over scheduler gets several tries in before the
// master gives up on it. Pure: the machine keeps the bound and the clock.

/** Mesos's DEFAULT_REGISTRATION_BACKOFF_FACTOR (src/sched/constants.hpp). */
export const DEFAULT_REGISTRATION_BACKOFF_FACTOR_MS = 2_000
/** Mesos's REGISTRATION_RETRY_INTERVAL_MAX (src/sched/constants.hpp). */
export const REGISTRATION_RETRY_INTERVAL_MAX_MS = 60_000

/**
 * A retry never waits less than this, so a random source that returns 0 cannot make the
 * machine resend in the same instant forever.
 */
const MIN_RETRY_DELAY_MS = 1

export interface BackoffSettings {
  /** The first bound (Mesos's --registration_backoff_factor). */
  factorMs: number
  /** The largest bound. */
  maxMs: number
  /** FrameworkInfo.failover_timeout in ms; when positive the bound is capped at a tenth of it. */
  failoverTimeoutMs?: number
}

export interface RetryPlan {
  /** How long to wait before the next Subscribe. */
  delayMs: number
  /** The bound to use for the retry after that one. */
  nextBoundMs: number
}

/** The wait before the next Subscribe, given the current bound and a random source in [0, 1). */
export function subscribeRetry(boundMs: number, settings: BackoffSettings, random: () => number): RetryPlan {
  let bound = Math.min(boundMs, settings.maxMs)
  const failover = settings.failoverTimeoutMs
  if (failover !== undefined && failover > 0) bound = Math.min(bound, failover / 10)
  const r = Math.min(Math.max(random(), 0), 1)
  return { delayMs: Math.max(MIN_RETRY_DELAY_MS, bound * r), nextBoundMs: bound * 2 }
}
