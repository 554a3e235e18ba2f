import t from 'tap'
import { join } from 'node:path'
import { parseHostsText, readDeployFiles, readHostsFile } from '../../../cluster/config/deploy-files.js'

t.test("the seed's deploy files", async (t) => {
  const dir = t.testdir({ masters: '#masters文件的内容\nmaster\n', slaves: 'slave1\nslave2\nslave3\n' })
  const deploy = readDeployFiles(dir)
  t.same(deploy.masters.map((h) => h.host), ['master'])
  t.same(deploy.agents.map((h) => h.host), ['slave1', 'slave2', 'slave3'])
  t.same(deploy.agents.map((h) => h.line), [1, 2, 3])
  t.equal(deploy.agentsFile, join(dir, 'slaves'))
  t.equal(deploy.mastersFile, join(dir, 'masters'))
})

t.test('`agents` is accepted when there is no `slaves` file', async (t) => {
  const dir = t.testdir({ masters: 'm1\n', agents: 'a1\n' })
  const deploy = readDeployFiles(dir)
  t.equal(deploy.agentsFile, join(dir, 'agents'))
  t.same(deploy.agents.map((h) => h.host), ['a1'])
})

t.test('comments, blank lines, users, addresses', async (t) => {
  const hosts = parseHostsText('# all agents\n\n  10.1.1.1  \n#10.1.1.2\nmesos@slave2   # the second\n[fe80::1]\n::1\nslave-3.example.com\r\n', 'slaves')
  t.same(hosts, [
    { destination: '10.1.1.1', host: '10.1.1.1', user: undefined, line: 3 },
    { destination: 'mesos@slave2', host: 'slave2', user: 'mesos', line: 5 },
    { destination: '[fe80::1]', host: 'fe80::1', user: undefined, line: 6 },
    { destination: '::1', host: '::1', user: undefined, line: 7 },
    { destination: 'slave-3.example.com', host: 'slave-3.example.com', user: undefined, line: 8 },
  ])
  t.same(parseHostsText('', 'slaves'), [], 'an empty file is an empty list')
})

t.test('errors name the file and line', async (t) => {
  t.throws(() => parseHostsText('slave1\nslave2 slave3\n', 'deploy/slaves'), {
    name: 'ConfigError',
    code: 'MALFORMED_LINE',
    file: 'deploy/slaves',
    line: 2,
    message: "deploy/slaves:2: expected one host per line, got 'slave2 slave3'",
  })
  t.throws(() => parseHostsText('slave_1!\n', 'slaves'), { code: 'MALFORMED_LINE', message: "slaves:1: 'slave_1!' is not a host name or IP address" })
  t.throws(() => parseHostsText('slave1\n# x\nslave1\n', 'slaves'), { code: 'DUPLICATE_HOST', line: 3, message: "slaves:3: host 'slave1' is already listed on line 1" })
  t.throws(() => parseHostsText('slave1\nroot@slave1\n', 'slaves'), { code: 'DUPLICATE_HOST' }, 'the same host with another user')
  const dir = t.testdir({ masters: 'm\n' })
  t.throws(() => readDeployFiles(dir), { code: 'UNREADABLE_FILE', file: join(dir, 'slaves'), message: /^cannot read '.*slaves': ENOENT/ })
  t.throws(() => readHostsFile(join(dir, 'nope')), { code: 'UNREADABLE_FILE' })
})
