// start-cluster across several hosts: the master in this network namespace, two agents in
// namespaces of their own, each reached through its own sshd, as the seed's master and slaves.

import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { freePort } from '../../../cluster/nats-server.js'
import { runCli, tempDir } from './support/cli.js'
import { hostNamespaces, netnsSkipReason } from './support/netns.js'
import { activeAgents, alive, killLeftovers, netnsOf, runningPids, seedClusterSkip, seedLayout, until } from './support/seed-cluster.js'
import { sshKeys, startSshd } from './support/sshd.js'

t.setTimeout(300_000)
const netnsSkip = seedClusterSkip || netnsSkipReason()
if (netnsSkip !== false) t.comment(`skipping: ${netnsSkip}`)

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

