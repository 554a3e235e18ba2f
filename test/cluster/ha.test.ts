// High availability with real processes: three masters contending on the JetStream lease, two
// agents, a framework with a running task. SIGKILL the leader: a standby leads, agents and the
// framework follow it, and the task keeps running to completion (nothing reported lost).
import t from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort, natsServerPath, startNatsServer } from '../../cluster/nats-server.js'
import { mesos, type Proc } from './support/processes.js'

const skip = natsServerPath() ? false : 'nats-server is not installed (apt-get install -y nats-server)'

t.test('the leading master dies; a standby takes over; the task survives', { skip, timeout: 180_000 }, async t => {
  const nats = await startNatsServer()
  t.teardown(() => nats.stop())
  const work = mkdtempSync(join(tmpdir(), 'mesos-ts-ha-'))
  t.teardown(() => rmSync(work, { recursive: true, force: true }))
  const common = [`--nats=${nats.url}`, '--registry=jetstream', '--master_lease=2secs', '--allocation_interval=200ms']
  const ports: number[] = []
  while (ports.length < 5) {
    const port = await freePort()
    if (!ports.includes(port)) ports.push(port)
  }
  const masters: Proc[] = [0, 1, 2].map(i => mesos(t, ['master', ...common, `--hostname=m${i + 1}`, `--port=${ports[i]}`]))
  const elected = await Promise.race(masters.map((m, i) => m.waitFor(/elected leading master/).then(() => i)))
  const agents = [1, 2].map(i =>
    mesos(t, ['agent', `--master=${nats.url}`, `--work_dir=${join(work, `a${i}`)}`, `--hostname=h${i}`, `--port=${ports[2 + i]}`, '--resources=cpus:2;mem:1024;disk:100;ports:[31000-31010]', '--registration_backoff_factor=100ms']),
  )
  for (const a of agents) await a.waitFor(/registered with master@m\d-m\d+ as agent/)

  const exec = mesos(t, ['execute', `--master=${nats.url}`, '--name=survivor', '--command=sleep 8; echo done'])
  await exec.waitFor(/TASK_RUNNING for task 'survivor'/)

  masters[elected]!.child.kill('SIGKILL')
  const standbys = masters.filter((_, i) => i !== elected)
  await Promise.race(standbys.map(m => m.waitFor(/elected leading master/, 30_000)))
  for (const a of agents) await a.waitFor(/new master detected/, 30_000)

  t.equal(await exec.exited, 0, `the task ran to completion across the failover:\n${exec.stdout()}`)
  t.match(exec.stdout(), /TASK_FINISHED for task 'survivor'/)
  t.notMatch(exec.stdout(), /TASK_LOST|TASK_UNREACHABLE|TASK_KILLED/, 'nothing reported lost')
})
