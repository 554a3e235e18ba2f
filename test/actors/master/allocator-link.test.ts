import t from 'tap'
import type { ActorRefFrom } from 'xstate'
import { AllocatorOpQueue, type AllocatorEvent, type allocatorMachine } from '../../../actors/allocator/index.js'
import { allocatorLink } from '../../../actors/master/allocator-link.js'
import { masterMachine, type MasterCore } from '../../../actors/master/index.js'
import { ProtocolMessages } from '../../../actors/protocol/index.js'
import { parseResources } from '../../../actors/resources/index.js'
import { Runtime, SimClock, SimNetwork, flushMicrotasks } from '../../../runtime/index.js'

/** A stand-in for the allocator actor that records what it is sent. */
function recordingAllocator() {
  const sent: AllocatorEvent[] = []
  const state = { status: 'active' }
  const ref = { send: (e: AllocatorEvent) => void sent.push(e), getSnapshot: () => state } as unknown as ActorRefFrom<typeof allocatorMachine>
  return { ref, sent, state }
}

const total = parseResources('cpus:2;mem:1024')

t.test('the ops of one turn reach the allocator as one Ops event, in the order issued', async t => {
  const clock = new SimClock()
  const queue = new AllocatorOpQueue()
  const { ref, sent } = recordingAllocator()
  const link = allocatorLink(ref, queue, clock)
  link.addAgent('a1', total, new Map())
  link.addFramework('f1', ['*'], undefined)
  link.deactivateAgent('a1')
  link.recoverResources('f1', 'a1', total, 5)
  t.equal(sent.length, 0, 'nothing is sent while the turn lasts')
  await flushMicrotasks()
  t.same(sent, [
    {
      type: 'Ops',
      ops: [
        { type: 'AddAgent', agentId: 'a1', total, used: new Map() },
        { type: 'AddFramework', frameworkId: 'f1', roles: ['*'], suppressedRoles: undefined },
        { type: 'DeactivateAgent', agentId: 'a1' },
        { type: 'RecoverResources', frameworkId: 'f1', agentId: 'a1', resources: total, filters: { refuseSeconds: 5 } },
      ],
    },
  ])
  clock.advance(10)
  t.equal(sent.length, 1, 'the backstop timer was cleared')
  link.removeAgent('a1')
  await flushMicrotasks()
  t.same(sent[1], { type: 'Ops', ops: [{ type: 'RemoveAgent', agentId: 'a1' }] }, 'the next turn is a batch of its own')
})

t.test('on a simulated clock run without microtasks, the 0 ms timer delivers the batch before later timers', async t => {
  const clock = new SimClock()
  const queue = new AllocatorOpQueue()
  const { ref, sent } = recordingAllocator()
  const link = allocatorLink(ref, queue, clock)
  const seenByLaterTimer: number[] = []
  link.activateAgent('a1')
  clock.setTimeout(() => seenByLaterTimer.push(sent.length), 1)
  link.activateAgent('a2')
  clock.advance(5)
  t.same(sent, [{ type: 'Ops', ops: [{ type: 'ActivateAgent', agentId: 'a1' }, { type: 'ActivateAgent', agentId: 'a2' }] }])
  t.same(seenByLaterTimer, [1], 'delivered by the time the next timer fires')
  await flushMicrotasks()
  t.equal(sent.length, 1, 'the microtask finds nothing left to send')
})

t.test('ops the allocator took for a cycle are not sent again; an empty batch is not sent', async t => {
  const clock = new SimClock()
  const queue = new AllocatorOpQueue()
  const { ref, sent } = recordingAllocator()
  const link = allocatorLink(ref, queue, clock)
  link.activateAgent('a1')
  t.equal(queue.take().length, 1, 'a cycle took it')
  await flushMicrotasks()
  clock.advance(1)
  t.same(sent, [])
})

t.test('a stopped allocator is sent nothing: the queued ops are dropped without an error', async t => {
  const clock = new SimClock()
  const queue = new AllocatorOpQueue()
  const { ref, sent, state } = recordingAllocator()
  const link = allocatorLink(ref, queue, clock)
  link.activateAgent('a1')
  state.status = 'stopped'
  await flushMicrotasks()
  clock.advance(1)
  t.same(sent, [])
  t.equal(queue.size, 0)
})

t.test('a master stopped with allocator ops queued stops cleanly', async t => {
  const clock = new SimClock()
  const net = new SimNetwork({ seed: 3, clock, minDelayMs: 1, maxDelayMs: 1 })
  const rt = new Runtime({ transport: net.endpoint('m1'), node: 'm1', clock })
  rt.registerMessages(ProtocolMessages)
  let core: MasterCore | undefined
  const handle = rt.spawn(masterMachine, { name: 'master', input: { onCore: (c: MasterCore) => (core = c) } })
  // An in-process call outside any master event queues AddAgent; the master stops before any flush.
  core!.registerAgent('agent@h1', { agent: { hostname: 'h1', resources: [] }, version: '0.1.0' })
  handle.stop()
  await flushMicrotasks()
  clock.advance(1000)
  t.equal(handle.alive, false)
  t.equal(rt.metrics.snapshot()['runtime/actor_errors'] ?? 0, 0, 'no actor failed')
  await rt.close()
})
