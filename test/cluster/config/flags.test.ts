import t, { type Test } from 'tap'
import { join } from 'node:path'
import { Bytes } from '../../../cluster/config/bytes.js'
import { Duration } from '../../../cluster/config/duration.js'
import { ConfigError } from '../../../cluster/config/errors.js'
import { flag } from '../../../cluster/config/flag-table.js'
import { parseFlags, toEnvironment, wantsHelp, type ParseOptions } from '../../../cluster/config/flags.js'
import { MASTER_ADDRESS_EXPECTED, parseMasterAddress, type MasterAddress } from '../../../cluster/config/master-address.js'

/** One flag of every kind, shaped like the real tables. */
const table = {
  name: flag.string({ help: 'A string.' }),
  work_dir: flag.path({ default: '/tmp/mesos', help: 'A path.' }),
  port: flag.int({ default: 5050, min: 1, max: 65535, help: 'An int with a range.' }),
  count: flag.int({ min: 0, help: 'An optional int.' }),
  ratio: flag.number({ default: 0.5, min: 0, max: 1, help: 'A number.' }),
  strict: flag.bool({ default: true, help: 'A bool that is on.' }),
  verbose: flag.bool({ default: false, help: 'A bool that is off.' }),
  timeout: flag.duration({ default: '15secs', min: '1secs', max: '15mins', aliases: ['old_timeout'], help: 'A duration.' }),
  interval: flag.duration({ help: 'A duration without bounds or default.' }),
  size: flag.bytes({ default: '1GB', help: 'A size.' }),
  recover: flag.enum(['reconnect', 'cleanup'], { default: 'reconnect', help: 'An enum.' }),
  level: flag.enum(['INFO', 'WARNING', 'ERROR'], { default: 'INFO', caseInsensitive: true, help: 'A case-insensitive enum.' }),
  isolation: flag.list({ default: 'posix/cpu,posix/mem', validateItem: (v) => (v.includes('/') ? undefined : 'isolators like posix/cpu'), help: 'A list.' }),
  nats: flag.switch({ default: false, help: 'A switch.' }),
  master: flag.custom({ parse: parseMasterAddress, expected: MASTER_ADDRESS_EXPECTED, help: 'A custom type.' }),
  resources: flag.string({ help: 'Resources.' }),
  attributes: flag.string({ validate: (v) => (v.includes(':') ? undefined : 'name:value pairs'), help: 'A checked string.' }),
  config: flag.config({ aliases: ['conf'], help: 'The config file.' }),
  help: flag.bool({ default: false, help: 'Help.' }),
}

function parse(argv: string[], env: Record<string, string> = {}, extra: Partial<ParseOptions> = {}) {
  return parseFlags(table, { argv, env, program: 'mesos-ts test', ...extra })
}

/** Expects parsing to fail with exactly this message, and these fields. */
function fails(t: Test, argv: string[], message: string, fields: Record<string, unknown> = {}, env: Record<string, string> = {}, extra: Partial<ParseOptions> = {}) {
  const err = t.throws(() => parse(argv, env, extra), { name: 'ConfigError', message, ...fields }, message)
  t.type(err, ConfigError)
}

t.test('defaults, with their types derived from the table', async (t) => {
  const { flags, sources, positionals, warnings, ignoredEnv, configFile, texts } = parse([])
  const port: number = flags.port
  const timeout: Duration = flags.timeout
  const size: Bytes = flags.size
  const recover: 'reconnect' | 'cleanup' = flags.recover
  const isolation: string[] = flags.isolation
  const nats: boolean | string = flags.nats
  const name: string | undefined = flags.name
  const master: MasterAddress | undefined = flags.master
  // @ts-expect-error a flag without a default may be unset
  const mustHaveName: string = flags.name
  t.equal(port, 5050)
  t.equal(String(timeout), '15secs')
  t.equal(size.bytes, 1024 ** 3)
  t.equal(recover, 'reconnect')
  t.same(isolation, ['posix/cpu', 'posix/mem'])
  t.equal(nats, false)
  t.equal(name, undefined)
  t.equal(mustHaveName, undefined)
  t.equal(master, undefined)
  t.equal(flags.work_dir, '/tmp/mesos')
  t.equal(flags.ratio, 0.5)
  t.equal(flags.strict, true)
  t.equal(flags.verbose, false)
  t.equal(flags.level, 'INFO')
  t.equal(flags.interval, undefined)
  t.equal(flags.count, undefined)
  t.equal(sources.port, 'default')
  t.equal(sources.name, undefined)
  t.same(positionals, [])
  t.same(warnings, [])
  t.same(ignoredEnv, [])
  t.equal(configFile, undefined)
  t.same(texts, {})
})

