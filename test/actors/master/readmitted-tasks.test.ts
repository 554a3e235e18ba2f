// What a removed agent reports when it comes back is re-added, terminal tasks too, and so is a
// task the agent runs that the master had dropped (cluster/sim K8, K9).
import t from 'tap'
import { MasterWorld, commandTask, cpusOf, resourcesJson, type Party, launchOnLastOffer } from './support/harness.js'

const U1 = 'AAAAAAAAAAAAAAAAAAAAAA=='
const U2 = 'BBBBBBBBBBBBBBBBBBBBBB=='

/** An agent with one task of a framework, then removed after missing its pings. */
function removedAgentWithTask(aware: boolean) {
  const w = new MasterWorld({ agentPingTimeoutMs: 1000, maxAgentPingTimeouts: 2 })
  const agent = w.registerAgent('agent', 'a1', 'cpus:4;mem:4096')
  const f = w.subscribe('sched', 'f1', aware ? { capabilities: [{ type: 'PARTITION_AWARE' }] } : {})
  w.settle(1100)
  const offer = f.last('Offers')!.body.offers[0]
  f.send('Accept', { framework_id: { value: f.id() }, offer_ids: [offer.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [commandTask('t1', agent.id, 'cpus:1;mem:128')] } }], filters: { refuse_seconds: 0 } })
  w.settle()
  agent.answering.pings = false
  w.settle(5_000)
  agent.answering.pings = true
  return { w, agent, f, frameworkId: f.id() }
}

const statusesOf = (f: Party, taskId: string) => f.got('Update').map(m => m.body.status).filter((s: any) => s.task_id.value === taskId)
const update = (agent: Party & { id: string }, frameworkId: string, taskId: string, state: string, uuid: string, latest?: string) =>
  agent.send('StatusUpdate', {
    update: { framework_id: { value: frameworkId }, agent_id: { value: agent.id }, uuid, timestamp: 1, ...(latest ? { latest_state: latest } : {}), status: { task_id: { value: taskId }, state, uuid } },
  })

t.test('a returning agent\'s terminal task with unacknowledged updates is re-added and answers reconciliation', async t => {
  const { w, agent, f, frameworkId } = removedAgentWithTask(true)
  t.equal(w.core.agents.size, 0, 'removed')
  t.match(statusesOf(f, 't1').at(-1), { state: 'TASK_UNREACHABLE' })
  // It finished meanwhile; its RUNNING (u1) and FINISHED (u2) are not acknowledged yet.
  agent.send('ReregisterAgent', {
    agent: { hostname: 'a1', port: 5051, resources: resourcesJson('cpus:4;mem:4096'), id: { value: agent.id } },
    version: '0.1.0',
    tasks: [{ name: 't1', task_id: { value: 't1' }, framework_id: { value: frameworkId }, agent_id: { value: agent.id }, state: 'TASK_FINISHED', resources: resourcesJson('cpus:1;mem:128'), status_update_state: 'TASK_RUNNING', status_update_uuid: U1 }],
  })
  w.settle()
  const task = w.core.frameworks.get(frameworkId)!.tasks.get('t1')
  t.equal(task?.state, 'TASK_FINISHED', 're-added (it used to be skipped)')
  t.equal(w.masterRt.metrics.snapshot()['master/cpus_used'], 0, 'a terminal task holds nothing')

  f.send('Reconcile', { framework_id: { value: frameworkId }, tasks: [{ task_id: { value: 't1' }, agent_id: { value: agent.id } }] })
  w.settle()
  t.match(statusesOf(f, 't1').at(-1), { state: 'TASK_RUNNING', reason: 'REASON_RECONCILIATION' }, 'the state of the update on its way, not TASK_GONE, nor FINISHED before RUNNING')

  update(agent, frameworkId, 't1', 'TASK_RUNNING', U1, 'TASK_FINISHED')
  w.settle()
  t.match(statusesOf(f, 't1').at(-1), { state: 'TASK_RUNNING', uuid: U1 }, 'forwarded')
  t.equal(task!.state, 'TASK_FINISHED', 'an older update does not take the task back from its terminal state')
  f.send('Acknowledge', { framework_id: { value: frameworkId }, agent_id: { value: agent.id }, task_id: { value: 't1' }, uuid: U1 })
  w.settle()
  t.ok(w.core.frameworks.get(frameworkId)!.tasks.has('t1'), 'kept until its terminal update is acknowledged')
  update(agent, frameworkId, 't1', 'TASK_FINISHED', U2, 'TASK_FINISHED')
  w.settle()
  f.send('Acknowledge', { framework_id: { value: frameworkId }, agent_id: { value: agent.id }, task_id: { value: 't1' }, uuid: U2 })
  w.settle()
  t.notOk(w.core.frameworks.get(frameworkId)!.tasks.has('t1'), 'retired')
  t.equal(w.masterRt.metrics.snapshot()['master/cpus_used'], 0)
})

