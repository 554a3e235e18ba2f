// The public face of actors/executor: the built-in command executor, the emulated executor
// (benchmarks and simulation only), and the default SpawnExecutor that wires them to an agent.
export { commandExecutorMachine, CommandExecutorCore, type CommandExecutorInput, type CommandExecutorEvent } from './command-executor.js'
export {
  emulatedExecutorHostMachine,
  EmulatedExecutorHost,
  EMULATED_DURATION_LABEL,
  EMULATED_EXIT_CODE_LABEL,
  type EmulatedExecutorHostInput,
  type EmulatedExecutorEvent,
  type HostExecutorEvent,
} from './emulated-executor.js'
export { executorSpawner } from './spawn-executor.js'
