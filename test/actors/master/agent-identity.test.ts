// RegisterAgent.boot_id: how the master tells a registration retry from a new agent process at
// the same address, and from a retry the network held back (cluster/sim K2 and K10).
import t from 'tap'
import { MasterWorld, commandTask, resourcesJson, type Party } from './support/harness.js'

const agentInfo = (node: string) => ({ hostname: node, port: 5051, resources: resourcesJson('cpus:4;mem:4096') })
const register = (agent: Party, node: string, bootId: string) => agent.send('RegisterAgent', { agent: agentInfo(node), version: '0.1.0', boot_id: bootId })

/** A framework (aware or not) with one task running on the agent at `agentId`. */
function launch(w: MasterWorld, agentId: string, node: string, taskId: string, aware: boolean) {
  const f = w.subscribe(`sched-${node}`, node, aware ? { capabilities: [{ type: 'PARTITION_AWARE' }] } : {})
  w.settle(1100)
  const offer = f.inbox.flatMap(m => (m.type === 'Offers' ? m.body.offers : [])).find((o: any) => o.agent_id.value === agentId && w.core.offers.has(o.id.value))
  f.send('Accept', { framework_id: { value: f.id() }, offer_ids: [offer.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [commandTask(taskId, agentId, 'cpus:1;mem:128')] } }], filters: { refuse_seconds: 3600 } })
  w.settle()
  return f
}

t.test('a retry with the same boot id gets the same id; a new boot id at the address replaces the agent', async t => {
  const w = new MasterWorld()
  const agent = w.party('agent', 'a1')
  register(agent, 'a1', 'boot-1')
  w.settle()
  const first = agent.last('AgentRegistered')!.body
  t.equal(first.boot_id, 'boot-1', 'the answer names the registration it answers')
  register(agent, 'a1', 'boot-1')
  w.settle()
  t.equal(agent.got('AgentRegistered').length, 2)
  t.equal(agent.last('AgentRegistered')!.body.agent_id.value, first.agent_id.value, 'a retry: the same id')
  t.equal(w.core.agents.size, 1)

  const lost = launch(w, first.agent_id.value, 'f1', 't-lost', false)
  const gone = launch(w, first.agent_id.value, 'f2', 't-gone', true)
  t.equal(w.core.frameworks.get(lost.id())!.tasks.get('t-lost')!.state, 'TASK_STAGING')

  // The agent process restarted without its state: same pid, new boot id.
  register(agent, 'a1', 'boot-2')
  w.settle()
  const second = agent.last('AgentRegistered')!.body
  t.not(second.agent_id.value, first.agent_id.value, 'a new process gets a new id')
  t.equal(second.boot_id, 'boot-2')
  t.same([...w.core.agents.keys()], [second.agent_id.value], 'the old agent is removed')
  t.equal(w.core.agentsByPid.get(agent.pid), second.agent_id.value)
  const statusOf = (f: Party, taskId: string) => f.got('Update').map(m => m.body.status).filter((s: any) => s.task_id.value === taskId).at(-1)
  t.match(statusOf(lost, 't-lost'), { state: 'TASK_LOST', reason: 'REASON_AGENT_RESTARTED', message: /a new agent registered at the same address/ })
  t.match(statusOf(gone, 't-gone'), { state: 'TASK_GONE', reason: 'REASON_AGENT_RESTARTED' }, 'partition-aware frameworks hear TASK_GONE, as Mesos says')
  t.notOk(w.core.frameworks.get(lost.id())!.tasks.has('t-lost'), 'the task is no longer active at the master')
  t.equal(w.masterRt.metrics.snapshot()['master/cpus_used'], 0)

  // Explicit reconciliation of the old task: gone for good, not unknown.
  gone.send('Reconcile', { framework_id: { value: gone.id() }, tasks: [{ task_id: { value: 't-gone' }, agent_id: first.agent_id }] })
  w.settle()
  t.match(statusOf(gone, 't-gone'), { state: 'TASK_GONE', reason: 'REASON_RECONCILIATION' })

  // Late messages of the first process are not taken for a new agent (nor for the old one).
  register(agent, 'a1', 'boot-1')
  agent.send('ReregisterAgent', { agent: { ...agentInfo('a1'), id: first.agent_id }, version: '0.1.0', boot_id: 'boot-1', tasks: [] })
  w.settle()
  t.same([...w.core.agents.keys()], [second.agent_id.value], 'still only the new agent')
  t.equal(agent.got('AgentRegistered').length, 3, 'the stale retry gets no answer')
  t.equal(agent.got('AgentReregistered').length, 0)
})

t.test('a retry held back until after the agent was removed does not admit the process a second time', async t => {
  const w = new MasterWorld({ agentPingTimeoutMs: 1000, maxAgentPingTimeouts: 2 })
  const agent = w.party('agent', 'a1')
  register(agent, 'a1', 'boot-1')
  w.settle()
  const id = agent.last('AgentRegistered')!.body.agent_id.value
  agent.answering.pings = false
  w.settle(5_000)
  t.equal(w.core.agents.size, 0, 'removed after missing its pings')

  register(agent, 'a1', 'boot-1')
  w.settle()
  t.equal(w.core.agents.size, 0, 'no phantom agent')
  t.match(agent.last('AgentRegistered')!.body, { agent_id: { value: id }, boot_id: 'boot-1' }, 'answered with the id the process had')

  // The process (which has that id) reregisters, as a removed agent does: readmitted under it.
  agent.answering.pings = true
  agent.send('ReregisterAgent', { agent: { ...agentInfo('a1'), id: { value: id } }, version: '0.1.0', boot_id: 'boot-1', tasks: [] })
  w.settle()
  t.same([...w.core.agents.keys()], [id])
  t.equal(agent.last('AgentReregistered')!.body.agent_id.value, id)
  register(agent, 'a1', 'boot-1')
  w.settle()
  t.same([...w.core.agents.keys()], [id], 'another late retry: answered with the same id, nothing admitted')
  t.equal(agent.last('AgentRegistered')!.body.agent_id.value, id)
})

t.test('agents without a boot id keep the old behaviour: same pid, same agent', async t => {
  const w = new MasterWorld()
  const a = w.registerAgent('agent', 'a1')
  a.send('RegisterAgent', { agent: agentInfo('a1'), version: '0.1.0' })
  w.settle()
  t.equal(a.last('AgentRegistered')!.body.agent_id.value, a.id)
  t.notOk('boot_id' in a.last('AgentRegistered')!.body)
  t.equal(w.core.agents.size, 1)
})
