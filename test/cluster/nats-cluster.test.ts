// The core cluster as separate OS processes over a real nats-server, started through the CLI:
// a master, three agents, and frameworks (`mesos-ts execute` processes and SDK frameworks).
import t from 'tap'
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect } from '@nats-io/transport-node'
import { freePort, natsServerPath, startNatsServer } from '../../cluster/nats-server.js'
import { connectScheduler } from '../../actors/scheduler/index.js'
import { BusyFramework } from '../../actors/frameworks/index.js'
import { mesos, type Proc } from './support/processes.js'

const skip = natsServerPath() ? false : 'nats-server is not installed (apt-get install -y nats-server)'

/** Finds `<work>/slaves/*\/frameworks/*\/executors/<task>/runs/latest/<file>` under any agent. */
function sandboxFile(roots: string[], task: string, file: string): string | undefined {
  for (const root of roots) {
    const slaves = join(root, 'slaves')
    if (!existsSync(slaves)) continue
    for (const agent of readdirSync(slaves)) {
      const fws = join(slaves, agent, 'frameworks')
      if (!existsSync(fws)) continue
      for (const fw of readdirSync(fws)) {
        const p = join(fws, fw, 'executors', task, 'runs', 'latest', file)
        if (existsSync(p)) return p
      }
    }
  }
  return undefined
}

