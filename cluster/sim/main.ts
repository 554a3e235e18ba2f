// `npm run sim -- --seed S --steps N ...`: replays one seeded simulation (or a range of seeds),
// printing progress, a summary, and on an invariant violation the report and the command that
// reproduces it (exit 1). Usage errors exit 2.
import { SIM_USAGE, SimUsageError, parseSimArgs, type SimArgs } from './args.js'
import { failureReport, knownLines, summaryLine } from './report.js'
import { runSimulation } from './simulation.js'

function parse(argv: readonly string[]): SimArgs {
  try {
    return parseSimArgs(argv)
  } catch (err) {
    if (!(err instanceof SimUsageError)) throw err
    process.stderr.write(`sim: ${err.message}\n`)
    process.exit(2)
  }
}

const args = parse(process.argv.slice(2))
if (args.help) {
  process.stdout.write(`${SIM_USAGE}\n`)
  process.exit(0)
}

const out = (line: string): void => {
  process.stdout.write(`${line}\n`)
}
let failed = false
for (const seed of args.seeds) {
  const config = { ...args.config, seed }
  const every = Math.max(1, Math.round(config.steps / 10))
  const result = await runSimulation(config, {
    afterStep: args.quiet || args.seeds.length > 1
      ? undefined
      : (world, step) => {
          if (step % every !== 0 && step !== config.steps) return
          const agents = world.agents.filter(a => a.up).length
          const schedulers = world.frameworks.filter(f => f.up).length
          const tasks = world.frameworks.reduce((n, f) => n + f.framework.tasks.size, 0)
          out(`step ${step}/${config.steps}  t=${(world.clock.now() / 1000).toFixed(1)} s  agents up ${agents}/${world.agents.length}  schedulers up ${schedulers}/${world.frameworks.length}  tasks launched ${tasks}  messages ${world.net.stats.sent}`)
        },
  })
  out(summaryLine(result))
  for (const line of knownLines(result)) out(line)
  if (!result.ok) {
    out(failureReport(result))
    failed = true
    break
  }
}
process.exit(failed ? 1 : 0)
