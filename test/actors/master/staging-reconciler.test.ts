// A lost RunTask must not leave its task TASK_STAGING for ever (cluster/sim K5).
import t from 'tap'
import { DEFAULT_MASTER_OPTIONS, MasterCore } from '../../../actors/master/index.js'
import { MasterWorld, commandTask, launchOnLastOffer } from './support/harness.js'

t.test('a task staging too long is asked about at its agent; its TASK_LOST releases the resources', async t => {
  const w = new MasterWorld({ taskStagingTimeoutMs: 10_000 })
  const agent = w.registerAgent('agent', 'a1', 'cpus:4;mem:4096')
  const f = w.subscribe('sched', 'f1')
  w.settle(1100)
  const offer = f.last('Offers')!.body.offers[0]
  f.send('Accept', {
    framework_id: { value: f.id() },
    offer_ids: [offer.id],
    operations: [{ type: 'LAUNCH', launch: { task_infos: [commandTask('lost', agent.id, 'cpus:1;mem:128'), commandTask('runs', agent.id, 'cpus:1;mem:128')] } }],
  })
  w.settle()
  t.equal(agent.got('RunTask').length, 2, 'the agent party records both RunTasks and answers neither (as if both were lost)')
  agent.send('StatusUpdate', { update: { framework_id: { value: f.id() }, agent_id: { value: agent.id }, uuid: 'AAAAAAAAAAAAAAAAAAAAAA==', timestamp: 1, status: { task_id: { value: 'runs' }, state: 'TASK_RUNNING', uuid: 'AAAAAAAAAAAAAAAAAAAAAA==' } } })
  w.settle(4_000)
  t.equal(agent.got('ReconcileTasks').length, 0, 'nothing before the timeout')
  w.settle(12_000)
  const asked = agent.got('ReconcileTasks')
  t.ok(asked.length >= 1)
  t.match(asked[0]!.body, { framework_id: { value: f.id() }, framework: { name: 'sched' }, statuses: [{ task_id: { value: 'lost' }, state: 'TASK_STAGING', agent_id: { value: agent.id } }] })
  t.equal(asked[0]!.body.statuses.length, 1, 'a task that left STAGING is not asked about')
  t.equal(w.masterRt.metrics.snapshot()['master/cpus_used'], 2)

  // The agent does not have it: TASK_LOST (agent-core onReconcileTasks).
  agent.send('StatusUpdate', { update: { framework_id: { value: f.id() }, agent_id: { value: agent.id }, uuid: 'BBBBBBBBBBBBBBBBBBBBBB==', timestamp: 2, status: { task_id: { value: 'lost' }, state: 'TASK_LOST', reason: 'REASON_RECONCILIATION', uuid: 'BBBBBBBBBBBBBBBBBBBBBB==' } } })
  w.settle()
  t.equal(w.core.frameworks.get(f.id())!.tasks.get('lost')!.state, 'TASK_LOST')
  t.equal(w.masterRt.metrics.snapshot()['master/cpus_used'], 1, 'its resources are released')
  t.match(f.last('Update')!.body.status, { task_id: { value: 'lost' }, state: 'TASK_LOST' })
  const before = agent.got('ReconcileTasks').length
  w.settle(20_000)
  t.equal(agent.got('ReconcileTasks').length, before, 'nothing left to ask about')
})

t.test('tasks on a disconnected agent are left to its reregistration', async t => {
  const w = new MasterWorld({ taskStagingTimeoutMs: 10_000 })
  const agent = w.registerAgent('agent', 'a1', 'cpus:4;mem:4096')
  const f = w.subscribe('sched', 'f1')
  w.settle(1100)
  launchOnLastOffer(f, [commandTask('t1', agent.id, 'cpus:1;mem:128')])
  w.settle()
  agent.answering.pings = false
  w.core.exited(agent.pid)
  w.settle(30_000)
  t.equal(w.core.agents.get(agent.id)?.connected, false, 'still disconnected, not yet removed')
  t.equal(agent.got('ReconcileTasks').length, 0)
})

t.test('a bad staging timeout is refused with a message naming it', async t => {
  const port = {} as ConstructorParameters<typeof MasterCore>[0]
  const allocator = {} as ConstructorParameters<typeof MasterCore>[2]
  t.throws(() => new MasterCore(port, { ...DEFAULT_MASTER_OPTIONS, taskStagingTimeoutMs: 0 }, allocator, () => undefined), { message: /taskStagingTimeoutMs must be a positive number of milliseconds, got 0/ })
})
