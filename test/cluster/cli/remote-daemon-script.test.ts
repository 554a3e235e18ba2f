import t from 'tap'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { shellQuote, startScript, stopScript } from '../../../cluster/cli/remote-daemon-script.js'
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

t.test('the scripts run by sh: started, already running, a daemon that dies at once, stopped', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mesos-ts-script-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  // A stand-in for mesos-ts: the agent comes up and stays; the master fails at once.
  const fake = join(dir, 'fake-mesos-ts')
  writeFileSync(fake, 'case "$1" in agent) echo "agent is up: $MESOS_RESOURCES"; exec sleep 60;; *) echo "boom: no NATS"; exit 3;; esac\n')
  const sh = (script: string) => {
    try {
      return { code: 0, stdout: execFileSync('sh', ['-s'], { input: script, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] }), stderr: '' }
    } catch (err) {
      const e = err as { status: number; stdout: string; stderr: string }
      return { code: e.status, stdout: e.stdout, stderr: e.stderr }
    }
  }
  const spec = { host: 'h1', mesosTs: `sh ${shellQuote(fake)}`, env: { MESOS_RESOURCES: 'cpus:4;mem:2300' }, runDir: join(dir, 'run'), logDir: undefined, openFiles: 1024, readyPattern: 'is up', readySeconds: 10 }

  const started = sh(startScript({ ...spec, role: 'agent' }))
  t.equal(started.code, 0, started.stderr)
  t.match(started.stdout, /^started \(pid (\d+)\)\n$/)
  const pid = Number(readFileSync(join(dir, 'run', 'mesos-ts-agent-h1.pid'), 'utf8'))
  t.teardown(() => {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // Stopped by the test.
    }
  })
  t.equal(readFileSync(join(dir, 'run', 'mesos-ts-agent-h1.out'), 'utf8'), 'agent is up: cpus:4;mem:2300\n', 'the environment reached the daemon')
  t.equal(sh(startScript({ ...spec, role: 'agent' })).stdout, `already running (pid ${pid})\n`)

  const crashed = sh(startScript({ ...spec, role: 'master' }))
  t.equal(crashed.code, 1)
  t.match(crashed.stderr, /mesos-ts master exited at once; the end of .*mesos-ts-master-h1\.out:\nboom: no NATS\n/)

  const unraisable = sh(startScript({ ...spec, role: 'master', openFiles: 2 ** 40 }))
  t.match(unraisable.stderr, /^warning: could not raise the open-file limit to 1099511627776 \(ulimit -Sn 1099511627776: the hard limit is \S+\); carrying on with \S+$/m)

  const stopped = sh(stopScript({ role: 'agent', host: 'h1', runDir: join(dir, 'run'), graceSeconds: 10 }))
  t.equal(stopped.stdout, `stopped (pid ${pid})\n`)
  t.match(sh(stopScript({ role: 'agent', host: 'h1', runDir: join(dir, 'run'), graceSeconds: 10 })).stdout, /^not running \(no pid file/)
})
