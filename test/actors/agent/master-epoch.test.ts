// The agent stamps each ReregisterAgent with the lease epoch of the master term it detected, so
// that a re-elected master (same pid) can tell one meant for an earlier term (cluster/sim K13).
import t from 'tap'
import { agentWorld, FRAMEWORK } from './support/harness.js'

t.test('a ReregisterAgent carries the epoch of the detected master term, and a new detection changes it', async t => {
  const w = await agentWorld({ executor: 'emulated' })
  t.teardown(() => w.close())
  await w.register()
  w.agent.send({ type: 'NewMasterDetected', masterPid: w.master.pid, masterEpoch: 4 })
  await w.settle(2000)
  const first = w.seen('ReregisterAgent')
  t.ok(first.length > 0, 'reregisters with the new term')
  t.ok(first.every(m => m.body.master_epoch === 4), 'stamped with its epoch')

  w.seen().length = 0
  w.agent.send({ type: 'NewMasterDetected', masterPid: w.master.pid, masterEpoch: 9 })
  await w.settle(2000)
  const second = w.seen('ReregisterAgent')
  t.ok(second.length > 0)
  t.ok(second.every(m => m.body.master_epoch === 9), 'the next term, the next epoch')

  w.seen().length = 0
  w.agent.send({ type: 'NewMasterDetected', masterPid: w.master.pid })
  await w.settle(2000)
  t.ok(w.seen('ReregisterAgent').every(m => m.body.master_epoch === undefined), 'a detector that tells no epoch: unstamped')
})

t.test('a RunTask launched by another term of the master than the one the agent follows is dropped (sim K12)', async t => {
  const w = await agentWorld({ executor: 'emulated' })
  t.teardown(() => w.close())
  await w.register()
  w.agent.send({ type: 'NewMasterDetected', masterPid: w.master.pid, masterEpoch: 3 })
  await w.settle(2000)
  w.fromMaster('AgentReregistered', { agent_id: { value: 'A1' }, connection: { total_ping_timeout_seconds: 86_400 } })
  await w.settle()
  const run = (taskId: string, epoch: number | undefined) =>
    w.fromMaster('RunTask', {
      framework: FRAMEWORK,
      framework_id: FRAMEWORK.id,
      task: { name: taskId, task_id: { value: taskId }, agent_id: { value: 'A1' }, resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 1 } }], command: { value: 'emulated' } },
      ...(epoch === undefined ? {} : { master_epoch: epoch }),
    })
  // Sent by the term of epoch 1, held back until the agent reregistered with the term of epoch 3.
  run('old', 1)
  run('current', 3)
  run('unstamped', undefined)
  await w.settle(500)
  const fw = w.ctx().core.frameworks.get(FRAMEWORK.id.value)
  t.notOk(fw?.taskExecutors.has('old'), 'the earlier term\'s launch is not run')
  t.ok(fw?.taskExecutors.has('current'), 'this term\'s launch is')
  t.ok(fw?.taskExecutors.has('unstamped'), 'an unstamped launch is taken as before')
  t.notOk(w.seen('StatusUpdate').some(m => m.body.update.status.task_id.value === 'old'), 'and nothing is reported for it')
})
