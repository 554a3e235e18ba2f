import t from 'tap'
import { SimClock } from '../../../runtime/index.js'
import { StatusUpdateManager, StatusUpdateError } from '../../../actors/agent/index.js'
import type { StatusUpdate, TaskState } from '../../../actors/protocol/index.js'

let n = 0
function upd(task: string, state: TaskState, fw = 'F1'): StatusUpdate {
  const uuid = `u${++n}`
  return { framework_id: { value: fw }, status: { task_id: { value: task }, state, uuid }, timestamp: 0, uuid }
}

function manager() {
  const clock = new SimClock()
  const sent: Array<{ at: number; uuid: string; task: string }> = []
  const sum = new StatusUpdateManager({ clock, forward: u => sent.push({ at: clock.now(), uuid: u.uuid!, task: u.status.task_id.value }) })
  sum.resume()
  return { clock, sent, sum }
}

t.test('the head is retried at 10 s, 20 s, 40 s ... capped at 10 min', async t => {
  const { clock, sent, sum } = manager()
  const a = upd('t1', 'TASK_RUNNING')
  t.equal(sum.update(a), 'queued')
  clock.advance(3_000_000)
  const gaps = sent.slice(1).map((s, i) => (s.at - sent[i]!.at) / 1000)
  t.same(gaps.slice(0, 7), [10, 20, 40, 80, 160, 320, 600])
  t.ok(gaps.slice(6).every(g => g === 600), 'capped at 10 min')
  t.equal(sum.acknowledge('F1', 't1', a.uuid!), 'acknowledged')
  const count = sent.length
  clock.advance(3_000_000)
  t.equal(sent.length, count, 'no retries after the ack')
})

t.test('one update in flight per task, in order; streams are independent', async t => {
  const { clock, sent, sum } = manager()
  const [s1, r1, f1] = [upd('t1', 'TASK_STARTING'), upd('t1', 'TASK_RUNNING'), upd('t1', 'TASK_FINISHED')]
  const s2 = upd('t2', 'TASK_STARTING')
  for (const u of [s1, r1, f1, s2]) sum.update(u)
  t.same(sent.map(s => s.uuid), [s1.uuid, s2.uuid], 'heads of both streams')
  t.equal(sum.acknowledge('F1', 't1', r1.uuid!), 'unexpected', 'an ack for a queued update is not the head')
  t.equal(sum.acknowledge('F1', 't1', s1.uuid!), 'acknowledged')
  t.equal(sent.at(-1)!.uuid, r1.uuid, 'the ack releases the next')
  t.equal(sum.acknowledge('F1', 't1', s1.uuid!), 'duplicate')
  clock.advance(10_000)
  t.same(sent.slice(-2).map(s => s.uuid).sort(), [r1.uuid, s2.uuid].sort(), 'the new head restarts at 10 s')
  t.equal(sum.acknowledge('F1', 't1', r1.uuid!), 'acknowledged')
  t.equal(sum.acknowledge('F1', 't1', f1.uuid!), 'terminated', 'the terminal ack closes the stream')
  t.equal(sum.acknowledge('F1', 't1', f1.uuid!), 'unknown', 'the stream is gone')
  t.equal(sum.streamCount, 1)
})

t.test('duplicates, pause/resume, cleanup, missing uuid', async t => {
  const { clock, sent, sum } = manager()
  const a = upd('t1', 'TASK_RUNNING')
  sum.update(a)
  t.equal(sum.update(a), 'duplicate', 'the same uuid again is ignored')
  t.equal(sent.length, 1)
  sum.pause()
  clock.advance(100_000)
  t.equal(sent.length, 1, 'paused: no retries')
  const b = upd('t2', 'TASK_RUNNING')
  sum.update(b)
  t.equal(sent.length, 1, 'paused: nothing new goes out')
  sum.resume()
  t.same(sent.slice(1).map(s => s.uuid).sort(), [a.uuid, b.uuid].sort(), 'resume resends every head')
  t.same([...sum.unacknowledged()].map(u => u.uuid).sort(), [a.uuid, b.uuid].sort())
  sum.cleanup('F1')
  t.equal(sum.streamCount, 0)
  clock.advance(100_000)
  t.equal(sent.length, 3, 'cleaned-up streams are not retried')
  t.throws(() => sum.update({ ...upd('t3', 'TASK_RUNNING'), uuid: undefined }), StatusUpdateError)
})
