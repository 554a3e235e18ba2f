import t from 'tap'
import { spawnSync } from 'node:child_process'
import type { Pid } from '../../runtime/index.js'
import {
  DEFAULT_CONFIG,
  DEFAULT_FAULTS,
  parseSimArgs,
  reproduceCommand,
  runSimulation,
  activeAgentTasks,
  SimUsageError,
  type SimConfig,
  type World,
} from '../../cluster/sim/index.js'
import { runSeeds, seedConfig } from './support/seeds.js'

// 100 seeds take about a minute on an idle 2-core machine, more while the rest of the suite runs.
t.setTimeout(300_000)

/** A quiet world: no faults, nothing known, so a planted violation is the only one. */
const clean = (seed: number, steps: number): SimConfig => ({ ...DEFAULT_CONFIG, seed, steps, agents: 3, frameworks: 2, faults: [], knownFailures: [] })

t.test('the same seed replays the same run, to the delivered message', async t => {
  for (const seed of [1, 2, 3]) {
    const a = await runSimulation(seedConfig(seed))
    const b = await runSimulation(seedConfig(seed))
    t.equal(a.fingerprint, b.fingerprint, `seed ${seed}: same trace fingerprint`)
    t.same(a.stats, b.stats, `seed ${seed}: same stats`)
    t.same(a.faultLog, b.faultLog, `seed ${seed}: same faults`)
  }
  t.not((await runSimulation(seedConfig(4))).fingerprint, (await runSimulation(seedConfig(5))).fingerprint, 'another seed, another run')
})

t.test('a double offer planted in the master is caught at once', async t => {
  const r = await runSimulation(clean(21, 40), {
    afterStep: (w, step) => {
      if (step !== 20) return
      const core = w.master.core!
      const agent = [...core.agents.values()][0]!
      const frameworkId = [...core.frameworks.keys()][0]!
      for (const id of ['planted-1', 'planted-2']) {
        core.offers.set(id, { id, frameworkId, agentId: agent.id, role: '*', resources: agent.total.allocate('*') })
        agent.offers.add(id)
      }
    },
  })
  t.equal(r.ok, false)
  t.equal(r.failure?.invariant, 'offers-within-capacity')
  t.equal(r.failure?.step, 20, 'seen after the step that planted it')
  t.match(r.failure?.message, /offered .* exceeds its total/)
  t.ok(r.failure?.others.some(v => v.invariant === 'allocator-agrees'), 'the allocator disagrees with the master too')
  t.ok(r.failure!.trace.length > 0, 'the report carries the trace')
  t.equal(r.reproduce, `npm run sim -- --seed 21 --steps 40 --agents 3 --frameworks 2 --faults none`)
})

t.test('a task resurrected after its terminal state is caught', async t => {
  let planted = 0
  const r = await runSimulation(clean(22, 80), {
    afterStep: (w, step) => {
      if (planted || step < 30) return
      for (const { framework } of w.frameworks) {
        const done = [...framework.tasks.values()].find(task => task.state === 'TASK_FINISHED')
        if (!done || !framework.driver) continue
        w.master.runtime!.send(w.master.pid, framework.driver.pid, 'Update', {
          status: { task_id: { value: done.id }, agent_id: { value: done.agentId }, state: 'TASK_RUNNING', source: 'SOURCE_MASTER' },
        })
        planted = step
        return
      }
    },
  })
  t.ok(planted > 0, 'planted')
  t.equal(r.failure?.invariant, 'terminal-is-final')
  t.match(r.failure?.message, /went from TASK_FINISHED \(.*\) back to TASK_RUNNING/)
  t.equal(r.failure?.step, planted + 1)
})

t.test('an acknowledgement the framework never sent is caught', async t => {
  const r = await runSimulation(clean(23, 40), {
    afterStep: (w, step) => {
      if (step !== 25) return
      const agent = w.agents[0]!
      const frameworkId = w.frameworks[0]!.framework.frameworkId!
      w.master.runtime!.send(w.master.pid, agent.pid as Pid, 'StatusUpdateAcknowledgement', {
        agent_id: { value: agent.liveAgentId()! },
        framework_id: { value: frameworkId },
        task_id: { value: 'fw1-0' },
        uuid: 'AAAAAAAAAAAAAAAAAAAAAA==',
      })
    },
  })
  t.equal(r.failure?.invariant, 'acked-updates-seen')
  t.equal(r.failure?.step, 25)
})

t.test('a task that vanishes from its agent without a word is caught once the cluster settled', async t => {
  let planted = ''
  const r = await runSimulation(clean(24, 60), {
    afterStep: (w: World, step) => {
      if (step !== 60) return
      // A buggy agent forgets a framework (and its running task): later updates of it are dropped.
      for (const node of w.agents) {
        const running = [...activeAgentTasks(node)].find(([, v]) => v.task?.state === 'TASK_RUNNING')
        if (!running) continue
        node.core()!.frameworks.delete(running[1].frameworkId)
        planted = running[0]
        return
      }
    },
  })
  t.ok(planted, `planted ${planted}`)
  t.equal(r.failure?.step, 'settle')
  const all = [r.failure!, ...r.failure!.others]
  t.ok(all.some(v => v.invariant === 'tasks-accounted' && v.message.includes(planted.split('/')[1]!)), 'tasks-accounted names the task')
  t.ok(all.some(v => v.invariant === 'resources-released'), 'the master still holds its resources')
})

