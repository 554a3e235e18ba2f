// Fault tolerance with real processes (issue 6): three nats-servers in one JetStream cluster,
// three masters contending on the lease (KV with replicas=3), three agents, and a checkpointing
// framework (`mesos-ts execute --instances --checkpoint`) with long tasks, every one an OS process.
// In turn: SIGKILL the leading master, SIGKILL a nats-server, SIGKILL an agent and start it again.
// After each: one leader at a time, the tasks' processes still run, nothing reported lost.
import t from 'tap'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect } from '@nats-io/transport-node'
import { jetstreamManager } from '@nats-io/jetstream'
import { freePort, natsServerPath, startNatsCluster, type NatsServer } from '../../cluster/nats-server.js'
import { JetStreamLeaseStore } from '../../cluster/jetstream-lease-store.js'
import { leaseBucket } from '../../cluster/lease-detector.js'
import { mesos, type Proc } from './support/processes.js'
import { alive, forkedPid, killTasks, sandboxOf, sleep, until } from './support/tasks.js'

const skip = natsServerPath() ? false : 'nats-server is not installed (apt-get install -y nats-server)'

const LONG = 6
const longTasks = Array.from({ length: LONG }, (_, i) => `long-${i}`)

interface Term {
  master: number
  epoch: number
  from: number
  to: number
}

/**
 * Every master's terms as leader, from its JSON log lines: from `elected leading master` to
 * `no longer the leading master`, or to its SIGKILL (`killedAt`), or to now.
 */
function terms(masters: Proc[], killedAt: Map<number, number>): Term[] {
  const all: Term[] = []
  masters.forEach((m, i) => {
    let open: Term | undefined
    for (const line of m.stderr().split('\n')) {
      if (!line.startsWith('{')) continue
      let entry: { time?: number; msg?: string; epoch?: number }
      try {
        entry = JSON.parse(line)
      } catch {
        continue
      }
      if (entry.msg?.startsWith('elected leading master')) open = { master: i, epoch: entry.epoch ?? -1, from: entry.time!, to: Infinity }
      else if (entry.msg?.startsWith('no longer the leading master') && open) {
        all.push({ ...open, to: entry.time! })
        open = undefined
      }
    }
    if (open) all.push({ ...open, to: killedAt.get(i) ?? Infinity })
  })
  return all.sort((a, b) => a.from - b.from)
}

/** Two terms that overlap in time, if any. */
function overlapping(all: Term[]): [Term, Term] | undefined {
  for (let i = 1; i < all.length; i++) if (all[i]!.from < all[i - 1]!.to) return [all[i - 1]!, all[i]!]
  return undefined
}

async function currentLeader(masters: Proc[], killedAt: Map<number, number>, timeoutMs = 60_000): Promise<number> {
  let leader: number | undefined
  await until(
    'a leading master',
    () => {
      const open = terms(masters, killedAt).filter(term => term.to === Infinity)
      leader = open.length === 1 ? open[0]!.master : undefined
      return leader !== undefined
    },
    timeoutMs,
  )
  return leader!
}

