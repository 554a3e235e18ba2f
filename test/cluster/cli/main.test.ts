import t from 'tap'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { commands } from '../../../cluster/config/index.js'
import { optionalCommand } from '../../../cluster/cli/main.js'
import { binPath, repoRoot, runCli } from './support/cli.js'

const version = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version

t.test('--help lists every command and exits 0', async (t) => {
  const { code, stdout, stderr } = await runCli(t, ['--help'])
  t.equal(code, 0)
  for (const [name, spec] of Object.entries(commands)) t.match(stdout, `  ${name}`, `lists ${name}`) && t.match(stdout, spec.summary)
  t.equal(stderr, '')
})

t.test('a command\'s --help prints its flags, even next to a bad flag', async (t) => {
  const { code, stdout } = await runCli(t, ['nats', '--bogus', '--help'])
  t.equal(code, 0)
  t.match(stdout, /^Usage: mesos-ts nats /)
  t.match(stdout, '--port=<int>')
  t.match(stdout, '--cluster_size=<int>')
})

t.test('--version prints the version from package.json', async (t) => {
  const { code, stdout } = await runCli(t, ['--version'])
  t.equal(code, 0)
  t.equal(stdout, `mesos-ts ${version}\n`)
})

t.test('the file runs through its shebang too', async (t) => {
  const { code, stdout } = await runCli(t, ['--version'], { command: [binPath] })
  t.equal(code, 0)
  t.equal(stdout, `mesos-ts ${version}\n`)
})

t.test('an unknown command is one line naming the closest command, exit 2', async (t) => {
  const { code, stdout, stderr } = await runCli(t, ['lcoal'])
  t.equal(code, 2)
  t.equal(stdout, '')
  t.match(stderr, /^mesos-ts: unknown command 'lcoal' \(did you mean 'local'\?\)/)
  t.equal(stderr.trimEnd().split('\n').length, 1, 'one line')

  const far = await runCli(t, ['frobnicate'])
  t.equal(far.code, 2)
  t.match(far.stderr, /unknown command 'frobnicate'; the commands are master, agent, local, execute, nats/)
})

t.test('no command prints the usage to stderr, exit 2', async (t) => {
  const { code, stdout, stderr } = await runCli(t, [])
  t.equal(code, 2)
  t.equal(stdout, '')
  t.match(stderr, /^Usage: mesos-ts/)
  t.match(stderr, /nats +Start nats-server/)
})

t.test('a flag before the command is a usage error', async (t) => {
  const { code, stderr } = await runCli(t, ['--port=5050', 'master'])
  t.equal(code, 2)
  t.match(stderr, /expected a command before any flag, got '--port=5050'/)
})

t.test('a configuration error is one line with the flag, a suggestion and a hint, exit 2', async (t) => {
  const { code, stdout, stderr } = await runCli(t, ['nats', '--prot', '5'])
  t.equal(code, 2)
  t.equal(stdout, '')
  t.equal(stderr, "mesos-ts nats: unknown flag '--prot' (did you mean '--port'?) (see 'mesos-ts nats --help')\n")
  t.notMatch(stderr, /\bat .*\.ts:\d+/, 'no stack trace')

  const env = await runCli(t, ['nats'], { env: { MESOS_PORT: 'abc' } })
  t.equal(env.code, 2)
  t.match(env.stderr, /^mesos-ts nats: MESOS_PORT: expected an integer between 1 and 65535, got 'abc' \(see 'mesos-ts nats --help'\)\n$/)
})

t.test('a command whose module is not in this build is undefined, not an error', async (t) => {
  t.equal(await optionalCommand('./no-such-command.js'), undefined)
  const nats = await optionalCommand<'nats'>('./nats-command.js')
  t.equal(nats?.command.name, 'nats', 'one that exists is imported (the .ts behind a .js specifier)')
})

const absent = ['master', 'agent', 'local', 'execute'].filter(
  (name) => !existsSync(join(repoRoot, `cluster/cli/${name}-command.ts`)) && !existsSync(join(repoRoot, `cluster/cli/${name}-command.js`)),
)
t.test('a command whose module is not in this build says so, exit 1', { skip: absent.length === 0 ? 'every command module exists' : false }, async (t) => {
  const { code, stderr } = await runCli(t, [absent[0]])
  t.equal(code, 1)
  t.equal(stderr, `mesos-ts ${absent[0]}: not available in this build\n`)
})
