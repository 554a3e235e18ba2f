// The seed's operator path end to end: deploy files and a mesos.conf, start-cluster over a real
// sshd (started by the test on 127.0.0.1), a task run with execute, read with cat, seen in ps,
// then stop-cluster leaving no process behind.

import t, { type Test } from 'tap'
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { freePort, natsServerPath } from '../../../cluster/nats-server.js'
import { runCli, tempDir } from './support/cli.js'
import { hostNamespaces, netnsSkipReason } from './support/netns.js'
import { sshdSkipReason, sshKeys, startSshd } from './support/sshd.js'

const skip = sshdSkipReason() || (natsServerPath() === undefined ? 'no nats-server binary (apt-get install -y nats-server)' : false)
if (skip !== false) t.comment(`skipping the ssh tests: ${skip}`)

interface SeedLayout {
  prefix: string
  deployDir: string
  runDir: string
}

/** `<prefix>/var/mesos/{deploy,conf}` as the seed lays them out. */
function seedLayout(t: Test, files: { masters: string; slaves: string; conf: string }): SeedLayout {
  const prefix = tempDir(t, 'mesos-ts-seed-')
  const deployDir = join(prefix, 'var/mesos/deploy')
  mkdirSync(deployDir, { recursive: true })
  mkdirSync(join(prefix, 'var/mesos/conf'), { recursive: true })
  writeFileSync(join(deployDir, 'masters'), files.masters)
  writeFileSync(join(deployDir, 'slaves'), files.slaves)
  writeFileSync(join(prefix, 'var/mesos/conf/mesos.conf'), files.conf)
  return { prefix, deployDir, runDir: join(prefix, 'run') }
}

function runningPids(runDir: string): number[] {
  if (!existsSync(runDir)) return []
  return readdirSync(runDir)
    .filter((f) => f.endsWith('.pid'))
    .map((f) => Number(readFileSync(join(runDir, f), 'utf8').trim()))
    .filter((pid) => pid > 0)
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** Whatever start-cluster left running is killed, even when the test failed before stop-cluster. */
function killLeftovers(t: Test, runDir: string): void {
  t.teardown(() => {
    for (const pid of runningPids(runDir)) {
      try {
        process.kill(-pid, 'SIGKILL')
      } catch {
        // Already gone.
      }
    }
  })
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms
  let last: unknown
  for (;;) {
    try {
      const value = await probe()
      if (value !== undefined) return value
    } catch (err) {
      last = err
    }
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${ms} ms${last ? `: ${String(last)}` : ''}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

async function activeAgents(masterPort: number, atLeast = 1): Promise<number | undefined> {
  const state = (await (await fetch(`http://127.0.0.1:${masterPort}/master/state`)).json()) as { slaves: Array<{ active: boolean }> }
  const n = state.slaves.filter((s) => s.active).length
  return n >= atLeast ? n : undefined
}

function netnsOf(pid: number | 'self'): string {
  return readlinkSync(`/proc/${pid}/ns/net`)
}

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

const netnsSkip = skip || netnsSkipReason()

t.test('several hosts: the master here, two agents in network namespaces, each its own sshd', { skip: netnsSkip }, async (t) => {
  const [first, second] = hostNamespaces(t, 2)
  const keys = sshKeys(t)
  const sshPort = await freePort()
  const work = tempDir(t, 'mesos-ts-hosts-')
  // The master's host is the root namespace, at the address the agents reach it by.
  await startSshd(t, { keys, port: sshPort, listen: first.rootIp })
  // Each agent "host" has its own hostname and disk: sshd gives its sessions those variables.
  const agentHosts = [first, second]
  const sshds = await Promise.all(
    agentHosts.map((ns, i) => startSshd(t, { keys, port: sshPort, listen: ns.ip, netns: ns.name, setEnv: { MESOS_HOSTNAME: ns.ip, MESOS_WORK_DIR: join(work, `agent${i + 1}`) } })),
  )
  const [natsPort, masterPort, agentPort] = [await freePort(), await freePort(), await freePort()]
  const layout = seedLayout(t, {
    masters: `${first.rootIp}\n`,
    slaves: agentHosts.map((ns) => ns.ip).join('\n') + '\n',
    conf: [`log_dir=${join(work, 'log')}`, `master=${first.rootIp}:5050`, 'resources=cpus:4;mem:2300', ''].join('\n'),
  })
  killLeftovers(t, layout.runDir)
  const common = [`--deploy_dir=${layout.deployDir}`, `--ssh_options=${sshds[0].sshOptions}`, `--run_dir=${layout.runDir}`, '--quiet']

  const started = await runCli(t, ['start-cluster', ...common, `--nats_port=${natsPort}`, `--master_port=${masterPort}`, `--agent_port=${agentPort}`])
  t.equal(started.code, 0, `${started.stdout}${started.stderr}`)
  for (const ns of agentHosts) t.match(started.stdout, new RegExp(`^agent ${ns.ip.replace(/\./g, '\\.')}: started \\(pid \\d+\\)$`, 'm'))
  t.equal(await until('both agents registering', () => activeAgents(masterPort, 2)), 2)
  const agentPids = agentHosts.map((ns) => Number(readFileSync(join(layout.runDir, `mesos-ts-agent-${ns.ip}.pid`), 'utf8')))
  t.equal(new Set([netnsOf('self'), ...agentPids.map(netnsOf)]).size, 3, 'each agent runs in its own network namespace')

  const master = `--master=127.0.0.1:${masterPort}`
  const run = await runCli(t, ['execute', master, '--name=far-task', '--command=echo from $MESOS_SANDBOX', '--quiet'])
  t.equal(run.code, 0, `${run.stdout}${run.stderr}`)
  const ps = await runCli(t, ['ps', master, '--all', '--quiet'])
  const host = new RegExp(`far-task +far-task +TASK_FINISHED +(${agentHosts.map((ns) => ns.ip.replace(/\./g, '\\.')).join('|')}) `).exec(ps.stdout)
  t.ok(host, `ps shows the task on one of the namespaced hosts\n${ps.stdout}`)
  const cat = await runCli(t, ['cat', master, 'far-task', '--quiet'])
  t.equal(cat.code, 0, cat.stderr)
  t.match(cat.stdout, new RegExp(`^from ${join(work, 'agent')}[12]/`), 'cat read the sandbox from the agent on that host')

  const pids = runningPids(layout.runDir)
  t.equal(pids.length, 4, 'nats, the master and two agents')
  const stopped = await runCli(t, ['stop-cluster', ...common])
  t.equal(stopped.code, 0, stopped.stdout)
  t.same(pids.filter(alive), [], 'no daemon is left running')
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

t.test('a host ssh cannot reach is reported by name with ssh\'s error, exit 1', async (t) => {
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
