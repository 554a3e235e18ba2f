import t from 'tap'
import { readClusterConf } from '../../../cluster/config/cluster-conf.js'
import { ConfigError } from '../../../cluster/config/errors.js'

const files = (text: string) => (path: string) => {
  if (path === 'mesos.conf') return text
  throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' })
}

t.test("the seed's mesos.conf: each daemon gets the keys it knows, as MESOS_* variables", async (t) => {
  const conf = readClusterConf('mesos.conf', files('log_dir=/var/log/mesos\nmaster=master:5050\nresources=cpus:4;mem:2300\nallocation_interval=2secs\n'))
  t.equal(conf.path, 'mesos.conf')
  t.same(conf.master, { MESOS_LOG_DIR: '/var/log/mesos', MESOS_ALLOCATION_INTERVAL: '2secs' })
  t.same(conf.agent, { MESOS_LOG_DIR: '/var/log/mesos', MESOS_MASTER: 'master:5050', MESOS_RESOURCES: 'cpus:4;mem:2300' })
})

t.test('no file: no variables', async (t) => {
  t.same(readClusterConf(undefined), { path: undefined, master: {}, agent: {} })
})

t.test('a key neither daemon knows names the file and line, with the closest key', async (t) => {
  t.throws(() => readClusterConf('mesos.conf', files('log_dir=/x\n\nresouces=cpus:4\n')), {
    code: 'UNKNOWN_KEY',
    message: "mesos.conf:3: unknown key 'resouces' (neither a master nor an agent flag) (did you mean 'resources'?)",
  })
  t.throws(() => readClusterConf('mesos.conf', files('zk=zk://a:2181/mesos\n')), { code: 'UNSUPPORTED_FLAG', message: /^mesos\.conf:1: 'zk' is not supported: / })
})

t.test("a bad value is checked by the daemon's own table, with its line", async (t) => {
  const err = t.throws(() => readClusterConf('mesos.conf', files('log_dir=/x\nresources=cpus:4\nmax_agent_ping_timeouts=zero\n'))) as ConfigError
  t.equal(err.code, 'INVALID_VALUE')
  t.match(err.message, /^mesos\.conf:3: max_agent_ping_timeouts: expected an integer/)
})

t.test('a missing file is one clear error', async (t) => {
  t.throws(() => readClusterConf('other.conf', files('')), { code: 'UNREADABLE_FILE', message: /cannot read config file 'other\.conf'/ })
})
