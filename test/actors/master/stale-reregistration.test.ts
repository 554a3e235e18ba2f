// A re-elected master keeps its pid, so the bus may hand a term the ReregisterAgent an agent sent
// to an earlier term, with a task list from before updates another master handled meanwhile
// (cluster/sim K13, seed 174: a finished task answered TASK_RUNNING to reconciliation). A master
// elected through the lease drops a ReregisterAgent stamped with another term's epoch.
import t from 'tap'
import { MasterWorld, commandTask, resourcesJson, launchOnLastOffer } from './support/harness.js'

const AGENT = { hostname: 'a1', port: 5051, resources: resourcesJson('cpus:4;mem:4096'), id: { value: 'S0' } }

function reregistration(frameworkId: string, tasks: string[], epoch: number | undefined): Record<string, unknown> {
  return {
    agent: AGENT,
    version: '0.1.0',
    ...(epoch === undefined ? {} : { master_epoch: epoch }),
    tasks: tasks.map(id => ({ name: id, task_id: { value: id }, framework_id: { value: frameworkId }, agent_id: { value: 'S0' }, state: 'TASK_RUNNING', resources: resourcesJson('cpus:1;mem:128') })),
  }
}

t.test('a ReregisterAgent addressed to an earlier term of the same pid is dropped; one to this term is taken', async t => {
  const w = new MasterWorld({ epoch: 3 })
  const f = w.subscribe('sched', 'f1', { capabilities: [{ type: 'PARTITION_AWARE' }] })
  const agent = w.party('agent', 'a1')
  // Sent to the term of epoch 1, when t1 still ran; t1 finished since, and the agent forgot it.
  agent.send('ReregisterAgent', reregistration(f.id(), ['t1'], 1))
  w.settle()
  t.equal(agent.got('AgentReregistered').length, 0, 'not answered')
  t.notOk(w.core.agents.has('S0'), 'not readmitted')
  t.notOk(w.core.frameworks.get(f.id())!.tasks.has('t1'), 'its stale task is not added')

  agent.send('ReregisterAgent', reregistration(f.id(), [], 3))
  w.settle()
  t.equal(agent.got('AgentReregistered').length, 1, 'the one addressed to this term is answered')
  t.ok(w.core.agents.has('S0'), 'and readmits the agent')
  f.send('Reconcile', { framework_id: { value: f.id() }, tasks: [{ task_id: { value: 't1' }, agent_id: { value: 'S0' } }] })
  w.settle()
  const answer = f.got('Update').map(m => m.body.status).find((s: any) => s.task_id.value === 't1')
  t.match(answer, { state: 'TASK_GONE', reason: 'REASON_RECONCILIATION' }, 'reconciliation does not bring t1 back to TASK_RUNNING')
})

t.test('an unstamped ReregisterAgent (a detector that tells no epoch) is taken as before', async t => {
  const w = new MasterWorld({ epoch: 3 })
  const f = w.subscribe('sched', 'f1')
  const agent = w.party('agent', 'a1')
  agent.send('ReregisterAgent', reregistration(f.id(), ['t1'], undefined))
  w.settle()
  t.equal(agent.got('AgentReregistered').length, 1)
  t.equal(w.core.frameworks.get(f.id())!.tasks.get('t1')?.state, 'TASK_RUNNING', 'its task is re-added')
})

t.test('a master elected through the lease stamps its epoch on the tasks it launches', async t => {
  const w = new MasterWorld({ epoch: 3 })
  const agent = w.registerAgent('agent', 'a1', 'cpus:4;mem:4096')
  const f = w.subscribe('sched', 'f1')
  w.settle(1100)
  launchOnLastOffer(f, [commandTask('t1', agent.id, 'cpus:1;mem:128')])
  w.settle()
  t.equal(agent.last('RunTask')?.body.master_epoch, 3)
})
