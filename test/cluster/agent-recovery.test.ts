// Agent checkpointing and recovery with real processes: a master and an agent as `mesos-ts`
// processes over a real nats-server, SDK frameworks in this process, real task processes. The
// agent is killed with SIGKILL and started again on the same --work_dir.
import t from 'tap'
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { natsServerPath, startNatsServer } from '../../cluster/nats-server.js'
import { connectScheduler, type SchedulerDriver } from '../../actors/scheduler/index.js'
import type { FrameworkInfo, Offer, TaskStatus } from '../../actors/protocol/index.js'
import { mesos, type Proc } from './support/processes.js'
import { alive, forkedPid, sandboxOf, sleep, until } from './support/tasks.js'

const skip = natsServerPath() ? false : 'nats-server is not installed (apt-get install -y nats-server)'

/** A framework that launches one task on its first offer and records every status. */
class OneTask {
  readonly statuses: TaskStatus[] = []
  acknowledging: boolean
  launched = false
  constructor(
    readonly framework: FrameworkInfo,
    readonly taskId: string,
    readonly command: string,
    autoAck: boolean,
  ) {
    this.acknowledging = autoAck
  }
  states(): string[] {
    return this.statuses.map(s => s.state)
  }
  callbacks = {
    offers: (driver: SchedulerDriver, offers: Offer[]) => {
      if (this.launched) return driver.decline(offers, { refuse_seconds: 0.5 })
      const [offer, ...rest] = offers
      this.launched = true
      driver.launch(offer!, [
        {
          name: this.taskId,
          task_id: { value: this.taskId },
          agent_id: offer!.agent_id,
          resources: [
            { name: 'cpus', type: 'SCALAR', scalar: { value: 0.1 } },
            { name: 'mem', type: 'SCALAR', scalar: { value: 16 } },
          ],
          command: { value: this.command },
        },
      ])
      if (rest.length > 0) driver.decline(rest, { refuse_seconds: 0.5 })
    },
    update: (driver: SchedulerDriver, status: TaskStatus) => {
      this.statuses.push(status)
      if (this.acknowledging && this.framework.checkpoint) driver.acknowledge(status)
    },
  }
}

t.test('an agent killed with SIGKILL and restarted recovers its checkpointed tasks', { skip, timeout: 180_000 }, async t => {
  const nats = await startNatsServer({ jetstream: false })
  t.teardown(() => nats.stop())
  const work = mkdtempSync(join(tmpdir(), 'mesos-ts-agent-recovery-'))
  // Checkpointed task processes outlive the agent on purpose (SIGKILL, and SIGTERM too): whatever
  // happened, kill every process group the launcher recorded, then remove the work dir.
  t.teardown(() => {
    for (const task of ['survivor', 'ephemeral']) {
      const pid = forkedPid(work, task)
      if (pid === undefined) continue
      try {
        process.kill(-pid, 'SIGKILL')
      } catch {
        // Gone.
      }
    }
    rmSync(work, { recursive: true, force: true })
  })
  const base = 20_000 + Math.floor(Math.random() * 20_000)
  const master = mesos(t, ['master', `--nats=${nats.url}`, '--agent_ping_timeout=2secs', '--max_agent_ping_timeouts=15', '--allocation_interval=100ms', `--port=${base}`, '--registry=in_memory'])
  await master.waitFor(/master master@master is up/)
  const agentArgs = ['agent', `--master=${nats.url}`, `--work_dir=${work}`, '--hostname=rhost', `--port=${base + 1}`, '--resources=cpus:2;mem:1024;disk:100;ports:[31000-31010]', '--registration_backoff_factor=100ms']
  const first: Proc = mesos(t, agentArgs)
  const [, agentId] = await first.waitFor(/registered with master@master as agent ([\w.-]+)/)

  // The survivor ends when the test creates `done` in its sandbox.
  const keeper = new OneTask({ user: 'alice', name: 'keeper', checkpoint: true }, 'survivor', 'while [ ! -e done ]; do sleep 0.1; done; exit 0', false)
  const plain = new OneTask({ user: 'alice', name: 'plain' }, 'ephemeral', 'sleep 300', true)
  const drivers = await Promise.all(
    [keeper, plain].map(f => connectScheduler({ nats: nats.url, masterPid: 'master@master', framework: f.framework, callbacks: f.callbacks, options: { autoAcknowledge: f === plain } })),
  )
  t.teardown(async () => {
    for (const d of drivers) await d.stop()
  })
  await until('TASK_STARTING of the survivor', () => keeper.states().includes('TASK_STARTING'))
  await until('TASK_RUNNING of the ephemeral task', () => plain.states().includes('TASK_RUNNING'))
  await until('both pids recorded', () => forkedPid(work, 'survivor') !== undefined && forkedPid(work, 'ephemeral') !== undefined)
  const survivorPid = forkedPid(work, 'survivor')!
  const ephemeralPid = forkedPid(work, 'ephemeral')!
  // STARTING is not acknowledged, so RUNNING waits behind it in the agent's (checkpointed) stream.
  await sleep(500)
  t.same(keeper.states(), ['TASK_STARTING'], 'the keeper has not heard TASK_RUNNING before the restart')

  first.child.kill('SIGKILL')
  await first.exited
  t.ok(alive(survivorPid), 'the survivor outlives the agent')
  keeper.acknowledging = true

  const second = mesos(t, agentArgs)
  await second.waitFor(new RegExp(`recovered agent ${agentId}`))
  await second.waitFor(/reregistered with master@master/)
  t.notMatch(second.stdout() + second.stderr(), /registered with master@master as agent/, 'it does not register as a new agent')
  await until('TASK_RUNNING of the survivor after the restart', () => keeper.states().includes('TASK_RUNNING'))
  t.equal(forkedPid(work, 'survivor'), survivorPid, 'the same run')
  t.ok(alive(survivorPid), 'the same process still runs')
  t.equal(keeper.statuses.find(s => s.state === 'TASK_RUNNING')?.agent_id?.value, agentId, 'reported by the same agent id')

  await until('the ephemeral task process killed', () => !alive(ephemeralPid), 10_000)
  t.pass('the non-checkpointing framework\'s task does not survive')
  await until('a terminal update for the ephemeral task', () => plain.states().some(s => s === 'TASK_LOST' || s === 'TASK_FAILED' || s === 'TASK_KILLED'))
  t.match(plain.statuses.at(-1), { state: 'TASK_LOST', reason: 'REASON_RECONCILIATION' })

  writeFileSync(join(sandboxOf(work, 'survivor')!, 'done'), '')
  await until('TASK_FINISHED of the survivor', () => keeper.states().includes('TASK_FINISHED'))
  t.match(keeper.statuses.at(-1), { state: 'TASK_FINISHED', message: 'Command exited with status 0' })
  await until('the survivor gone', () => !alive(survivorPid), 5_000)
  t.equal(second.child.exitCode, null, 'the recovered agent runs on')
})

