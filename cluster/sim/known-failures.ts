// Invariant violations the simulation has found in actors/ or runtime/ and reported, that are not
// fixed yet. A violation that matches one is counted and listed in every summary as KNOWN, but
// does not fail the run, so that the rest of the run (and the other seeds) still say something.
// Remove an entry once its fix lands: the seeds that found it must then pass.
import type { InvariantName, Violation } from './invariants.js'

export interface KnownFailure {
  /** A short id used in reports (`K1`). */
  readonly id: string
  readonly invariant: InvariantName
  /** Matched against the violation's message. */
  readonly pattern: RegExp
  /** What is wrong and where (file and function), for the summary. */
  readonly diagnosis: string
  /** A seed that shows it: `npm run sim -- <reproduce>`. */
  readonly reproduce: string
  /**
   * Invariants that a run breaks later as a consequence, once it hit this failure (a task the
   * master wrongly thinks runs is never accounted for): in that run they count as this failure.
   */
  readonly consequences?: readonly InvariantName[]
}

// Empty: K2 and K5-K10 were fixed (agent boot ids, staging reconciliation, the offer timeout, the
// registered-state guard, readmitted tasks). Add an entry when the simulation finds a new one.
export const KNOWN_FAILURES: readonly KnownFailure[] = []

export function knownFailureFor(v: Violation, known: readonly KnownFailure[] = KNOWN_FAILURES): KnownFailure | undefined {
  return known.find(k => k.invariant === v.invariant && k.pattern.test(v.message))
}
