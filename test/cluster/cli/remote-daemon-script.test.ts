import t from 'tap'
import { execFileSync } from 'node:child_process'
import { shellQuote, startScript } from '../../../cluster/cli/remote-daemon-script.js'
import { sshArgs } from '../../../cluster/cli/ssh-runner.js'

t.test('shellQuote survives sh for any text', async (t) => {
  for (const text of ["it's", 'cpus:4;mem:2300', '$(rm -rf /) `x` "y"', ' spaced ', '']) {
    t.equal(execFileSync('sh', ['-c', `printf %s ${shellQuote(text)}`], { encoding: 'utf8' }), text)
  }
})

t.test('startScript: the environment quoted, the limit tried, a pid file', async (t) => {
  const script = startScript({ role: 'agent', host: 'slave1', mesosTs: '/opt/mesos-ts', env: { MESOS_RESOURCES: 'cpus:4;mem:2300' }, runDir: '/run/m', logDir: undefined, openFiles: 8192, readyPattern: 'is up', readySeconds: 30 })
  t.match(script, "env MESOS_RESOURCES='cpus:4;mem:2300' setsid nohup /opt/mesos-ts agent < /dev/null > \"$out_file\" 2>&1 &")
  t.match(script, 'if ! ulimit -Sn 8192 2>/dev/null; then')
  t.match(script, "pid_file='/run/m/mesos-ts-agent-slave1.pid'")
  t.match(script, "out_file='/run/m/mesos-ts-agent-slave1.out'")
  t.throws(() => startScript({ role: 'agent', host: 'slave1', mesosTs: 'x', env: { 'A B': '1' }, runDir: '/r', logDir: undefined, openFiles: 1, readyPattern: 'x', readySeconds: 1 }))
})

t.test('sshArgs: BatchMode always, the operator\'s options, then the host', async (t) => {
  t.same(sshArgs({ ssh: 'ssh', options: ' -p 2222  -i key ' }, 'mesos@slave1'), ['-o', 'BatchMode=yes', '-p', '2222', '-i', 'key', '--', 'mesos@slave1', 'sh -s'])
})