t.test('every value type from the command line', async (t) => {
  const { flags, sources } = parse([
    '--name=web',
    '--port',
    '6000',
    '--count=0',
    '--ratio=.25',
    '--no-strict',
    '--verbose',
    '--timeout=2mins',
    '--interval=500ms',
    '--size=512MB',
    '--recover=cleanup',
    '--level=warning',
    '--isolation=posix/cpu, cgroups/mem,,',
    '--nats=nats://h:4222',
    '--master=master:5050',
    '--resources=cpus:4;mem:2300',
    '--attributes=rack:2',
    '--work_dir=/var/lib/mesos',
  ])
  t.equal(flags.name, 'web')
  t.equal(flags.port, 6000, '--name value works as well as --name=value')
  t.equal(flags.count, 0)
  t.equal(flags.ratio, 0.25)
  t.equal(flags.strict, false)
  t.equal(flags.verbose, true)
  t.equal(flags.timeout.secs, 120)
  t.equal(flags.interval?.ms, 500)
  t.equal(flags.size.mb, 512)
  t.equal(flags.recover, 'cleanup')
  t.equal(flags.level, 'WARNING', 'spelled as in the table')
  t.same(flags.isolation, ['posix/cpu', 'cgroups/mem'])
  t.equal(flags.nats, 'nats://h:4222')
  t.same(flags.master, { kind: 'http', host: 'master', port: 5050 })
  t.equal(flags.resources, 'cpus:4;mem:2300')
  t.equal(flags.attributes, 'rack:2')
  t.equal(flags.work_dir, '/var/lib/mesos')
  t.equal(sources.port, 'command line')
})

t.test('booleans and switches as Mesos reads them', async (t) => {
  t.equal(parse(['--strict=false']).flags.strict, false)
  t.equal(parse(['--strict=0']).flags.strict, false)
  t.equal(parse(['--verbose=1']).flags.verbose, true)
  t.equal(parse(['--verbose=true']).flags.verbose, true)
  t.equal(parse(['--verbose=']).flags.verbose, true, 'an empty value means true, as in stout')
  t.equal(parse(['--nats']).flags.nats, true)
  t.equal(parse(['--no-nats']).flags.nats, false)
  t.equal(parse(['--nats=false']).flags.nats, false)
  t.equal(parse(['--PORT=7']).flags.port, 7, 'names are matched lower-cased')
  t.equal(parse(['-h']).flags.help, true)
})

t.test('precedence: command line > environment > config file > default', async (t) => {
  const dir = t.testdir({ 'mesos.conf': 'port=1001\nname=from-file\nresources=cpus:1\n' })
  const conf = join(dir, 'mesos.conf')
  const env = { MESOS_PORT: '2002', MESOS_NAME: 'from-env', MESOS_CONFIG: conf }
  const r = parse(['--port=3003'], env)
  t.equal(r.flags.port, 3003)
  t.equal(r.sources.port, 'command line')
  t.equal(r.flags.name, 'from-env')
  t.equal(r.sources.name, 'environment')
  t.equal(r.flags.resources, 'cpus:1')
  t.equal(r.sources.resources, 'config file')
  t.equal(r.flags.recover, 'reconnect')
  t.equal(r.sources.recover, 'default')
  t.equal(r.configFile, conf)
  t.same(r.texts, { port: '3003', name: 'from-env', resources: 'cpus:1', config: conf })

  const withoutCli = parse([], env)
  t.equal(withoutCli.flags.port, 2002)
  const fileOnly = parse([`--config=${conf}`])
  t.equal(fileOnly.flags.port, 1001)
  t.equal(fileOnly.sources.port, 'config file')
  t.equal(parse(['--config', conf]).flags.port, 1001, '--config <file> works too')
  t.equal(parse([`--config=${conf}`], { MESOS_CONFIG: '/nonexistent' }).configFile, conf, 'the command line names the file first')
})

t.test('the environment: MESOS_NAME or MESOS_name; other MESOS_* variables are only reported', async (t) => {
  const r = parse([], { MESOS_port: '4004', MESOS_WORK_DIR: '/w', MESOS_ZK: 'zk://x', MESOS_LOG_LEVEL: 'debug', PATH: '/bin', MESOSPHERE: 'x' })
  t.equal(r.flags.port, 4004)
  t.equal(r.flags.work_dir, '/w')
  t.same(r.ignoredEnv, ['MESOS_LOG_LEVEL', 'MESOS_ZK'])
  t.equal(r.sources.port, 'environment')
  t.equal(parse([], { MESOS_STRICT: '' }).flags.strict, true, 'an empty boolean is true')
  t.equal(parse([], { MESOS_STRICT: 'false' }).flags.strict, false)
  t.equal(parse([], { X_PORT: '9' }, { envPrefix: 'X_' }).flags.port, 9, 'another prefix')
})

