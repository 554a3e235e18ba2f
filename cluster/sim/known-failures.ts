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

// K2, K5-K10, K12 and K13 were fixed (agent boot ids, staging reconciliation, the offer timeout,
// the registered-state guard, readmitted tasks, the master epoch on RunTask and ReregisterAgent,
// tasks a known agent reregisters with). K11 came with the registry (master-crash as a default
// fault), agent checkpointing and two masters in the simulation (two other bugs they found were fixed: see git log of actors/agent and leader-election.ts).
export const KNOWN_FAILURES: readonly KnownFailure[] = [
  {
    id: 'K11',
    invariant: 'terminal-is-final',
    // Its TASK_FAILED variant is fixed (5d03ba9: the agent recovered twice; b8c94ba: status_update_state):
    // a recovered agent now reports the update in flight as status_update_state.
    pattern: /went from TASK_GONE \(REASON_RECONCILIATION\) back to TASK_RUNNING/,
    diagnosis:
      'Shortly after a master failover a framework reconciles; the new master answers TASK_GONE "unknown to the agent" ' +
      '(MasterCore.reconcileOne: the agent is known, the task is not), then the agent delivers a RUNNING of that task. ' +
      'Not reproduced since K12/K13 were fixed. Those fixes remove two ways a task runs on an agent unknown to its master ' +
      '(a RunTask of an earlier term, dropped now by its master_epoch; a task a known agent reregisters with, re-added now). ' +
      'One way left, if K11 is still there: the agent was removed (a partition-aware framework told UNREACHABLE), readmitted ' +
      'from a ReregisterAgent sent before a held-back RunTask of the same term reached it; reconcileOne answers GONE (the task is ' +
      'only in completedTasks); then the RunTask arrives, and statusUpdate -> readdReportedTask re-adds it as RUNNING.',
    reproduce:
      'none at the current commit: no hit in seeds 1..600 --agents 3 --frameworks 2, 1..600 --agents 5 --frameworks 3, 1..300 ' +
      '--agents 4 --frameworks 3, nor with --masters 1 (1..400 --agents 5 --frameworks 3, 1..300 --agents 3 --frameworks 2); ' +
      'at commit 4fe9340 (one master, no election): --seed 179 --steps 100 --agents 5 --frameworks 3',
    consequences: ['tasks-accounted'],
  },
]

export function knownFailureFor(v: Violation, known: readonly KnownFailure[] = KNOWN_FAILURES): KnownFailure | undefined {
  return known.find(k => k.invariant === v.invariant && k.pattern.test(v.message))
}