/** The exit code, or a failure naming the process if it runs on past the deadline. */
async function exitOf(name: string, proc: Proc, timeoutMs = 120_000): Promise<number> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${name} still runs after ${timeoutMs} ms:\n${proc.stdout()}\n${proc.stderr().slice(-3000)}`)), timeoutMs)
  })
  try {
    return await Promise.race([proc.exited, late])
  } finally {
    clearTimeout(timer)
  }
}

function count(text: string, pattern: RegExp): number {
  return text.match(new RegExp(pattern.source, 'g'))?.length ?? 0
}

/** The nats-server a client connection (by its name) is connected to. */
async function serverOf(servers: readonly NatsServer[], connectionName: string): Promise<NatsServer | undefined> {
  for (const server of servers) {
    if (!server.running) continue
    const connz = (await (await fetch(`${server.monitorUrl}/connz?limit=1024`)).json()) as { connections?: Array<{ name?: string }> }
    if (connz.connections?.some(c => c.name === connectionName)) return server
  }
  return undefined
}

t.test('three NATS servers, masters and agents as processes: a master, a nats-server and an agent die; no task is lost', { skip, timeout: 600_000 }, async t => {
  const nats = await startNatsCluster(3)
  t.teardown(() => nats.stop())
  const urls = nats.urls.join(',')
  const work = mkdtempSync(join(tmpdir(), 'mesos-ts-ha-nats-'))
  const agentDirs = [1, 2, 3].map(i => join(work, `agent${i}`))
  // Teardowns run last-registered first: the processes stop, then the checkpointed tasks (which
  // outlive their agents on purpose) are killed, then the work dir and the NATS servers go.
  const cleanUp = () => {
    killTasks(agentDirs, [...longTasks, 'after-nats', 'after-pause'])
    rmSync(work, { recursive: true, force: true })
  }
  t.teardown(cleanUp)
  // And if this process ends before its teardowns run (tap's timeout).
  process.on('exit', cleanUp)
  const root = t
  const procs: Array<[string, Proc]> = []
  const track = (name: string, p: Proc): Proc => (procs.push([name, p]), p)
  // On failure (or with KEEP_TEST_LOGS=1), every process's output goes to a directory.
  t.teardown(() => {
    if (t.passing() && !process.env.KEEP_TEST_LOGS) return
    const dir = mkdtempSync(join(tmpdir(), 'mesos-ts-ha-nats-logs-'))
    for (const [name, p] of procs) writeFileSync(join(dir, `${name}.log`), `${p.stdout()}\n${p.stderr()}`)
    for (const s of nats.servers) writeFileSync(join(dir, `${s.serverName}.log`), s.logs().join('\n'))
    t.comment(`logs in ${dir}`)
  })

  const killedAt = new Map<number, number>()
  const masterPorts: number[] = []
  while (masterPorts.length < 3) {
    const p = await freePort()
    if (!masterPorts.includes(p)) masterPorts.push(p)
  }
  const masters: Proc[] = masterPorts.map((port, i) =>
    track(`m${i + 1}`, mesos(t, ['master', `--nats=${urls}`, '--registry=jetstream', '--registry_replicas=3', '--master_lease=3secs', '--allocation_interval=200ms', `--hostname=m${i + 1}`, `--port=${port}`])),
  )
  const first = await currentLeader(masters, killedAt)
  // The test reads the lease too: its revision grows with every refresh, so it shows when
  // JetStream accepts writes again after a NATS server's death.
  const nc = await connect({ servers: nats.urls, maxReconnectAttempts: -1, reconnectTimeWait: 250 })
  t.teardown(() => nc.close())
  const lease = await JetStreamLeaseStore.open(nc, { bucket: leaseBucket('mesos'), leaseMs: 3000, bindOnly: true })
  const leaseRevision = async (): Promise<number> => {
    try {
      return (await lease.get())?.revision ?? 0
    } catch {
      return 0
    }
  }

  const agentPorts: number[] = []
  while (agentPorts.length < 3) {
    const p = await freePort()
    if (!agentPorts.includes(p) && !masterPorts.includes(p)) agentPorts.push(p)
  }
  // Two long tasks (1.5 cpus each) fit on an agent, with room left for one more small task.
  const agentArgs = agentDirs.map((dir, i) => [
    'agent',
    `--master=${urls}`,
    `--work_dir=${dir}`,
    `--hostname=h${i + 1}`,
    `--port=${agentPorts[i]}`,
    '--resources=cpus:3.2;mem:1024;disk:100;ports:[31000-31010]',
    '--registration_backoff_factor=100ms',
  ])
  const agents: Proc[] = agentArgs.map((args, i) => track(`h${i + 1}`, mesos(t, args)))
  for (const a of agents) await a.waitFor(/registered with master@m\d-m\d+ as agent/, 60_000)

  // Each long task runs until the test creates `done` in its sandbox.
  const framework = track('framework', mesos(t, ['execute', `--master=${urls}`, '--name=long', `--instances=${LONG}`, '--checkpoint', '--resources=cpus:1.5;mem:16', '--command=while [ ! -e done ]; do sleep 0.2; done']))
  const out = () => framework.stdout()
  await until(`TASK_RUNNING of the ${LONG} long tasks`, () => longTasks.every(task => out().includes(`TASK_RUNNING for task '${task}'`)), 90_000)
  const placed = new Map<string, number>()
  for (const [, task, host] of out().matchAll(/Submitted task '(long-\d+)' to agent '[^']+' \(h(\d)\)/g)) placed.set(task!, Number(host) - 1)
  const pids = new Map<string, number>()
  for (const task of longTasks) {
    const dir = agentDirs[placed.get(task)!]!
    await until(`the pid of ${task}`, () => forkedPid(dir, task) !== undefined)
    pids.set(task, forkedPid(dir, task)!)
  }
  const lostPattern = /TASK_LOST|TASK_UNREACHABLE|TASK_KILLED|TASK_FAILED|TASK_GONE|TASK_DROPPED/

  await t.test('SIGKILL the leading master: one standby leads, agents and the framework follow', async t => {
    const subscribedBefore = count(out(), /Subscribed with ID/)
    const reregisteredBefore = agents.map(a => count(a.stderr(), /reregistered with master@/))
    // Whoever leads now: on a loaded machine the lease may have changed hands (safely) since setup.
    const victim = await currentLeader(masters, killedAt)
    if (victim !== first) t.comment(`the lead moved from m${first + 1} to m${victim + 1} during setup`)
    killedAt.set(victim, Date.now())
    masters[victim]!.child.kill('SIGKILL')
    await masters[victim]!.exited
    const next = await currentLeader(masters, killedAt)
    t.not(next, victim, `m${next + 1} leads after m${victim + 1}`)
    t.ok(terms(masters, killedAt).filter(term => term.from > killedAt.get(victim)!).length >= 1, 'a standby took over (a further safe change under load is allowed)')
    const newPid = new RegExp(`new master detected: master@m${next + 1}-m${masterPorts[next]}`)
    for (const [i, a] of agents.entries()) {
      await a.waitFor(newPid, 60_000)
      await until(`agent h${i + 1} reregistered`, () => count(a.stderr(), /reregistered with master@/) > reregisteredBefore[i]!, 60_000)
    }
    await until('the framework resubscribed', () => count(out(), /Subscribed with ID/) > subscribedBefore, 60_000)
    t.pass('every agent reregistered and the framework resubscribed with the new leader')
    for (const [task, pid] of pids) t.ok(alive(pid), `${task} (pid ${pid}) still runs`)
    t.notMatch(out(), lostPattern, 'nothing reported lost')
    t.equal(overlapping(terms(masters, killedAt)), undefined, 'never two leaders at once')
  })

  await t.test('SIGKILL a nats-server: the cluster keeps working', async t => {
    // The worst server to lose is both the one the leading master is connected to (its links
    // drop) and the lease stream's JetStream leader (writes pause until a new one is elected).
    // Ask the stream leader to step down until the two coincide (a new one is picked at random).
    const stream = `KV_${leaseBucket('mesos')}`
    const jsm = await jetstreamManager(nc)
    const streamLeader = async (): Promise<string | undefined> => {
      try {
        return (await jsm.streams.info(stream)).cluster?.leader
      } catch {
        return undefined
      }
    }
    let leader = await currentLeader(masters, killedAt)
    let leaderServer = await serverOf(nats.servers, `mesos-ts master m${leader + 1}-m${masterPorts[leader]}`)
    let onStreamLeader = await streamLeader()
    for (let attempt = 0; attempt < 10 && (leaderServer === undefined || onStreamLeader !== leaderServer.serverName); attempt++) {
      await nc.request(`$JS.API.STREAM.LEADER.STEPDOWN.${stream}`, undefined, { timeout: 5_000 }).catch(() => undefined)
      const before = onStreamLeader
      const deadline = Date.now() + 30_000
      do {
        await sleep(200)
        onStreamLeader = await streamLeader()
      } while ((onStreamLeader === undefined || onStreamLeader === before) && Date.now() < deadline)
      leader = await currentLeader(masters, killedAt)
      leaderServer = await serverOf(nats.servers, `mesos-ts master m${leader + 1}-m${masterPorts[leader]}`)
    }
    const victim = leaderServer ?? nats.servers[0]!
    const revisionBefore = await leaseRevision()
    await victim.kill()
    t.pass(`killed ${victim.serverName}: the leading master m${leader + 1} was connected to it; the lease stream's leader was ${onStreamLeader}`)
    // The leader may change (JetStream pauses CAS writes for a few seconds), but only safely.
    const exec = track('after-nats', mesos(t, ['execute', `--master=${urls}`, '--name=after-nats', '--command=echo after', '--resources=cpus:0.1;mem:16']))
    t.equal(await exitOf('after-nats', exec), 0, `a new task runs to completion:\n${exec.stdout()}`)
    t.match(exec.stdout(), /TASK_FINISHED for task 'after-nats'/)
    // Until the lease has been written twice more: JetStream's pause is over, whoever leads now.
    const deadline = Date.now() + 90_000
    while ((await leaseRevision()) < revisionBefore + 2) {
      if (Date.now() > deadline) throw new Error('timed out waiting for lease writes to resume after the nats-server died')
      await sleep(250)
    }
    await currentLeader(masters, killedAt)
    const exec2 = track('after-pause', mesos(t, ['execute', `--master=${urls}`, '--name=after-pause', '--command=echo after', '--resources=cpus:0.1;mem:16']))
    t.equal(await exitOf('after-pause', exec2), 0, `and after JetStream's pause too:\n${exec2.stdout()}`)
    for (const [task, pid] of pids) t.ok(alive(pid), `${task} (pid ${pid}) still runs`)
    t.notMatch(out(), lostPattern, 'nothing reported lost')
    t.equal(overlapping(terms(masters, killedAt)), undefined, 'never two leaders at once')
    for (const [i, m] of masters.entries()) if (!killedAt.has(i)) t.equal(m.child.exitCode, null, `master m${i + 1} runs on`)
    for (const [i, a] of agents.entries()) t.equal(a.child.exitCode, null, `agent h${i + 1} runs on`)
  })

  await t.test('SIGKILL an agent and start it again: its tasks survive, an update made meanwhile arrives', async t => {
    const victim = placed.get('long-0')!
    const onVictim = longTasks.filter(task => placed.get(task) === victim)
    const [finishing, ...surviving] = onVictim
    t.ok(surviving.length > 0, `agent h${victim + 1} runs ${onVictim.join(', ')}`)
    agents[victim]!.child.kill('SIGKILL')
    await agents[victim]!.exited
    for (const task of onVictim) t.ok(alive(pids.get(task)!), `${task} outlives its agent`)
    // The finishing task ends while its agent is down: only the restarted agent can report it.
    writeFileSync(join(sandboxOf(agentDirs[victim]!, finishing!)!, 'done'), '')
    await until(`${finishing} ended`, () => !alive(pids.get(finishing!)!), 30_000)
    t.notMatch(out(), new RegExp(`TASK_FINISHED for task '${finishing}'`), 'not reported before the agent is back')

    // On the top-level test, so it runs on after this subtest.
    const again = track(`h${victim + 1}-again`, mesos(root, agentArgs[victim]!))
    agents[victim] = again
    await again.waitFor(/recovered agent/, 60_000)
    await again.waitFor(/reregistered with master@/, 60_000)
    await until(`TASK_FINISHED of ${finishing} at the framework`, () => out().includes(`TASK_FINISHED for task '${finishing}'`), 60_000)
    for (const task of surviving) {
      t.equal(forkedPid(agentDirs[victim]!, task), pids.get(task), `${task}: the same run`)
      t.ok(alive(pids.get(task)!), `${task} (pid ${pids.get(task)}) still runs`)
    }
    t.notMatch(out(), lostPattern, 'nothing reported lost')
  })

  await t.test('every long task finishes; the framework exits 0', async t => {
    for (const task of longTasks) {
      const dir = sandboxOf(agentDirs[placed.get(task)!]!, task)!
      writeFileSync(join(dir, 'done'), '')
    }
    t.equal(await exitOf('the framework', framework), 0, out())
    for (const task of longTasks) t.match(out(), new RegExp(`TASK_FINISHED for task '${task}'`))
    t.notMatch(out(), lostPattern, 'nothing reported lost')
    t.equal(overlapping(terms(masters, killedAt)), undefined, 'never two leaders at once')
  })
})