t.test('a bad environment value counts only when it is used', async (t) => {
  t.equal(parse(['--port=5'], { MESOS_PORT: 'abc' }).flags.port, 5)
  fails(t, [], "MESOS_PORT: expected an integer between 1 and 65535, got 'abc'", { code: 'INVALID_VALUE', key: 'port', source: 'environment' }, { MESOS_PORT: 'abc' })
})

t.test('deprecated names work, with a warning', async (t) => {
  const cli = parse(['--old_timeout=3secs'])
  t.equal(cli.flags.timeout.secs, 3)
  t.same(cli.warnings, ['--old_timeout is deprecated; use --timeout'])
  const env = parse([], { MESOS_OLD_TIMEOUT: '4secs' })
  t.equal(env.flags.timeout.secs, 4)
  t.same(env.warnings, ['MESOS_OLD_TIMEOUT is deprecated; use MESOS_TIMEOUT'])
  const both = parse([], { MESOS_OLD_TIMEOUT: '4secs', MESOS_TIMEOUT: '5secs' })
  t.equal(both.flags.timeout.secs, 5, 'the current name wins')
  t.same(both.warnings, ['MESOS_OLD_TIMEOUT is ignored: MESOS_TIMEOUT is also set'])
  const dir = t.testdir({ 'mesos.conf': 'old_timeout=6secs\n' })
  const file = parse([`--conf=${dir}`])
  t.equal(file.flags.timeout.secs, 6, '--conf=<dir> reads its mesos.conf, as Mesos 0.9 did')
  t.same(file.warnings, ['--conf is deprecated; use --config', `${join(dir, 'mesos.conf')}:1: 'old_timeout' is deprecated; use 'timeout'`])
})

t.test('command-line errors say what and where', async (t) => {
  fails(t, ['--resouces=cpus:1'], "unknown flag '--resouces' (did you mean '--resources'?)", { code: 'UNKNOWN_FLAG', key: 'resouces', suggestion: 'resources' })
  fails(t, ['--old_timout=1secs'], "unknown flag '--old_timout' (did you mean '--timeout'?)", { suggestion: 'timeout' })
  fails(t, ['--zookeeper=1'], "unknown flag '--zookeeper'", { code: 'UNKNOWN_FLAG', suggestion: undefined })
  fails(t, ['--no-such'], "unknown flag '--no-such'")
  fails(t, ['--port=abc'], "--port: expected an integer between 1 and 65535, got 'abc'", { code: 'INVALID_VALUE', key: 'port', source: 'command line', value: 'abc' })
  fails(t, ['--port=0'], "--port: expected an integer between 1 and 65535, got '0'")
  fails(t, ['--port=1.5'], "--port: expected an integer between 1 and 65535, got '1.5'")
  fails(t, ['--port', '99999999999999999999'], "--port: expected an integer between 1 and 65535, got '99999999999999999999'")
  fails(t, ['--count=-1'], "--count: expected an integer of at least 0, got '-1'")
  fails(t, ['--ratio=2'], "--ratio: expected a number between 0 and 1, got '2'")
  fails(t, ['--ratio=half'], "--ratio: expected a number between 0 and 1, got 'half'")
  fails(t, ['--timeout=15s'], "--timeout: expected a duration between 1secs and 15mins, got '15s' (did you mean '15secs'?)", { suggestion: '15secs' })
  fails(t, ['--timeout=20mins'], "--timeout: expected a duration between 1secs and 15mins, got '20mins'")
  fails(t, ['--interval=soon'], "--interval: expected a duration such as 15secs, 10mins or 500ms (units: ns, us, ms, secs, mins, hrs, days, weeks), got 'soon'")
  fails(t, ['--size=1.5GB'], "--size: expected a size such as 512MB or 1GB (units: B, KB, MB, GB, TB), got '1.5GB' (a fraction of a byte is not allowed; use a smaller unit)")
  fails(t, ['--size=1024'], "--size: expected a size such as 512MB or 1GB (units: B, KB, MB, GB, TB), got '1024' (the unit is missing)")
  fails(t, ['--recover=reconect'], "--recover: expected one of reconnect, cleanup, got 'reconect' (did you mean 'reconnect'?)", { suggestion: 'reconnect' })
  fails(t, ['--recover=RECONNECT'], "--recover: expected one of reconnect, cleanup, got 'RECONNECT' (did you mean 'reconnect'?)")
  fails(t, ['--strict=yes'], "--strict: expected a boolean (true, false, 1 or 0), got 'yes'")
  fails(t, ['--strict=ture'], "--strict: expected a boolean (true, false, 1 or 0), got 'ture' (did you mean 'true'?)")
  fails(t, ['--isolation=posix/cpu,mem'], "--isolation: expected isolators like posix/cpu, got 'posix/cpu,mem'")
  fails(t, ['--attributes=rack'], "--attributes: expected name:value pairs, got 'rack'")
  fails(
    t,
    ['--master=zk://zk1:2181/mesos'],
    "--master: expected host:port (e.g. master:5050) or NATS URL(s) (e.g. nats://master:4222), got 'zk://zk1:2181/mesos' (mesos-ts finds the leading master through NATS JetStream, not ZooKeeper: give nats://<host>:4222 instead)",
  )
  fails(t, ['--no-port'], '--no-port: only boolean flags can be negated; --port takes an integer between 1 and 65535', { code: 'NEGATED_NON_BOOLEAN' })
  fails(t, ['--no-strict=false'], "--no-strict: a negated flag takes no value, got 'false'", { code: 'NEGATED_WITH_VALUE' })
  fails(t, ['--port'], '--port: missing value (expected an integer between 1 and 65535)', { code: 'MISSING_VALUE' })
  fails(t, ['--port', '--strict'], '--port: missing value (expected an integer between 1 and 65535)')
  fails(t, ['--port=1', '--port', '2'], "--port is given twice: '--port=1' and '--port 2'", { code: 'DUPLICATE_FLAG' })
  fails(t, ['--timeout=1secs', '--old_timeout=2secs'], "--timeout is given twice: '--timeout=1secs' and '--old_timeout=2secs'")
  fails(t, ['web'], "unexpected argument 'web' (flags are written --name=value)", { code: 'UNEXPECTED_ARGUMENT' })
  fails(t, ['--strict', 'false'], "unexpected argument 'false' (--strict takes no separate value: write --strict=false)")
  fails(t, ['--nats', 'nats://h:4222'], "unexpected argument 'nats://h:4222' (--nats takes no separate value: write --nats=nats://h:4222)")
  fails(t, ['-p', '5050'], "unknown flag '-p': flags are written --name=value", { code: 'UNKNOWN_FLAG' })
  fails(t, ['-port=5050'], "unknown flag '-port=5050': flags are written --name=value (did you mean '--port'?)")
})

