// The agent's side of RegisterAgent.boot_id, and of reconciling tasks whose RunTask is late
// (cluster/sim K2, K5, K10).
import t from 'tap'
import { agentWorld, commandTask, runTask, type AgentWorld } from './support/harness.js'

async function world(t: { teardown(fn: () => unknown): void }, options?: Parameters<typeof agentWorld>[0]): Promise<AgentWorld> {
  const w = await agentWorld(options)
  t.teardown(() => w.close())
  return w
}

t.test('every registration attempt of one process carries the same boot id; another process draws another', async t => {
  const w = await world(t)
  await w.settle(20_000)
  const boots = w.seen('RegisterAgent').map(s => s.body.boot_id)
  t.ok(boots.length >= 3, `${boots.length} attempts`)
  t.match(boots[0], /^[0-9a-f]{32}$/)
  t.same(new Set(boots), new Set([boots[0]]), 'retries: the same boot id')
  t.equal(w.ctx().core.bootId, boots[0])
  const other = await world(t, { seed: 8 })
  await other.settle(5_000)
  t.not(other.seen('RegisterAgent')[0]!.body.boot_id, boots[0], 'a new process: a new boot id')

  w.fromMaster('AgentRegistered', { agent_id: { value: 'A1' }, boot_id: boots[0] })
  await w.settle()
  t.equal(w.state(), 'registered')
  t.equal(w.ctx().core.agentId, 'A1')
  w.fromMaster('Ping', { connected: false })
  await w.settle(20_000)
  t.match(w.seen('ReregisterAgent')[0]!.body, { agent: { id: { value: 'A1' } }, boot_id: boots[0] }, 'reregistration carries it too')
})

t.test('an AgentRegistered that answers an earlier process at this address is ignored', async t => {
  const w = await world(t)
  await w.settle(2_000)
  t.ok(w.seen('RegisterAgent').length > 0)
  w.fromMaster('AgentRegistered', { agent_id: { value: 'OLD' }, boot_id: 'an-earlier-process' })
  await w.settle()
  t.equal(w.ctx().core.agentId, undefined, 'the id of the dead predecessor is not taken (cluster/sim K2)')
  t.equal(w.ctx().core.registeredMismatch({ agent_id: { value: 'X' }, boot_id: w.ctx().core.bootId }), undefined, 'its own answer is taken')
  t.match(w.ctx().core.registeredMismatch({ agent_id: { value: 'X' }, boot_id: 'b' }), /answers agent process b, this is [0-9a-f]{32}/)
})

t.test('a RunTask that arrives after reconciliation reported its task lost is not run', async t => {
  const w = await world(t)
  await w.register()
  // The master asks about a task it launched whose RunTask the network is still holding.
  w.fromMaster('ReconcileTasks', { framework_id: { value: 'F1' }, statuses: [{ task_id: { value: 'late' }, state: 'TASK_STAGING' }] })
  await w.settle()
  t.match(w.seen('StatusUpdate').map(s => s.body.update.status), [{ task_id: { value: 'late' }, state: 'TASK_LOST', reason: 'REASON_RECONCILIATION' }])
  runTask(w, commandTask('late', 'sleep 100'))
  await w.settle(1_000)
  t.equal(w.launcher.launched.length, 0, 'its framework was told it is lost: it must not run')
  t.equal(w.ctx().core.frameworks.size, 0)
  // The id may be used again for a new launch.
  runTask(w, commandTask('late', 'sleep 100'))
  await w.settle(1_000)
  t.equal(w.launcher.launched.length, 1)
})
