// The agent stamps each ReregisterAgent with the lease epoch of the master term it detected, so
// that a re-elected master (same pid) can tell one meant for an earlier term (cluster/sim K13).
import t from 'tap'
import { agentWorld } from './support/harness.js'

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
