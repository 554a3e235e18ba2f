// The public face of cluster/sim: the deterministic whole-cluster simulation (see main.ts for the
// `npm run sim` command, test/sim for the seeds `npm test` runs).
export { runSimulation, reproduceCommand, DEFAULT_CONFIG, type SimConfig, type SimResult, type SimFailure, type SimHooks, type SimStats, type KnownHit } from './simulation.js'
export { World, AgentNode, FrameworkNode, MasterNode, derivedPrng, type WorldOptions } from './world.js'
export { SimFramework, type FrameworkTask, type FrameworkObservation } from './sim-framework.js'
export { FaultInjector, FAULT_KINDS, DEFAULT_FAULTS, isFaultKind, type FaultKind } from './faults.js'
export { InvariantChecker, SAFETY_INVARIANTS, LIVENESS_INVARIANTS, activeAgentTasks, type InvariantName, type Violation } from './invariants.js'
export { KNOWN_FAILURES, knownFailureFor, type KnownFailure } from './known-failures.js'
export { DEFAULT_TIMINGS, type SimTimings } from './timings.js'
export { parseSimArgs, SimUsageError, SIM_USAGE, type SimArgs } from './args.js'
export { summaryLine, failureReport, knownLines } from './report.js'
export { traceFingerprint, traceTail } from './trace-report.js'