t.test('a task its agent runs but the master dropped is re-added, with its resources, and killed if the framework was told LOST', async t => {
  for (const aware of [false, true]) {
    const { w, agent, f, frameworkId } = removedAgentWithTask(aware)
    t.match(statusesOf(f, 't1').at(-1), { state: aware ? 'TASK_UNREACHABLE' : 'TASK_LOST' })
    // The agent reregisters without the task; its RunTask, held back by the network, arrives later.
    agent.send('ReregisterAgent', { agent: { hostname: 'a1', port: 5051, resources: resourcesJson('cpus:4;mem:4096'), id: { value: agent.id } }, version: '0.1.0', tasks: [] })
    w.settle(1100)
    t.equal(w.core.agents.size, 1)
    const kills = agent.got('KillTask').length
    update(agent, frameworkId, 't1', 'TASK_RUNNING', U1)
    w.settle()
    const task = w.core.frameworks.get(frameworkId)!.tasks.get('t1')
    t.equal(task?.state, 'TASK_RUNNING', `re-added (aware: ${aware})`)
    t.equal(w.masterRt.metrics.snapshot()['master/cpus_used'], 1, 'its resources are used again')
    t.equal(agent.got('KillTask').length - kills, aware ? 0 : 1, aware ? 'a partition-aware framework keeps it' : 'killed: its framework was told TASK_LOST')
    // The allocator agrees: what it offers leaves the task's cpu out.
    w.settle(6_000)
    const offered = f.got('Offers').at(-1)!.body.offers.filter((o: any) => w.core.offers.has(o.id.value))
    t.equal(offered.reduce((n: number, o: any) => n + cpusOf(o.resources), 0), 3)
  }
})

t.test('reconciling a task retired with its agent while its terminal update was on its way answers that update', async t => {
  const w = new MasterWorld({ agentPingTimeoutMs: 1000, maxAgentPingTimeouts: 2 })
  const agent = w.registerAgent('agent', 'a1', 'cpus:4;mem:4096')
  const f = w.subscribe('sched', 'f1', { capabilities: [{ type: 'PARTITION_AWARE' }] })
  w.settle(1100)
  launchOnLastOffer(f, [commandTask('t1', agent.id, 'cpus:1;mem:128')])
  w.settle()
  update(agent, f.id(), 't1', 'TASK_FINISHED', U1)
  w.settle()
  // Not acknowledged (the framework has not seen it yet, say); then the agent is removed.
  agent.answering.pings = false
  w.settle(5_000)
  t.equal(w.core.agents.size, 0)
  f.send('Reconcile', { framework_id: { value: f.id() }, tasks: [{ task_id: { value: 't1' }, agent_id: { value: agent.id } }] })
  w.settle()
  t.match(statusesOf(f, 't1').at(-1), { state: 'TASK_FINISHED', reason: 'REASON_RECONCILIATION' }, 'not TASK_UNREACHABLE after TASK_FINISHED')
  t.notOk('uuid' in statusesOf(f, 't1').at(-1), 'a reconciliation answer is not acknowledged')
})

t.test('a dropped task whose resources are in use again is killed, not re-added', async t => {
  const { w, agent, f, frameworkId } = removedAgentWithTask(true)
  agent.send('ReregisterAgent', { agent: { hostname: 'a1', port: 5051, resources: resourcesJson('cpus:4;mem:4096'), id: { value: agent.id } }, version: '0.1.0', tasks: [] })
  w.settle(1100)
  const offer = f.got('Offers').at(-1)!.body.offers.find((o: any) => w.core.offers.has(o.id.value))
  f.send('Accept', { framework_id: { value: frameworkId }, offer_ids: [offer.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [commandTask('t2', agent.id, 'cpus:4;mem:128')] } }] })
  w.settle()
  t.equal(w.masterRt.metrics.snapshot()['master/cpus_used'], 4)
  const kills = agent.got('KillTask').length
  update(agent, frameworkId, 't1', 'TASK_RUNNING', U1)
  w.settle()
  t.notOk(w.core.frameworks.get(frameworkId)!.tasks.has('t1'), 'not re-added: the agent has no room for it')
  t.same(agent.got('KillTask').slice(kills).map(m => m.body.task_id.value), ['t1'], 'killed')
  t.equal(w.masterRt.metrics.snapshot()['master/cpus_used'], 4)
  t.equal(w.core.agents.size, 1)
})

t.test('a live task a known agent lists on reregistering, which the master had dropped, is re-added before its first update (sim K12)', async t => {
  for (const aware of [false, true]) {
    const { w, agent, f, frameworkId } = removedAgentWithTask(aware)
    const rereg = (tasks: unknown[]) => agent.send('ReregisterAgent', { agent: { hostname: 'a1', port: 5051, resources: resourcesJson('cpus:4;mem:4096'), id: { value: agent.id } }, version: '0.1.0', tasks })
    // Readmitted from a ReregisterAgent sent before the held-back RunTask reached the agent.
    rereg([])
    w.settle()
    t.equal(w.masterRt.metrics.snapshot()['master/cpus_used'], 0, 'readmitted without t1')
    const kills = agent.got('KillTask').length
    // The RunTask arrived; the agent's next reregistration lists t1, still staging.
    rereg([{ name: 't1', task_id: { value: 't1' }, framework_id: { value: frameworkId }, agent_id: { value: agent.id }, state: 'TASK_STAGING', resources: resourcesJson('cpus:1;mem:128') }])
    w.settle()
    t.equal(w.core.frameworks.get(frameworkId)!.tasks.get('t1')?.state, 'TASK_STAGING', `re-added (aware: ${aware})`)
    t.equal(w.masterRt.metrics.snapshot()['master/cpus_used'], 1, 'its resources are used, so they are not offered')
    t.equal(agent.got('KillTask').length - kills, aware ? 0 : 1, aware ? 'a partition-aware framework keeps it' : 'killed: its framework was told TASK_LOST')
    w.settle(2_000)
    const offered = f.got('Offers').at(-1)!.body.offers.filter((o: any) => w.core.offers.has(o.id.value))
    t.equal(offered.reduce((n: number, o: any) => n + cpusOf(o.resources), 0), 3, 'the allocator leaves its cpu out')
  }
})