t.test('unsupported Mesos flags and flags of other commands get their own explanation', async (t) => {
  const extra = { unsupported: { zk: 'use --nats' }, otherCommands: { agent: { gc_delay: flag.duration({ help: '' }) } } }
  fails(t, ['--zk=zk://x'], "'--zk' is not supported by mesos-ts test: use --nats", { code: 'UNSUPPORTED_FLAG', key: 'zk' }, {}, extra)
  fails(t, ['--gc_delay=1weeks'], "unknown flag '--gc_delay' (it is a flag of 'agent')", { code: 'UNKNOWN_FLAG' }, {}, extra)
  fails(t, ['--constructor=1'], "unknown flag '--constructor'", { code: 'UNKNOWN_FLAG' }, {}, extra)
})

t.test('config file errors name the file and line', async (t) => {
  const dir = t.testdir({
    'typo.conf': '# agent\nmaster=master:5050\nresouces=cpus:4;mem:2300\n',
    'bad-value.conf': 'name=a\nport=abc\n',
    'twice.conf': 'port=1\n\nport=2\n',
    'alias-twice.conf': 'timeout=1secs\nold_timeout=2secs\n',
    'self.conf': 'config=/etc/other.conf\n',
    'zk.conf': 'zk=zk://x\n',
    'broken.conf': 'port 5050\n',
  })
  const f = (name: string) => join(dir, name)
  fails(t, [`--config=${f('typo.conf')}`], `${f('typo.conf')}:3: unknown key 'resouces' (did you mean 'resources'?)`, {
    code: 'UNKNOWN_KEY',
    key: 'resouces',
    file: f('typo.conf'),
    line: 3,
    suggestion: 'resources',
  })
  fails(t, [`--config=${f('bad-value.conf')}`], `${f('bad-value.conf')}:2: port: expected an integer between 1 and 65535, got 'abc'`, {
    code: 'INVALID_VALUE',
    file: f('bad-value.conf'),
    line: 2,
    source: 'config file',
  })
  fails(t, [`--config=${f('bad-value.conf')}`, '--port=5050'], `${f('bad-value.conf')}:2: port: expected an integer between 1 and 65535, got 'abc'`, {}, {}, {})
  fails(t, [`--config=${f('twice.conf')}`], `${f('twice.conf')}:3: 'port' is already set on line 1`, { code: 'DUPLICATE_KEY', line: 3 })
  fails(t, [`--config=${f('alias-twice.conf')}`], `${f('alias-twice.conf')}:2: 'old_timeout' is already set on line 1`, { code: 'DUPLICATE_KEY' })
  fails(t, [`--config=${f('self.conf')}`], `${f('self.conf')}:1: 'config' cannot be set inside a config file`, { code: 'UNSUPPORTED_FLAG' })
  fails(t, [`--config=${f('zk.conf')}`], `${f('zk.conf')}:1: 'zk' is not supported by mesos-ts test: use --nats`, { code: 'UNSUPPORTED_FLAG', line: 1 }, {}, { unsupported: { zk: 'use --nats' } })
  fails(t, [`--config=${f('broken.conf')}`], `${f('broken.conf')}:1: expected key=value, got 'port 5050'`, { code: 'MALFORMED_LINE' })
  fails(t, [], `cannot read config file '${f('missing.conf')}': ENOENT: no such file or directory, open '${f('missing.conf')}'`, { code: 'UNREADABLE_FILE' }, { MESOS_CONFIG: f('missing.conf') })
})

