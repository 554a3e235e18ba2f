import t from 'tap'
import { join } from 'node:path'
import { commands, isCommandName, parseCommandFlags, type CommandName } from '../../../cluster/config/commands.js'
import { pinoLevel } from '../../../cluster/config/common-flags.js'
import { Duration } from '../../../cluster/config/duration.js'
import type { AnyFlag } from '../../../cluster/config/flag-table.js'

const names = Object.keys(commands) as CommandName[]
const requiredArgs: Record<CommandName, string[]> = {
  master: [],
  agent: [],
  local: [],
  execute: ['--name=sleep', '--command=sleep 1'],
  nats: [],
  'start-cluster': [],
  'stop-cluster': [],
  ps: [],
  cat: [],
  tail: [],
}

t.test('every table is well formed and every default parses', async (t) => {
  for (const name of names) {
    const table = commands[name].flags as Record<string, AnyFlag>
    const seen = new Map<string, string>()
    for (const [flag, spec] of Object.entries(table)) {
      t.match(flag, /^[a-z][a-z0-9_]*$/, `${name} --${flag} is snake_case`)
      t.notOk(flag.startsWith('no_') || flag.startsWith('no-'), `${name} --${flag} does not use the reserved no- prefix`)
      t.ok(spec.help.length > 10, `${name} --${flag} has help`)
      for (const n of [flag, ...(spec.aliases ?? [])]) {
        t.notOk(seen.has(n), `${name}: '${n}' names only one flag`)
        seen.set(n, flag)
      }
    }
    const { flags, sources } = parseCommandFlags(name, { argv: requiredArgs[name] })
    for (const [flag, spec] of Object.entries(table)) {
      if (spec.default !== undefined) t.equal(sources[flag as keyof typeof sources], 'default', `${name} --${flag} has its default`)
      else if (spec.required !== true) t.equal((flags as Record<string, unknown>)[flag], undefined, `${name} --${flag} is unset`)
    }
  }
  t.ok(isCommandName('agent'))
  t.notOk(isCommandName('toString'))
})

t.test("the master's Mesos defaults", async (t) => {
  const { flags } = parseCommandFlags('master')
  const timeout: Duration = flags.agent_ping_timeout
  t.equal(String(timeout), '15secs')
  t.equal(flags.port, 5050)
  t.equal(flags.max_agent_ping_timeouts, 5)
  t.equal(String(flags.allocation_interval), '1secs')
  t.equal(flags.min_allocatable_resources, 'cpus:0.01|mem:32')
  t.equal(String(flags.agent_reregister_timeout), '10mins')
  t.equal(flags.max_completed_frameworks, 50)
  t.equal(flags.max_completed_tasks_per_framework, 1000)
  t.equal(flags.max_unreachable_tasks_per_framework, 1000)
  t.equal(String(flags.offer_timeout), '1mins', 'mesos-ts rescinds offers after a minute (Mesos: never)')
  t.equal(flags.registry, 'jetstream')
  t.equal(flags.registry_replicas, 1)
  t.equal(String(flags.master_lease), '3secs')
  t.equal(flags.work_dir, undefined)
  t.equal(flags.cluster, 'mesos')
  t.same(flags.nats, ['nats://127.0.0.1:4222'])
  t.equal(flags.logging_level, 'INFO')
})

