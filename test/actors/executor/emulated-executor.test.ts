import t from 'tap'
import { agentWorld, FRAMEWORK, type AgentWorld } from '../agent/support/harness.js'

function task(id: string, labels: Record<string, string> = {}) {
  return {
    name: id,
    task_id: { value: id },
    agent_id: { value: 'A1' },
    command: { value: 'ignored' },
    labels: { labels: Object.entries(labels).map(([key, value]) => ({ key, value })) },
  }
}
const run = (w: AgentWorld, tk: ReturnType<typeof task>) => w.fromMaster('RunTask', { framework: FRAMEWORK, framework_id: { value: 'F1' }, task: tk })
const updates = (w: AgentWorld) => w.seen('StatusUpdate').map(s => s.body.update)
const ackAll = (w: AgentWorld) => {
  for (const u of updates(w)) w.fromMaster('StatusUpdateAcknowledgement', { agent_id: { value: 'A1' }, framework_id: u.framework_id, task_id: u.status.task_id, uuid: u.uuid })
  w.seen().length = 0
}
const stateOf = (w: AgentWorld, id: string) => updates(w).filter(u => u.status.task_id.value === id).map(u => u.status.state)

t.test('emulated tasks run for their label duration on the sim clock', async t => {
  const w = await agentWorld({ executor: 'emulated' })
  t.teardown(() => w.close())
  await w.register()
  run(w, task('quick'))
  run(w, task('long', { emulated_duration_ms: '60000' }))
  run(w, task('bad', { emulated_duration_ms: '1000', emulated_exit_code: '2' }))
  run(w, task('victim', { emulated_duration_ms: '60000' }))
  await w.settle()
  t.same(stateOf(w, 'long'), ['TASK_RUNNING'])
  t.equal(w.agentRt.actorCount(), 2, 'one host actor for every emulated executor of the agent')
  ackAll(w)
  await w.settle()
  t.same(stateOf(w, 'quick'), ['TASK_FINISHED'], 'no duration: finishes at once')
  t.same(stateOf(w, 'long'), [])
  await w.settle(1000)
  t.match(updates(w).find(u => u.status.task_id.value === 'bad')?.status, { state: 'TASK_FAILED', message: 'Command exited with status 2' })
  w.fromMaster('KillTask', { framework_id: { value: 'F1' }, task_id: { value: 'victim' } })
  await w.settle()
  t.same(stateOf(w, 'victim'), ['TASK_KILLED'])
  await w.settle(58_000)
  t.same(stateOf(w, 'long'), [], 'still running at 59 s')
  await w.settle(2000)
  t.same(stateOf(w, 'long'), ['TASK_FINISHED'])
  ackAll(w)
  await w.settle()
  t.equal(w.ctx().core.frameworks.size, 0, 'everything completed')
})

t.test('10,000 emulated tasks on one agent (a count check, no timing)', async t => {
  const w = await agentWorld({ executor: 'emulated' })
  t.teardown(() => w.close())
  await w.register()
  const N = 10_000
  const heapBefore = process.memoryUsage().heapUsed
  for (let i = 0; i < N; i++) run(w, task(`t${i}`, { emulated_duration_ms: String(1000 + (i % 100)) }))
  await w.settle(100)
  t.equal(w.seen('StatusUpdate').length, N, 'every task reported TASK_RUNNING')
  t.equal(w.agentRt.metrics.snapshot()['slave/tasks_running'], N)
  const heapMb = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20
  t.comment(`heap growth with ${N} running emulated tasks: ${heapMb.toFixed(1)} MB`)
  ackAll(w)
  await w.settle(2000)
  t.equal(w.seen('StatusUpdate').length, N, 'every task finished')
  ackAll(w)
  await w.settle()
  t.equal(w.agentRt.metrics.snapshot()['slave/tasks_finished'], N)
  t.equal(w.ctx().core.frameworks.size, 0)
  t.equal(w.ctx().core.sum.streamCount, 0, 'no stream left behind')
})
