import t from 'tap'
import { join } from 'node:path'
import { parseConfText, readConfFile, resolveConfPath } from '../../../cluster/config/conf-file.js'
import { ConfigError } from '../../../cluster/config/errors.js'

t.test("the seed's mesos.conf files", async (t) => {
  const agent = parseConfText('master=master:5050\nlog_dir=/home/dummy/mesos/log\nresources=cpus:4;mem:2300\n', 'mesos.conf')
  t.same(agent, [
    { key: 'master', value: 'master:5050', line: 1 },
    { key: 'log_dir', value: '/home/dummy/mesos/log', line: 2 },
    { key: 'resources', value: 'cpus:4;mem:2300', line: 3 },
  ])
  t.same(parseConfText('log_dir=/home/dummy/mesos/log/\n', 'mesos.conf'), [{ key: 'log_dir', value: '/home/dummy/mesos/log/', line: 1 }])
})

t.test('comments, blank lines, whitespace, = and ; in values, CRLF, BOM', async (t) => {
  const text = [
    '\uFEFF# a comment',
    '',
    '   ',
    '  resources =  cpus:4;mem:2300  ',
    '\t# indented comment',
    'attributes=rack=a;zone=b',
    'log_dir=/var/log/mesos # where logs go',
    "hostname = 'with # hash '",
    'cluster="prod"  # trailing',
    'work_dir=/tmp/a#b',
    'Port=5051',
    'empty=',
  ].join('\r\n')
  t.same(parseConfText(text, 'x.conf'), [
    { key: 'resources', value: 'cpus:4;mem:2300', line: 4 },
    { key: 'attributes', value: 'rack=a;zone=b', line: 6 },
    { key: 'log_dir', value: '/var/log/mesos', line: 7 },
    { key: 'hostname', value: 'with # hash ', line: 8 },
    { key: 'cluster', value: 'prod', line: 9 },
    { key: 'work_dir', value: '/tmp/a#b', line: 10 },
    { key: 'port', value: '5051', line: 11 },
    { key: 'empty', value: '', line: 12 },
  ])
})

t.test("lines from Mesos's mesos-*-env.sh files work too", async (t) => {
  t.same(parseConfText('export MESOS_LOG_DIR=/var/log/mesos\nMESOS_WORK_DIR="/var/lib/mesos"\n', 'env.sh'), [
    { key: 'log_dir', value: '/var/log/mesos', line: 1 },
    { key: 'work_dir', value: '/var/lib/mesos', line: 2 },
  ])
})

t.test('a malformed line names the file and line', async (t) => {
  const bad = (text: string, line: number, got: string) =>
    t.throws(() => parseConfText(text, 'mesos.conf'), { name: 'ConfigError', code: 'MALFORMED_LINE', file: 'mesos.conf', line, message: `mesos.conf:${line}: expected key=value, got '${got}'` })
  bad('port=5050\nresources cpus:4', 2, 'resources cpus:4')
  bad('=5050', 1, '=5050')
  bad('# ok\n\nlog dir=/x', 3, 'log dir=/x')
  bad('hostname="unclosed', 1, 'hostname="unclosed')
  bad("hostname='a' b", 1, "hostname='a' b")
  bad('1port=5', 1, '1port=5')
})

t.test('reading files; a directory means its mesos.conf', async (t) => {
  const dir = t.testdir({ 'mesos.conf': 'port=5051\n', 'other.conf': 'port=5052\n' })
  t.same(readConfFile(join(dir, 'other.conf')), { path: join(dir, 'other.conf'), entries: [{ key: 'port', value: '5052', line: 1 }] })
  t.same(readConfFile(dir).entries, [{ key: 'port', value: '5051', line: 1 }])
  t.equal(resolveConfPath(dir), join(dir, 'mesos.conf'))
  t.equal(resolveConfPath(join(dir, 'missing')), join(dir, 'missing'))
  const err = t.throws(() => readConfFile(join(dir, 'missing.conf')), { code: 'UNREADABLE_FILE', file: join(dir, 'missing.conf') })
  t.type(err, ConfigError)
  t.match((err as Error).message, /^cannot read config file '.*missing\.conf': ENOENT/)
})
