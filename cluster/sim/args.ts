// `npm run sim -- --seed S --steps N [--agents A --frameworks F --faults list --fault-rate p
// --trace L --seeds FROM..TO --quiet]`: parsed into a SimConfig, with one-line errors.
import { DEFAULT_FAULTS, FAULT_KINDS, isFaultKind, type FaultKind } from './faults.js'
import { DEFAULT_CONFIG, type SimConfig } from './simulation.js'

export class SimUsageError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'SimUsageError'
  }
}

export interface SimArgs {
  config: SimConfig
  /** Seeds to run, in order (one unless --seeds gave a range). */
  seeds: number[]
  quiet: boolean
  help: boolean
}

export const SIM_USAGE = `usage: npm run sim -- [--seed S | --seeds FROM..TO] [--steps N] [--agents A] [--frameworks F] [--masters M]
                    [--faults LIST] [--fault-rate P] [--trace LINES] [--quiet]

Runs the whole cluster (master, A agents with the emulated executor, F frameworks) in virtual
time on the sim transport, injecting seeded faults, checking invariants after every step and
once more after healing and settling. A failure prints the invariant, the step, the last trace
lines and the command that replays it; the exit status is then 1.

  --seed S          the seed (default 1)
  --seeds A..B      run every seed from A to B; stop at the first failure
  --steps N         steps (default ${DEFAULT_CONFIG.steps}); each advances the clock and may inject a fault
  --agents A        agents (default ${DEFAULT_CONFIG.agents})
  --masters M       masters contending for the leader lease (default ${DEFAULT_CONFIG.masters})
  --frameworks F    frameworks (default ${DEFAULT_CONFIG.frameworks}); even-numbered ones are PARTITION_AWARE
  --faults LIST     comma-separated, from: ${FAULT_KINDS.join(', ')}; or 'none' or 'all'
                    (default ${DEFAULT_FAULTS.join(',')})
  --fault-rate P    chance of a new fault per step (default ${DEFAULT_CONFIG.faultRate})
  --trace LINES     trace lines in a failure report (default 40)
  --quiet           no progress lines, only the summary`

function int(flag: string, value: string | undefined, min: number): number {
  const n = Number(value)
  if (value === undefined || !Number.isSafeInteger(n) || n < min) throw new SimUsageError(`${flag} needs an integer >= ${min}, got '${value ?? ''}'`)
  return n
}

function faults(value: string | undefined): FaultKind[] {
  if (value === undefined) throw new SimUsageError('--faults needs a list')
  if (value === 'none' || value === '') return []
  if (value === 'all') return [...FAULT_KINDS]
  if (value === 'default') return [...DEFAULT_FAULTS]
  const out: FaultKind[] = []
  for (const k of value.split(',').map(s => s.trim())) {
    if (!isFaultKind(k)) throw new SimUsageError(`--faults: unknown fault '${k}' (known: ${FAULT_KINDS.join(', ')})`)
    if (!out.includes(k)) out.push(k)
  }
  return out
}

export function parseSimArgs(argv: readonly string[]): SimArgs {
  const config: SimConfig = { seed: 1, ...DEFAULT_CONFIG, faults: [...DEFAULT_CONFIG.faults] }
  let seeds: number[] | undefined
  let quiet = false
  let help = false
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined]
    const value = (): string | undefined => inline ?? argv[++i]
    switch (flag) {
      case '--seed':
        config.seed = int(flag, value(), 0)
        break
      case '--seeds': {
        const v = value() ?? ''
        const m = /^(\d+)\.\.(\d+)$/.exec(v)
        if (!m || Number(m[2]) < Number(m[1])) throw new SimUsageError(`--seeds needs a range FROM..TO, got '${v}'`)
        seeds = []
        for (let s = Number(m[1]); s <= Number(m[2]); s++) seeds.push(s)
        break
      }
      case '--steps':
        config.steps = int(flag, value(), 0)
        break
      case '--agents':
        config.agents = int(flag, value(), 1)
        break
      case '--frameworks':
        config.frameworks = int(flag, value(), 0)
        break
      case '--masters':
        config.masters = int(flag, value(), 1)
        break
      case '--faults':
        config.faults = faults(value())
        break
      case '--fault-rate': {
        const v = value()
        const p = Number(v)
        if (v === undefined || !(p >= 0 && p <= 1)) throw new SimUsageError(`--fault-rate needs a probability in [0, 1], got '${v ?? ''}'`)
        config.faultRate = p
        break
      }
      case '--trace':
        config.traceLines = int(flag, value(), 0)
        break
      case '--quiet':
        quiet = true
        break
      case '--help':
      case '-h':
        help = true
        break
      default:
        throw new SimUsageError(`unknown argument '${arg}' (see --help)`)
    }
  }
  return { config, seeds: seeds ?? [config.seed], quiet, help }
}