t.test('file:// values are read from the file, except for paths', async (t) => {
  const dir = t.testdir({ resources: 'cpus:8;mem:16384\n', port: ' 5055 \n' })
  const r = parse([`--resources=file://${join(dir, 'resources')}`, `--port=file://${join(dir, 'port')}`, `--work_dir=file://${dir}`])
  t.equal(r.flags.resources, 'cpus:8;mem:16384')
  t.equal(r.flags.port, 5055)
  t.equal(r.flags.work_dir, `file://${dir}`, 'a path is the value itself, as in Mesos')
  fails(t, [`--resources=file://${join(dir, 'nope')}`], `--resources: cannot read '${join(dir, 'nope')}': ENOENT: no such file or directory, open '${join(dir, 'nope')}'`, {
    code: 'UNREADABLE_FILE',
  })
})

t.test('required flags', async (t) => {
  const required = { name: flag.string({ required: true, help: '' }), command: flag.string({ required: true, placeholder: 'command', help: '' }) }
  const ok = parseFlags(required, { argv: ['--name=a', '--command=true'] })
  const name: string = ok.flags.name
  t.equal(name, 'a')
  t.throws(() => parseFlags(required, { argv: ['--name=a'] }), {
    code: 'MISSING_REQUIRED',
    key: 'command',
    message: 'missing required flag --command (set --command=<command>, MESOS_COMMAND, or command=... in a config file)',
  })
  t.equal(parseFlags(required, { argv: [], env: { MESOS_NAME: 'a', MESOS_COMMAND: 'b' } }).flags.command, 'b')
})

t.test('positionals when allowed, and everything after --', async (t) => {
  const r = parse(['--port=1', 'a', '--', '--strict', 'b'], {}, { allowPositionals: true })
  t.same(r.positionals, ['a', '--strict', 'b'])
  t.equal(r.flags.strict, true, 'a flag after -- is not a flag')
  fails(t, ['--', 'x'], "unexpected argument 'x' (flags are written --name=value)")
})

t.test('wantsHelp sees --help before anything is judged', async (t) => {
  t.ok(wantsHelp(['--bogus', '--help']))
  t.ok(wantsHelp(['-h']))
  t.ok(wantsHelp(['--help=true']))
  t.notOk(wantsHelp(['--', '--help']))
  t.notOk(wantsHelp(['--no-help', '--port=1']))
})

t.test('toEnvironment hands the given flags to another process', async (t) => {
  const given = parse(['--port=6000', '--no-strict', '--timeout=2mins', '--isolation=a/b,c/d', '--master=nats://m:4222', '--help'])
  const env = toEnvironment(given)
  t.same(env, { MESOS_PORT: '6000', MESOS_STRICT: 'false', MESOS_TIMEOUT: '2mins', MESOS_ISOLATION: 'a/b,c/d', MESOS_MASTER: 'nats://m:4222' })
  const again = parse([], env)
  t.same(again.flags, { ...given.flags, help: false }, 'the environment reproduces the flags')
})

t.test('a bad default in a table is a bug, not a user error', async (t) => {
  const broken = { d: flag.duration({ default: '5s', help: '' }) }
  t.throws(() => parseFlags(broken), { name: 'Error', message: /^flag table bug: default of --d: expected/ })
})
