// The seed's operator path end to end: deploy files and a mesos.conf, start-cluster over a real
// sshd (started by the test on 127.0.0.1), a task run with execute, read with cat, seen in ps,
// then stop-cluster leaving no process behind.

import t from 'tap'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { freePort } from '../../../cluster/nats-server.js'
import { runCli, tempDir } from './support/cli.js'
import { activeAgents, alive, killLeftovers, runningPids, seedClusterSkip as skip, seedLayout, until } from './support/seed-cluster.js'
import { startSshd } from './support/sshd.js'

// Each test starts NATS, a master and agents as real processes.
t.setTimeout(300_000)
if (skip !== false) t.comment(`skipping the ssh tests: ${skip}`)

t.test('start-cluster, execute, cat, ps, stop-cluster on 127.0.0.1 over ssh', { skip }, async (t) => {
  const sshd = await startSshd(t)
  const [natsPort, masterPort, agentPort] = [await freePort(), await freePort(), await freePort()]
  const prefix = tempDir(t, 'mesos-ts-seed-work-')
  const layout = seedLayout(t, {
    masters: '127.0.0.1\n',
    slaves: '# the seed had three; one host here\n127.0.0.1\n',
    conf: [`log_dir=${join(prefix, 'log')}`, 'master=master:5050', 'resources=cpus:4;mem:2300', `work_dir=${join(prefix, 'work')}`, ''].join('\n'),
  })
  killLeftovers(t, layout.runDir)
  const common = [`--deploy_dir=${layout.deployDir}`, `--ssh_options=${sshd.sshOptions}`, `--run_dir=${layout.runDir}`]

  const started = await runCli(t, ['start-cluster', ...common, `--nats_port=${natsPort}`, `--master_port=${masterPort}`, `--agent_port=${agentPort}`, '--quiet'])
  t.equal(started.code, 0, `start-cluster exits 0\n${started.stdout}${started.stderr}`)
  t.match(started.stdout, /^nats 127\.0\.0\.1: started \(pid \d+\)$/m)
  t.match(started.stdout, /^master 127\.0\.0\.1: started \(pid \d+\)$/m)
  t.match(started.stdout, /^agent 127\.0\.0\.1: started \(pid \d+\)$/m)
  t.equal(runningPids(layout.runDir).length, 3, 'a pid file per daemon')
  t.ok(existsSync(join(prefix, 'log', 'mesos-ts-agent-127.0.0.1.out')), 'daemon output goes to mesos.conf\'s log_dir')

  const again = await runCli(t, ['start-cluster', ...common, `--nats_port=${natsPort}`, `--master_port=${masterPort}`, `--agent_port=${agentPort}`, '--quiet'])
  t.equal(again.code, 0)
  t.match(again.stdout, /^agent 127\.0\.0\.1: already running \(pid \d+\)$/m, 'a second start-cluster leaves running daemons alone')

  t.equal(await until('the agent registering', () => activeAgents(masterPort)), 1)
  const state = (await (await fetch(`http://127.0.0.1:${masterPort}/master/state`)).json()) as { slaves: Array<{ resources: { cpus: number; mem: number } }> }
  t.same({ cpus: state.slaves[0].resources.cpus, mem: state.slaves[0].resources.mem }, { cpus: 4, mem: 2300 }, 'mesos.conf\'s resources reached the agent')

  const master = `--master=127.0.0.1:${masterPort}`
  const run = await runCli(t, ['execute', master, '--name=seed-task', '--command=echo to-stdout; echo to-stderr >&2', '--quiet'])
  t.equal(run.code, 0, `the task ran\n${run.stdout}${run.stderr}`)
  const stderr = await runCli(t, ['cat', master, 'seed-task', 'stderr', '--quiet'])
  t.equal(stderr.code, 0, stderr.stderr)
  t.match(stderr.stdout, /to-stderr\n/)
  const stdout = await runCli(t, ['cat', master, 'seed-task', '--quiet'])
  t.match(stdout.stdout, /to-stdout\n/)
  const ps = await runCli(t, ['ps', master, '--all', '--quiet'])
  t.equal(ps.code, 0, ps.stderr)
  t.match(ps.stdout, /^FRAMEWORK +TASK ID +NAME +STATE +HOST +CPUS +MEM$/m)
  t.match(ps.stdout, /seed-task +seed-task +TASK_FINISHED +\S+ +0\.1 +32 MB/)

  const pids = runningPids(layout.runDir)
  const stopped = await runCli(t, ['stop-cluster', ...common, '--quiet'])
  t.equal(stopped.code, 0, `stop-cluster exits 0\n${stopped.stdout}${stopped.stderr}`)
  t.match(stopped.stdout, /^agent 127\.0\.0\.1: stopped \(pid \d+\)$/m)
  t.match(stopped.stdout, /^master 127\.0\.0\.1: stopped \(pid \d+\)$/m)
  t.match(stopped.stdout, /^nats 127\.0\.0\.1: stopped \(pid \d+\)$/m)
  t.ok(stopped.stdout.indexOf('agent 127.0.0.1: stopped') < stopped.stdout.indexOf('master 127.0.0.1: stopped'), 'agents stop before masters')
  t.same(pids.filter(alive), [], 'no daemon is left running')
  t.same(runningPids(layout.runDir), [], 'the pid files are gone')

  const twice = await runCli(t, ['stop-cluster', ...common, '--quiet'])
  t.equal(twice.code, 0)
  t.match(twice.stdout, /^agent 127\.0\.0\.1: not running \(no pid file/m)
})

t.test('a hard open-file limit below 8192: a warning naming it, and the cluster still starts', { skip }, async (t) => {
  const sshd = await startSshd(t, { hardOpenFiles: 1024 })
  const [natsPort, masterPort] = [await freePort(), await freePort()]
  const prefix = tempDir(t, 'mesos-ts-seed-work-')
  const layout = seedLayout(t, { masters: '127.0.0.1\n', slaves: '', conf: `log_dir=${join(prefix, 'log')}\n` })
  killLeftovers(t, layout.runDir)
  const common = [`--deploy_dir=${layout.deployDir}`, `--ssh_options=${sshd.sshOptions}`, `--run_dir=${layout.runDir}`, '--quiet']
  const started = await runCli(t, ['start-cluster', ...common, `--nats_port=${natsPort}`, `--master_port=${masterPort}`])
  t.equal(started.code, 0, `${started.stdout}${started.stderr}`)
  t.match(started.stdout, /^master 127\.0\.0\.1: warning: could not raise the open-file limit to 8192 \(ulimit -Sn 8192: the hard limit is 1024\); carrying on with 1024$/m)
  t.match(started.stdout, /^master 127\.0\.0\.1: started \(pid \d+\)$/m)
  const health = await until('the master answering', async () => ((await fetch(`http://127.0.0.1:${masterPort}/health`)).ok ? true : undefined))
  t.ok(health)
  const pids = runningPids(layout.runDir)
  const stopped = await runCli(t, ['stop-cluster', ...common])
  t.equal(stopped.code, 0, stopped.stdout)
  t.same(pids.filter(alive), [])
})

const noSshClient = existsSync('/usr/bin/ssh') ? false : 'no ssh client (apt-get install -y openssh-client)'

t.test('a host ssh cannot reach is reported by name with ssh\'s error, exit 1', { skip: noSshClient }, async (t) => {
  const closedPort = await freePort()
  const layout = seedLayout(t, { masters: '127.0.0.1\n', slaves: '127.0.0.1\n', conf: '' })
  const result = await runCli(t, ['start-cluster', `--deploy_dir=${layout.deployDir}`, `--ssh_options=-p ${closedPort} -F /dev/null -o ConnectTimeout=5`, `--run_dir=${layout.runDir}`, '--quiet'])
  t.equal(result.code, 1)
  t.match(result.stdout, new RegExp(`^nats 127\\.0\\.0\\.1: failed: ssh: .*port ${closedPort}.*refused`, 'm'))
  t.match(result.stdout, /NATS did not start: not starting the masters and agents/)
})

t.test('bad input names the file and line', async (t) => {
  const missing = await runCli(t, ['start-cluster', '--deploy_dir=/nonexistent/deploy', '--quiet'])
  t.equal(missing.code, 2)
  t.match(missing.stderr, /^mesos-ts start-cluster: --deploy_dir: '\/nonexistent\/deploy' does not exist/)

  const badHost = seedLayout(t, { masters: 'master\n', slaves: 'slave1\nnot a host\n', conf: '' })
  const host = await runCli(t, ['start-cluster', `--deploy_dir=${badHost.deployDir}`, '--quiet'])
  t.equal(host.code, 2)
  t.match(host.stderr, /deploy\/slaves:2: expected one host per line, got 'not a host'/)

  const badKey = seedLayout(t, { masters: 'master\n', slaves: 'slave1\n', conf: 'log_dir=/tmp/x\nresouces=cpus:4\n' })
  const key = await runCli(t, ['start-cluster', `--deploy_dir=${badKey.deployDir}`, '--quiet'])
  t.equal(key.code, 2)
  t.match(key.stderr, /conf\/mesos\.conf:2: unknown key 'resouces' \(neither a master nor an agent flag\) \(did you mean 'resources'\?\)/)

  const badValue = seedLayout(t, { masters: 'master\n', slaves: 'slave1\n', conf: 'port=fifty\n' })
  const value = await runCli(t, ['start-cluster', `--deploy_dir=${badValue.deployDir}`, '--quiet'])
  t.equal(value.code, 2)
  t.match(value.stderr, /conf\/mesos\.conf:1: port: expected an integer/)
})
