import t from 'tap'
import { commands } from '../../../cluster/config/commands.js'
import type { AnyFlag } from '../../../cluster/config/flag-table.js'
import { commandHelp, flagHelp, flagSyntax, programHelp } from '../../../cluster/config/help.js'
import { flag } from '../../../cluster/config/flag-table.js'

const specs = Object.values(commands)

t.test('each command lists every flag with its syntax, default and help', async (t) => {
  for (const spec of specs) {
    const help = commandHelp(spec)
    t.match(help, new RegExp(`^Usage: mesos-ts ${spec.name} \\[--name=value \\.\\.\\.\\](?: \\S.*)?\\n`), `${spec.name}: usage line`)
    for (const [name, f] of Object.entries(spec.flags as Record<string, AnyFlag>)) {
      const head = help.split('\n').find((line) => line.startsWith(`  ${flagSyntax(name, f)}`))
      t.ok(head, `${spec.name}: --${name} is listed`)
      if (f.default !== undefined) t.ok(head?.endsWith(`(default: ${String(f.default)})`), `${spec.name}: --${name} shows its default`)
      const firstWords = f.help.split(/\s+/).slice(0, 3).join(' ')
      t.ok(help.replace(/\n\s+/g, ' ').includes(firstWords), `${spec.name}: --${name} has its help`)
    }
  }
})

t.test('the shapes of the entries', async (t) => {
  const master = commandHelp(commands.master)
  t.match(master, /\n  --agent_ping_timeout=<duration>  \(default: 15secs\)\n      How long an agent may take/)
  t.match(master.replace(/\n\s+/g, ' '), /pings in a row are marked unreachable\. Deprecated name: --slave_ping_timeout\./)
  t.match(master, /\nMaster flags:\n/)
  t.match(master, /\nLogging flags:\n/)
  t.match(master, /\n  --registry=<jetstream\|in_memory>  \(default: jetstream\)\n/)
  t.match(master, /MESOS_<NAME>/)
  const agent = commandHelp(commands.agent)
  t.match(agent, /\n  --\[no-\]strict  \(default: true\)\n/)
  t.match(agent, /\n  --master=<host:port\|nats:\/\/\.\.\.>\n/)
  t.match(agent, /\n  --isolation=<isolator,...>  \(default: posix\/cpu,posix\/mem\)\n/)
  t.match(commandHelp(commands.local), /\n  --\[no-\]nats\[=<url,...>\]  \(default: false\)\n/)
  t.match(commandHelp(commands.execute), /\n  --name=<string>  \(required\)\n/)
  t.equal(flagHelp('x', flag.string({ default: '', help: 'Empty default.' })), "  --x=<string>  (default: '')\n      Empty default.")
})

t.test('lines are wrapped to the width', async (t) => {
  for (const width of [60, 100]) {
    for (const line of commandHelp(commands.agent, { width }).split('\n')) {
      if (!line.startsWith('  --') && !/\S{40,}/.test(line)) t.ok(line.length <= width, `fits in ${width}: ${line}`)
    }
  }
})

t.test('the program help lists the commands, then every flag grouped by command', async (t) => {
  const help = programHelp(specs, { program: 'mesos-ts' })
  t.match(help, /^Usage: mesos-ts <command> \[--name=value \.\.\.\]\n\nCommands:\n  master +Run a master/)
  let last = -1
  for (const spec of specs) {
    const at = help.indexOf(`=== mesos-ts ${spec.name} ===`)
    t.ok(at > last, `${spec.name}'s section follows the previous one`)
    last = at
    const next = specs[specs.indexOf(spec) + 1]
    const section = help.slice(at, next ? help.indexOf(`=== mesos-ts ${next.name} ===`) : undefined)
    for (const [name, f] of Object.entries(spec.flags as Record<string, AnyFlag>)) {
      t.ok(section.includes(`  ${flagSyntax(name, f)}`), `${spec.name} section lists --${name}`)
    }
  }
})