t.test('an unreadable checkpoint stops the agent with an error naming the file', { skip, timeout: 60_000 }, async t => {
  const work = mkdtempSync(join(tmpdir(), 'mesos-ts-agent-badmeta-'))
  t.teardown(() => rmSync(work, { recursive: true, force: true }))
  const slaves = join(work, 'meta', 'slaves')
  mkdirSync(join(slaves, 'S1'), { recursive: true })
  writeFileSync(join(slaves, 'S1', 'slave.info'), '{"hostname": "h", "resou')
  symlinkSync('S1', join(slaves, 'latest'))
  const agent = mesos(t, ['agent', '--master=nats://127.0.0.1:1', `--work_dir=${work}`, '--hostname=badhost'])
  t.not(await agent.exited, 0, 'the agent exits with a failure')
  t.match(agent.stderr() + agent.stdout(), /recovery failed: checkpoint .*meta\/slaves\/S1\/slave\.info: is truncated or corrupt/)
  t.match(agent.stderr() + agent.stdout(), /--recover=cleanup|--strict=false/, 'and says what to do')

  const cleanup = mesos(t, ['agent', '--master=nats://127.0.0.1:1', `--work_dir=${work}`, '--hostname=badhost', '--recover=cleanup'])
  t.equal(await cleanup.exited, 0, '--recover=cleanup clears it')
  t.notOk(existsSync(join(slaves, 'latest')), 'the checkpoint is gone')
})

t.test('SIGTERM stops the agent but not checkpointed tasks; a recovered task can be killed', { skip, timeout: 180_000 }, async t => {
  const nats = await startNatsServer({ jetstream: false })
  t.teardown(() => nats.stop())
  const work = mkdtempSync(join(tmpdir(), 'mesos-ts-agent-sigterm-'))
  t.teardown(() => {
    const pid = forkedPid(work, 'sleeper')
    try {
      if (pid !== undefined) process.kill(-pid, 'SIGKILL')
    } catch {
      // Gone.
    }
    rmSync(work, { recursive: true, force: true })
  })
  const base = 20_000 + Math.floor(Math.random() * 20_000)
  const master = mesos(t, ['master', `--nats=${nats.url}`, '--agent_ping_timeout=2secs', '--max_agent_ping_timeouts=15', '--allocation_interval=100ms', `--port=${base}`, '--registry=in_memory'])
  await master.waitFor(/master master@master is up/)
  const agentArgs = ['agent', `--master=${nats.url}`, `--work_dir=${work}`, '--hostname=thost', `--port=${base + 1}`, '--resources=cpus:2;mem:1024;disk:100;ports:[31000-31010]', '--registration_backoff_factor=100ms']
  const first = mesos(t, agentArgs)
  await first.waitFor(/registered with master@master as agent/)
  const keeper = new OneTask({ user: 'alice', name: 'keeper', checkpoint: true }, 'sleeper', 'sleep 300', true)
  const driver = await connectScheduler({ nats: nats.url, masterPid: 'master@master', framework: keeper.framework, callbacks: keeper.callbacks, options: { autoAcknowledge: false } })
  t.teardown(() => driver.stop())
  await until('TASK_RUNNING', () => keeper.states().includes('TASK_RUNNING'))
  const pid = forkedPid(work, 'sleeper')!

  first.child.kill('SIGTERM')
  t.equal(await first.exited, 0, 'the agent stops cleanly')
  t.ok(alive(pid), 'the checkpointed task keeps running')

  const second = mesos(t, agentArgs)
  await second.waitFor(/reregistered with master@master/)
  await second.waitFor(/re-adopted task sleeper/)
  t.ok(alive(pid), 'and is re-adopted')
  driver.kill('sleeper')
  await until('TASK_KILLED', () => keeper.states().includes('TASK_KILLED'))
  t.match(keeper.statuses.at(-1), { state: 'TASK_KILLED', message: 'Command terminated with signal Terminated' })
  await until('the process gone', () => !alive(pid), 5_000)
})