t.test('master and three agents as processes over NATS', { skip, timeout: 240_000 }, async t => {
  const nats = await startNatsServer({ jetstream: false })
  t.teardown(() => nats.stop())
  const work = mkdtempSync(join(tmpdir(), 'mesos-ts-nats-cluster-'))
  t.teardown(() => rmSync(work, { recursive: true, force: true }))

  const ports = [await freePort(), await freePort(), await freePort(), await freePort()]
  const master = mesos(t, ['master', `--nats=${nats.url}`, '--agent_ping_timeout=1secs', '--max_agent_ping_timeouts=2', '--allocation_interval=100ms', `--port=${ports[0]}`, '--registry=in_memory'])
  await master.waitFor(/master master@master is up/)
  const agentDirs = [1, 2, 3].map(i => join(work, `agent${i}`))
  const agents: Proc[] = agentDirs.map((dir, i) =>
    mesos(t, ['agent', `--master=${nats.url}`, `--work_dir=${dir}`, `--hostname=host${i + 1}`, `--port=${ports[i + 1]}`, '--resources=cpus:4;mem:4096;disk:1000;ports:[31000-31100]', '--registration_backoff_factor=100ms']),
  )
  for (const a of agents) await a.waitFor(/registered with master@master as agent/)

  await t.test('execute runs echo hello; the sandbox stdout holds hello', async t => {
    const exec = mesos(t, ['execute', `--master=${nats.url}`, '--name=hello', '--command=echo hello'])
    t.equal(await exec.exited, 0, exec.stdout())
    t.match(exec.stdout(), /Received status update TASK_RUNNING for task 'hello'/)
    t.match(exec.stdout(), /Received status update TASK_FINISHED for task 'hello'/)
    const stdout = sandboxFile(agentDirs, 'hello', 'stdout')
    t.ok(stdout, 'sandbox found')
    t.equal(readFileSync(stdout!, 'utf8'), 'hello\n')
  })

  await t.test('a failing command gets TASK_FAILED and its exit code', async t => {
    const exec = mesos(t, ['execute', `--master=${nats.url}`, '--name=failing', '--command=echo boom >&2; exit 3'])
    t.equal(await exec.exited, 3)
    t.match(exec.stdout(), /TASK_FAILED for task 'failing'[\s\S]*Command exited with status 3/)
    t.match(readFileSync(sandboxFile(agentDirs, 'failing', 'stderr')!, 'utf8'), /boom/)
  })

  await t.test('kill gets TASK_KILLED', async t => {
    const exec = mesos(t, ['execute', `--master=${nats.url}`, '--name=sleeper', '--command=sleep 60', '--kill_after=300ms'])
    await exec.exited
    t.match(exec.stdout(), /TASK_KILLED for task 'sleeper'/)
  })

  await t.test('a rogue client publishing garbage to the master changes nothing', async t => {
    const rogue = await connect({ servers: nats.url })
    for (let i = 0; i < 200; i++) rogue.publish('mesos.pid.master.master', new Uint8Array([0xde, 0xad, i & 0xff, 0xc1, 0x93]))
    rogue.publish('mesos.pid.master.master', new TextEncoder().encode('{"type":"Subscribe"}'))
    await rogue.flush()
    await rogue.close()
    const exec = mesos(t, ['execute', `--master=${nats.url}`, '--name=after-garbage', '--command=true'])
    t.equal(await exec.exited, 0, 'the master still serves frameworks')
    t.match(master.stderr(), /dropped inbound message \(undecodable\)/)
    t.equal(master.child.exitCode, null, 'the master process is alive')
  })

  await t.test('two frameworks sharing the cluster converge to DRF shares', async t => {
    // 12 cpus and 12 GiB on three equal agents. A's tasks are cpu-heavy (1 cpu = 1/12), B's
    // memory-heavy (1024 MB = 1/12): DRF keeps their task counts equal; 3 + 3 fit per agent.
    const a = new BusyFramework({ name: 'drf-a', taskResources: 'cpus:1;mem:256', command: 'sleep 60', tasksPerOffer: 1, declineSeconds: 0.2 })
    const b = new BusyFramework({ name: 'drf-b', taskResources: 'cpus:0.25;mem:1024', command: 'sleep 60', tasksPerOffer: 1, declineSeconds: 0.2 })
    const drivers = await Promise.all(
      [a, b].map(f => connectScheduler({ nats: nats.url, masterPid: 'master@master', framework: f.framework, callbacks: f.callbacks })),
    )
    t.teardown(async () => {
      for (const d of drivers) await d.stop()
    })
    // However the tasks landed, once 14 run the cluster is nearly full; then wait for quiet.
    const deadline = Date.now() + 60_000
    while (a.running + b.running < 14 && Date.now() < deadline) await new Promise(r => setTimeout(r, 50))
    let last = ''
    let stableSince = Date.now()
    while (Date.now() - stableSince < 1500 && Date.now() < deadline) {
      const now = `${a.stats.launched}/${b.stats.launched}`
      if (now !== last) [last, stableSince] = [now, Date.now()]
      await new Promise(r => setTimeout(r, 50))
    }
    const shareA = a.running / 12
    const shareB = (b.running * 1024) / (12 * 1024)
    t.ok(a.running >= 6 && b.running >= 6, `both got a fair part: A ${a.running}, B ${b.running}`)
    t.ok(Math.abs(shareA - shareB) <= 2 / 12 + 1e-9, `dominant shares within two tasks of each other: A ${shareA.toFixed(3)}, B ${shareB.toFixed(3)}`)
    for (const d of drivers) await d.stop()
  })

  await t.test('an agent killed with SIGKILL is noticed and its tasks reported LOST', async t => {
    const exec = mesos(t, ['execute', `--master=${nats.url}`, '--name=doomed', '--command=sleep 60', '--resources=cpus:0.1;mem:16'])
    const [, agentId, host] = await exec.waitFor(/Submitted task 'doomed' to agent '([^']+)' \((host\d)\)/)
    await exec.waitFor(/TASK_RUNNING for task 'doomed'/)
    const victim = agents[Number(host!.slice(4)) - 1]!
    victim.child.kill('SIGKILL')
    await exec.waitFor(/TASK_LOST for task 'doomed'/, 30_000)
    // The update's detail lines can come in a later chunk of execute's output than its first line.
    await exec.waitFor(/reason: REASON_[A-Z_]+/, 10_000)
    t.match(exec.stdout(), /reason: REASON_AGENT_REMOVED/)
    t.match(master.stderr(), new RegExp(`agent ${agentId} at agent@host\\d-\\d+ missed \\d+ pings: removing it`))
    t.ok(await exec.exited !== 0, 'execute exits with a failure when its task is lost')
  })
})