t.test("the master's checks and Mesos's old names", async (t) => {
  t.equal(parseCommandFlags('master', { argv: ['--slave_ping_timeout=30secs'] }).flags.agent_ping_timeout.secs, 30)
  t.equal(parseCommandFlags('master', { env: { MESOS_MAX_SLAVE_PING_TIMEOUTS: '3' } }).flags.max_agent_ping_timeouts, 3)
  t.throws(() => parseCommandFlags('master', { argv: ['--agent_ping_timeout=20mins'] }), {
    message: "--agent_ping_timeout: expected a duration between 1secs and 15mins, got '20mins'",
  })
  t.throws(() => parseCommandFlags('master', { argv: ['--agent_reregister_timeout=5mins'] }), {
    message: "--agent_reregister_timeout: expected a duration of at least 10mins, got '5mins'",
  })
  t.throws(() => parseCommandFlags('master', { argv: ['--max_agent_ping_timeouts=0'] }), { message: "--max_agent_ping_timeouts: expected an integer of at least 1, got '0'" })
  t.throws(() => parseCommandFlags('master', { argv: ['--allocation_interval=0secs'] }), { message: "--allocation_interval: expected a duration greater than 0, got '0secs'" })
  t.throws(() => parseCommandFlags('master', { argv: ['--zk=zk://zk1:2181/mesos'] }), {
    code: 'UNSUPPORTED_FLAG',
    message: "'--zk' is not supported by mesos-ts master: masters elect their leader through NATS JetStream KV, not ZooKeeper; point --nats at the NATS server(s)",
  })
  t.throws(() => parseCommandFlags('master', { argv: ['--quorum=2'] }), { code: 'UNSUPPORTED_FLAG', message: /set --registry_replicas/ })
  t.throws(() => parseCommandFlags('master', { argv: ['--resources=cpus:4'] }), { code: 'UNKNOWN_FLAG', message: "unknown flag '--resources' (it is a flag of 'agent', 'local', 'execute')" })
  t.throws(() => parseCommandFlags('master', { argv: ['--cluster=a b'] }), {
    message: "--cluster: expected a subject prefix: letters, digits, '_' and '-', in tokens separated by '.', got 'a b'",
  })
  t.equal(parseCommandFlags('master', { argv: ['--cluster=prod.eu-1'] }).flags.cluster, 'prod.eu-1')
  t.same(parseCommandFlags('master', { argv: ['--nats=nats://a:4222,b:4223'] }).flags.nats, ['nats://a:4222', 'b:4223'])
  t.throws(() => parseCommandFlags('master', { argv: ['--nats=http://a:4222'] }), { message: "--nats: expected NATS server URLs such as nats://host:4222, got 'http://a:4222'" })
  t.throws(() => parseCommandFlags('master', { argv: ['--ip=localhost'] }), { message: "--ip: expected an IPv4 or IPv6 address, got 'localhost'" })
})

t.test("the agent's Mesos defaults and values", async (t) => {
  const { flags } = parseCommandFlags('agent')
  t.equal(flags.port, 5051)
  t.equal(flags.work_dir, '/tmp/mesos')
  t.equal(flags.executor, 'command')
  t.equal(String(flags.executor_shutdown_grace_period), '5secs')
  t.equal(String(flags.executor_registration_timeout), '1mins')
  t.equal(flags.recover, 'reconnect')
  t.equal(String(flags.recovery_timeout), '15mins')
  t.equal(flags.strict, true)
  t.equal(String(flags.gc_delay), '1weeks')
  t.equal(flags.gc_disk_headroom, 0.1)
  t.same(flags.isolation, ['posix/cpu', 'posix/mem'])
  t.equal(flags.default_role, '*')
  t.equal(flags.master, undefined)
  const set = parseCommandFlags('agent', { argv: ['--master=nats://m1:4222,nats://m2:4222', '--executor=emulated', '--recover=cleanup', '--no-strict'] }).flags
  t.same(set.master, { kind: 'nats', servers: ['nats://m1:4222', 'nats://m2:4222'] })
  t.equal(set.executor, 'emulated')
  t.equal(set.recover, 'cleanup')
  t.equal(set.strict, false)
  t.throws(() => parseCommandFlags('agent', { argv: ['--executor=docker'] }), { message: "--executor: expected one of command, emulated, got 'docker'" })
  t.throws(() => parseCommandFlags('agent', { argv: ['--gc_disk_headroom=1.5'] }), { message: "--gc_disk_headroom: expected a number between 0 and 1, got '1.5'" })
})