t.test('arguments and the reproduce command', async t => {
  const a = parseSimArgs(['--seed', '7', '--steps', '50', '--agents=3', '--frameworks', '2', '--faults', 'drop,partition', '--fault-rate', '0.2'])
  t.match(a.config, { seed: 7, steps: 50, agents: 3, frameworks: 2, faults: ['drop', 'partition'], faultRate: 0.2 })
  t.equal(reproduceCommand(a.config), 'npm run sim -- --seed 7 --steps 50 --agents 3 --frameworks 2 --faults drop,partition --fault-rate 0.2')
  t.same(parseSimArgs(['--seeds', '3..5']).seeds, [3, 4, 5])
  t.same(parseSimArgs([]).config.faults, DEFAULT_FAULTS)
  t.throws(() => parseSimArgs(['--faults', 'meteor']), SimUsageError)
  t.throws(() => parseSimArgs(['--steps', '-1']), { message: /--steps needs an integer/ })
  t.throws(() => parseSimArgs(['--bogus']), { message: /unknown argument '--bogus'/ })

  const ok = spawnSync(process.execPath, ['--import', 'tsx', 'cluster/sim/main.ts', '--seed', '3', '--steps', '10', '--quiet'], { encoding: 'utf8' })
  t.equal(ok.status, 0, ok.stderr)
  t.match(ok.stdout, /^seed 3: ok in \d+ ms; .* trace \d+:[0-9a-f]{8}$/m)
  const bad = spawnSync(process.execPath, ['--import', 'tsx', 'cluster/sim/main.ts', '--faults', 'meteor'], { encoding: 'utf8' })
  t.equal(bad.status, 2)
  t.match(bad.stderr, /^sim: --faults: unknown fault 'meteor'/)
})

t.test('seeds 1..100 keep every invariant', { skip: process.env.SIM_SKIP_SEEDS === '1' }, async t => {
  await runSeeds(t, 1, 100)
})

t.test('masters persist to the registry the world keeps, and a restarted master recovers it', async t => {
  let recovered = -1
  let crashedAt = 0
  const r = await runSimulation({ ...DEFAULT_CONFIG, seed: 31, steps: 60, agents: 3, frameworks: 2, faults: [], knownFailures: [] }, {
    afterStep: (w, step) => {
      if (step === 30) {
        crashedAt = step
        w.master.crash()
        w.master.start()
      } else if (crashedAt && recovered < 0 && w.master.core) {
        // Before any agent could reregister with it, the new master knows them from the registry.
        recovered = w.master.core.agents.size + w.master.core.recovery.waiting.size
      }
    },
    atEnd: w => {
      const keys = [...w.kv.entries.keys()]
      t.equal(keys.filter(k => k.startsWith('agents.')).length, 3, 'every agent is in the registry')
      t.equal(keys.filter(k => k.startsWith('frameworks.')).length, 2, 'every framework is in the registry')
    },
  })
  t.ok(r.ok, r.failure?.message ?? 'ok')
  t.equal(recovered, 3, 'the restarted master recovered the three agents')
  t.ok(r.stats.registry.batches > 0, 'registry writes were batched')
})

t.test('a standby master takes over when the leader crashes, once the lease expired', async t => {
  let before = ''
  let after = ''
  const r = await runSimulation(clean(32, 80), {
    afterStep: (w, step) => {
      if (step === 30) {
        before = w.master.incarnation
        w.master.crash()
      }
      if (step === 80) after = w.master.core ? w.master.incarnation : '(none)'
    },
  })
  t.ok(r.ok, r.failure?.message ?? 'ok')
  t.not(after, before, `${after} leads after ${before} crashed`)
  t.not(after, '(none)')
})

t.test('a master acting without the lease is caught', async t => {
  let planted = 0
  const r = await runSimulation(clean(33, 40), {
    afterStep: (w, step) => {
      if (planted || step < 20) return
      const standby = w.masters.find(m => m.up && !m.handle)
      const agent = w.agents.find(a => a.up)
      if (!standby || !agent) return
      standby.runtime!.send(standby.pid, agent.pid, 'Ping', { connected: true })
      planted = step
    },
  })
  t.ok(planted > 0, 'planted')
  t.equal(r.failure?.invariant, 'single-leader')
  t.match(r.failure?.message, /without holding the lease/)
  t.equal(r.failure?.step, planted)
})

t.test('an agent restarted on its checkpoint keeps its id; its emulated executors died with it, so their tasks end', async t => {
  let crashed: { node: string; agentId: string; taskId: string } | undefined
  const r = await runSimulation(clean(34, 80), {
    afterStep: (w, step) => {
      if (crashed || step < 30) return
      // A running task of fw1, which checkpoints.
      const fw = w.frameworks[0]!.framework
      t.equal(fw.checkpoint, true)
      for (const node of w.agents) {
        const running = [...activeAgentTasks(node)].find(([, v]) => v.frameworkId === fw.frameworkId && v.task?.state === 'TASK_RUNNING')
        if (!running) continue
        crashed = { node: node.node, agentId: node.liveAgentId()!, taskId: running[0].split('/')[1]! }
        node.crash()
        node.start()
        return
      }
    },
    atEnd: w => {
      const node = w.agents.find(a => a.node === crashed!.node)!
      t.equal(node.recoveredId, crashed!.agentId, 'recovered its agent id from the checkpoint')
      t.equal(node.liveAgentId(), crashed!.agentId, 'and is registered under it')
      const task = w.frameworks[0]!.framework.tasks.get(crashed!.taskId)!
      // Unless it finished before the crash: Mesos's TASK_FAILED, REASON_EXECUTOR_TERMINATED, from the agent.
      const last = task.history.at(-1)
      t.ok(last?.state === 'TASK_FINISHED' || (last?.state === 'TASK_FAILED' && last.reason === 'REASON_EXECUTOR_TERMINATED'), `the task ended: ${JSON.stringify(task.history)}`)
    },
  })
  t.ok(crashed, 'crashed an agent with a running checkpointed task')
  t.ok(r.ok, r.failure?.message ?? 'ok')
})
