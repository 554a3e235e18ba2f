import t from 'tap'
import { parsePid, makePid, isValidPid, subjectOf, pidOfSubject, checkClusterPrefix, nodeOf, PidError } from '../../runtime/index.js'

t.test('valid pids parse into name and node', async t => {
  t.same(parsePid('master@m1'), { name: 'master', node: 'm1' })
  t.same(parsePid('agent-3@host_2'), { name: 'agent-3', node: 'host_2' })
  t.equal(makePid('scheduler-9f2c', 'host7'), 'scheduler-9f2c@host7')
  t.equal(nodeOf('agent-3@host2'), 'host2')
  t.ok(isValidPid('a@b'))
})

t.test('illegal characters are rejected with the character named', async t => {
  const cases: Array<[string, RegExp]> = [
    ['mas.ter@m1', /illegal character '\.' in the name/],
    ['master@host.example.com', /illegal character '\.' in the node/],
    ['a*b@n', /illegal character '\*' in the name/],
    ['a@n>', /illegal character '>' in the node/],
    ['a b@n', /illegal character U\+0020 in the name/],
    ['a@b@c', /illegal character '@' in the node/],
    ['master', /missing '@'/],
    ['@n1', /the name is empty/],
    ['a@', /the node is empty/],
  ]
  for (const [pid, message] of cases) {
    t.throws(() => parsePid(pid), { name: 'PidError', code: 'INVALID_PID', message }, pid)
    t.notOk(isValidPid(pid), `isValidPid(${pid}) is false`)
  }
  t.throws(() => makePid('x'.repeat(200), 'n'), PidError)
})

t.test('pids map to one subject each, and back', async t => {
  t.equal(subjectOf('mesos', 'master@m1'), 'mesos.pid.master.m1')
  t.equal(subjectOf('prod.east', 'agent-3@host2'), 'prod.east.pid.agent-3.host2')
  t.equal(pidOfSubject('mesos', 'mesos.pid.master.m1'), 'master@m1')
  t.equal(pidOfSubject('prod.east', 'prod.east.pid.agent-3.host2'), 'agent-3@host2')
  t.equal(pidOfSubject('mesos', 'other.pid.a.b'), undefined)
  t.equal(checkClusterPrefix('prod.east'), 'prod.east')
  t.throws(() => checkClusterPrefix('prod..east'), /'' is not a legal subject token/)
  t.throws(() => checkClusterPrefix('prod*'), /'prod\*' is not a legal subject token/)
})