t.test("the seed's mesos.conf files", async (t) => {
  const dir = t.testdir({
    master: { 'mesos.conf': 'log_dir=/home/dummy/mesos/log/\n' },
    slave: { 'mesos.conf': 'master=master:5050\nlog_dir=/home/dummy/mesos/log\nresources=cpus:4;mem:2300\n' },
  })
  const master = parseCommandFlags('master', { argv: [`--conf=${join(dir, 'master')}`] })
  t.equal(master.flags.log_dir, '/home/dummy/mesos/log/')
  t.equal(master.configFile, join(dir, 'master', 'mesos.conf'))

  const agent = parseCommandFlags('agent', { env: { MESOS_CONFIG: join(dir, 'slave', 'mesos.conf') } })
  t.same(agent.flags.master, { kind: 'http', host: 'master', port: 5050 })
  t.equal(agent.flags.log_dir, '/home/dummy/mesos/log')
  t.equal(agent.flags.resources, 'cpus:4;mem:2300')
  t.equal(agent.sources.resources, 'config file')
  t.same(agent.warnings, [])

  const file = join(dir, 'slave', 'mesos.conf')
  t.throws(() => parseCommandFlags('master', { argv: [`--config=${file}`] }), {
    code: 'UNKNOWN_KEY',
    message: `${file}:1: unknown key 'master' (it is a flag of 'agent', 'execute', 'ps', 'cat', 'tail')`,
  })
})

t.test('local, execute and nats', async (t) => {
  const local = parseCommandFlags('local').flags
  t.equal(local.num_agents, 3)
  t.equal(local.port, 5050)
  t.equal(local.nats, false)
  t.match(local.work_dir, /mesos[/\\]work$/)
  t.equal(String(local.agent_ping_timeout), '15secs', 'the master tunables')
  t.equal(String(local.gc_delay), '1weeks', 'the agent tunables')
  t.equal(parseCommandFlags('local', { argv: ['--num_slaves=2'] }).flags.num_agents, 2)
  t.equal(parseCommandFlags('local', { argv: ['--nats'] }).flags.nats, true)
  t.equal(parseCommandFlags('local', { argv: ['--nats=nats://h:4222'] }).flags.nats, 'nats://h:4222')
  t.throws(() => parseCommandFlags('local', { argv: ['--master=m:5050'] }), { code: 'UNKNOWN_FLAG' }, 'a local cluster has its own master')

  const execute = parseCommandFlags('execute', { argv: ['--name=hello', '--command=echo hi', '--env={"A":"1","B":"two"}', '--kill_after=10secs'] }).flags
  const name: string = execute.name
  t.equal(name, 'hello')
  t.equal(execute.command, 'echo hi')
  t.equal(execute.resources, 'cpus:0.1;mem:32')
  t.equal(execute.instances, 1)
  t.equal(execute.role, '*')
  t.equal(execute.shell, true)
  t.equal(execute.checkpoint, false)
  t.same(execute.env, { A: '1', B: 'two' })
  t.equal(execute.kill_after?.secs, 10)
  t.throws(() => parseCommandFlags('execute', { argv: ['--command=true'] }), { code: 'MISSING_REQUIRED', message: /^missing required flag --name / })
  t.throws(() => parseCommandFlags('execute', { argv: ['--name=a', '--command=b', '--env={"A":1}'] }), {
    message: `--env: expected a JSON object of strings, e.g. {"NAME":"value"}, got '{"A":1}' (the value of 'A' is not a string)`,
  })
  t.throws(() => parseCommandFlags('execute', { argv: ['--name=a', '--command=b', '--env=[1]'] }), { message: /got '\[1\]' \(not a JSON object\)$/ })
  t.throws(() => parseCommandFlags('execute', { argv: ['--name=a', '--command=b', '--env={'] }), { message: /\(not JSON: / })

  const nats = parseCommandFlags('nats').flags
  t.equal(nats.port, 4222)
  t.equal(nats.cluster_size, 1)
  t.equal(nats.ip, '127.0.0.1')
  t.equal(nats.http_port, undefined)
  t.throws(() => parseCommandFlags('nats', { argv: ['--cluster_size=0'] }), { message: "--cluster_size: expected an integer between 1 and 7, got '0'" })
})

t.test("Mesos's logging levels map to pino's", async (t) => {
  t.equal(pinoLevel('WARNING'), 'warn')
  t.equal(pinoLevel('INFO'), 'info')
  t.equal(pinoLevel('ERROR'), 'error')
  t.equal(pinoLevel('DEBUG'), 'debug')
  t.equal(parseCommandFlags('agent', { argv: ['--logging_level=warning'] }).flags.logging_level, 'WARNING')
})
