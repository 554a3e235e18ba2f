import t, { type Test } from 'tap'
import type { Offer, TaskInfo, TaskStatus } from '../../../actors/protocol/index.js'
import {
  SchedulerConfigError,
  SchedulerUsageError,
  StaticMasterDetector,
  startScheduler,
  type SchedulerCallbacks,
  type SchedulerOptions,
  type StartSchedulerOptions,
} from '../../../actors/scheduler/index.js'
import { SimWorld, type FakeMasterInput } from './support/fake-master.js'
import { recordingCallbacks } from './support/recorder.js'

const FRAMEWORK = { user: 'alice', name: 'test-framework' }
const SCHED = 'scheduler-t1@s1'

function offer(id: string, agent = 'a1', cpus = 4, mem = 1024): Offer {
  return {
    id: { value: id },
    framework_id: { value: 'fw-1' },
    agent_id: { value: agent },
    hostname: `${agent}.example`,
    resources: [
      { name: 'cpus', type: 'SCALAR', scalar: { value: cpus }, allocation_info: { role: '*' } },
      { name: 'mem', type: 'SCALAR', scalar: { value: mem }, allocation_info: { role: '*' } },
    ],
    allocation_info: { role: '*' },
  }
}

function task(id: string, agent = 'a1'): TaskInfo {
  return {
    name: id,
    task_id: { value: id },
    agent_id: { value: agent },
    resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 1 } }],
    command: { value: 'sleep 1' },
  }
}

function status(taskId: string, state: TaskStatus['state'], uuid?: string): TaskStatus {
  const s: TaskStatus = { task_id: { value: taskId }, agent_id: { value: 'a1' }, state, source: 'SOURCE_EXECUTOR' }
  if (uuid !== undefined) s.uuid = uuid
  return s
}

interface Setup {
  master?: Omit<FakeMasterInput, 'port'>
  options?: SchedulerOptions
  extra?: SchedulerCallbacks
  start?: Partial<StartSchedulerOptions>
}

/** A world, a driver on it subscribed (unless the master ignores it), and its recorded callbacks. */
async function subscribed(t: Test, s: Setup = {}) {
  const w = new SimWorld(s.master)
  const rec = recordingCallbacks(s.extra)
  const driver = startScheduler({
    runtime: w.runtime,
    masterPid: 'master@m1',
    framework: FRAMEWORK,
    callbacks: rec.callbacks,
    id: 't1',
    options: { random: () => 0.5, ...s.options },
    ...(s.start as object),
  } as StartSchedulerOptions)
  await w.advance(10)
  t.teardown(() => w.close())
  return { w, driver, rec }
}

t.test('Subscribe is retried with backoff until the master answers; subscribed is called once', async t => {
  const { w, driver, rec } = await subscribed(t, { master: { ignoreSubscribes: 3 } })
  t.equal(driver.pid, SCHED)
  t.equal(driver.state, 'subscribing')
  // random() = 0.5: retries after 1 s, 2 s, 4 s (half of the doubling bound 2, 4, 8 s).
  await w.advance(10_000)
  const subs = w.received('Subscribe')
  t.equal(subs.length, 4, 'three ignored, the fourth answered')
  t.same(
    subs.slice(1).map((s, i) => s.at - subs[i]!.at),
    [1000, 2000, 4000],
  )
  t.same(subs[0]!.body, { framework_info: FRAMEWORK }, 'first subscription: no id, no force')
  t.equal(subs[0]!.from, SCHED)
  t.equal(driver.state, 'subscribed')
  t.same(driver.frameworkId, { value: 'fw-1' })
  t.equal(driver.stats.subscribeCalls, 4)
  const heard = rec.of('subscribed')
  t.equal(heard.length, 1)
  t.same(heard[0]![0], { value: 'fw-1' })
  t.match(heard[0]![1], { id: 'master-run-1', pid: 'master@m1' })
  t.same(heard[0]![2], { resubscribed: false, heartbeatIntervalSeconds: undefined })
  await w.advance(120_000)
  t.equal(w.received('Subscribe').length, 4, 'no Subscribe once subscribed')
})

t.test('the backoff bound is capped at a tenth of failover_timeout', async t => {
  const { w } = await subscribed(t, {
    master: { ignoreSubscribes: Infinity },
    options: { random: () => 0.999 },
    start: { framework: { ...FRAMEWORK, failover_timeout: 10 } },
  })
  await w.advance(10_000)
  const subs = w.received('Subscribe')
  const gaps = subs.slice(1).map((s, i) => s.at - subs[i]!.at)
  t.ok(gaps.length >= 9, `about one retry a second (${gaps.length})`)
  t.ok(gaps.every(g => g <= 1000), `every gap at most 1 s: ${gaps.join(',')}`)
})

t.test('offers reach the callback; launch sends one Accept with a LAUNCH of the tasks', async t => {
  const { w, driver, rec } = await subscribed(t, {
    extra: {
      offers(d, offers) {
        d.launch(offers, [task('t1'), task('t2')], { refuse_seconds: 30 })
      },
    },
  })
  w.toScheduler(driver.pid, 'Offers', { offers: [offer('o1'), offer('o2')] })
  await w.advance(10)
  t.same(rec.of('offers'), [[[offer('o1'), offer('o2')]]])
  const accepts = w.received('Accept')
  t.equal(accepts.length, 1)
  t.same(accepts[0]!.body, {
    framework_id: { value: 'fw-1' },
    offer_ids: [{ value: 'o1' }, { value: 'o2' }],
    operations: [{ type: 'LAUNCH', launch: { task_infos: [task('t1'), task('t2')] } }],
    filters: { refuse_seconds: 30 },
  })
})

t.test('accept, launchGroup and decline build their calls', async t => {
  const { w, driver } = await subscribed(t)
  driver.decline([offer('o1'), { value: 'o2' }], { refuse_seconds: 60 })
  driver.decline({ value: 'o3' })
  const executor = { type: 'DEFAULT' as const, executor_id: { value: 'e1' }, resources: [] }
  driver.launchGroup(offer('o4'), executor, [task('g1'), task('g2')])
  driver.accept({ value: 'o5' }, [{ type: 'RESERVE', reserve: { resources: [] } }])
  driver.launch(offer('o6'), [], { refuse_seconds: 1 })
  await w.advance(10)
  t.same(
    w.received('Decline').map(r => r.body),
    [
      { framework_id: { value: 'fw-1' }, offer_ids: [{ value: 'o1' }, { value: 'o2' }], filters: { refuse_seconds: 60 } },
      { framework_id: { value: 'fw-1' }, offer_ids: [{ value: 'o3' }] },
    ],
  )
  t.same(
    w.received('Accept').map(r => r.body),
    [
      {
        framework_id: { value: 'fw-1' },
        offer_ids: [{ value: 'o4' }],
        operations: [{ type: 'LAUNCH_GROUP', launch_group: { executor, task_group: { tasks: [task('g1'), task('g2')] } } }],
      },
      { framework_id: { value: 'fw-1' }, offer_ids: [{ value: 'o5' }], operations: [{ type: 'RESERVE', reserve: { resources: [] } }] },
      { framework_id: { value: 'fw-1' }, offer_ids: [{ value: 'o6' }], operations: [], filters: { refuse_seconds: 1 } },
    ],
  )
})

t.test('kill, shutdown, reconcile, suppress, revive and message build their calls', async t => {
  const { w, driver } = await subscribed(t)
  driver.kill('t1')
  driver.kill({ value: 't2' }, 'a1', { grace_period: { nanoseconds: 5e9 } })
  driver.shutdown('e1', 'a1')
  driver.reconcile()
  driver.reconcile([{ task_id: { value: 't1' }, agent_id: { value: 'a1' } }])
  driver.suppress()
  driver.revive(['web'])
  driver.message('a1', 'e1', 'hello')
  await w.advance(10)
  const fw = { value: 'fw-1' }
  t.same(
    w.received().filter(r => r.type !== 'Subscribe').map(r => [r.type, r.body]),
    [
      ['Kill', { framework_id: fw, task_id: { value: 't1' } }],
      ['Kill', { framework_id: fw, task_id: { value: 't2' }, agent_id: { value: 'a1' }, kill_policy: { grace_period: { nanoseconds: 5e9 } } }],
      ['Shutdown', { framework_id: fw, executor_id: { value: 'e1' }, agent_id: { value: 'a1' } }],
      ['Reconcile', { framework_id: fw, tasks: [] }],
      ['Reconcile', { framework_id: fw, tasks: [{ task_id: { value: 't1' }, agent_id: { value: 'a1' } }] }],
      ['Suppress', { framework_id: fw }],
      ['Revive', { framework_id: fw, roles: ['web'] }],
      ['Message', { framework_id: fw, agent_id: { value: 'a1' }, executor_id: { value: 'e1' }, data: Buffer.from('hello').toString('base64') }],
    ],
  )
  t.same(driver.suppressedRoles, ['*'], "suppress() with no roles suppresses the framework's role")
})

t.test('updates with a uuid are acknowledged automatically after the callback; others are not', async t => {
  const { w, driver, rec } = await subscribed(t)
  w.toScheduler(driver.pid, 'Update', { status: status('t1', 'TASK_RUNNING', 'dXVpZC0x') })
  w.toScheduler(driver.pid, 'Update', { status: { ...status('t1', 'TASK_RUNNING'), source: 'SOURCE_MASTER', reason: 'REASON_RECONCILIATION' } })
  w.toScheduler(driver.pid, 'Update', { status: status('t1', 'TASK_FINISHED', '') })
  await w.advance(10)
  t.equal(rec.of('update').length, 3, 'every update reaches the callback')
  t.same(
    w.received('Acknowledge').map(r => r.body),
    [{ framework_id: { value: 'fw-1' }, agent_id: { value: 'a1' }, task_id: { value: 't1' }, uuid: 'dXVpZC0x' }],
  )
  t.equal(driver.stats.acknowledgements, 1)
  t.throws(() => driver.acknowledge(status('t1', 'TASK_RUNNING', 'eA==')), SchedulerUsageError)
})

t.test('explicit acknowledgement: none until asked', async t => {
  const held: TaskStatus[] = []
  const { w, driver } = await subscribed(t, {
    options: { autoAcknowledge: false },
    extra: { update: (_d, s) => void held.push(s) },
  })
  w.toScheduler(driver.pid, 'Update', { status: status('t1', 'TASK_RUNNING', 'dXVpZC0x') })
  w.toScheduler(driver.pid, 'Update', { status: status('t2', 'TASK_RUNNING') })
  await w.advance(10)
  t.equal(w.received('Acknowledge').length, 0)
  for (const s of held) driver.acknowledge(s)
  await w.advance(10)
  t.same(
    w.received('Acknowledge').map(r => r.body),
    [{ framework_id: { value: 'fw-1' }, agent_id: { value: 'a1' }, task_id: { value: 't1' }, uuid: 'dXVpZC0x' }],
    'the status without a uuid needs no acknowledgement',
  )
})

t.test('a callback that throws is logged and counted; its update is not acknowledged', async t => {
  const { w, driver, rec } = await subscribed(t, {
    extra: {
      update() {
        throw new Error('framework bug')
      },
      offers: async () => {
        throw new Error('async bug')
      },
    },
  })
  w.toScheduler(driver.pid, 'Update', { status: status('t1', 'TASK_RUNNING', 'dXVpZC0x') })
  w.toScheduler(driver.pid, 'Offers', { offers: [offer('o1')] })
  await w.advance(10)
  t.equal(w.received('Acknowledge').length, 0)
  t.equal(driver.stats.callbackErrors, 2)
  t.equal(driver.state, 'subscribed', 'the driver goes on')
  t.ok(w.logs.some(l => l.level === 50 && /callback 'update' failed: framework bug/.test(l.msg)))
  t.ok(w.logs.some(l => l.level === 50 && /callback 'offers' failed: async bug/.test(l.msg)))
  w.toScheduler(driver.pid, 'Rescind', { offer_id: { value: 'o1' } })
  await w.advance(10)
  t.same(rec.of('rescind'), [[{ value: 'o1' }]])
})

t.test('rescind, framework messages and failures reach their callbacks', async t => {
  const { w, driver, rec } = await subscribed(t)
  w.toScheduler(driver.pid, 'Rescind', { offer_id: { value: 'o9' } })
  w.toScheduler(driver.pid, 'FrameworkMessage', { agent_id: { value: 'a1' }, executor_id: { value: 'e1' }, data: Buffer.from('hi').toString('base64') })
  w.toScheduler(driver.pid, 'Failure', { agent_id: { value: 'a2' } })
  w.toScheduler(driver.pid, 'Failure', { agent_id: { value: 'a1' }, executor_id: { value: 'e1' }, status: 256 })
  w.toScheduler(driver.pid, 'Heartbeat', {})
  await w.advance(10)
  t.same(rec.of('rescind'), [[{ value: 'o9' }]])
  const [agent, executor, data] = rec.of('message')[0]!
  t.same([agent, executor, Buffer.from(data as Uint8Array).toString()], [{ value: 'a1' }, { value: 'e1' }, 'hi'])
  t.same(rec.of('failure'), [
    [{ agentId: { value: 'a2' }, executorId: undefined, status: undefined }],
    [{ agentId: { value: 'a1' }, executorId: { value: 'e1' }, status: 256 }],
  ])
})

t.test('events from anyone but the master are ignored', async t => {
  const { w, driver, rec } = await subscribed(t)
  w.toScheduler(driver.pid, 'Offers', { offers: [offer('o1')] }, 'impostor@m1')
  w.toScheduler(driver.pid, 'Error', { message: 'go away' }, 'impostor@m1')
  await w.advance(10)
  t.same(rec.of('offers'), [])
  t.same(rec.of('error'), [])
  t.equal(driver.state, 'subscribed')
})

t.test('master exits: disconnected, then Subscribe again with the framework id', async t => {
  const seenStates: string[] = []
  const { w, driver, rec } = await subscribed(t, {
    extra: {
      subscribed: d => void seenStates.push(`subscribed:${d.state}`),
      disconnected: d => void seenStates.push(`disconnected:${d.state}`),
    },
  })
  w.master.stop()
  await w.advance(10)
  t.equal(rec.of('disconnected').length, 1)
  t.equal(driver.stats.disconnections, 1)
  t.equal(driver.state, 'subscribing')
  t.ok(w.warnings().some(l => /master master@m1 exited \(stopped\)/.test(l.msg)))
  const first = w.master
  w.startMaster()
  await w.advance(5_000)
  const subs = w.received('Subscribe')
  t.ok(subs.length >= 1)
  t.same(subs[0]!.body, { framework_info: { ...FRAMEWORK, id: { value: 'fw-1' } }, force: false }, 'resubscribes as the same framework')
  t.equal(driver.state, 'subscribed')
  t.same(rec.of('subscribed')[1]![2], { resubscribed: true, heartbeatIntervalSeconds: undefined })
  t.not(first, w.master)
  t.same(seenStates, ['subscribed:subscribed', 'disconnected:disconnected', 'subscribed:subscribed'], 'callbacks see the state they announce')
  // The new master is watched too: its process going away is noticed through the link.
  w.net.partition(['@m1'], ['@s1'])
  await w.advance(1_000)
  t.equal(rec.of('disconnected').length, 2, 'an unreachable master is a lost master')
  t.ok(w.warnings().some(l => /exited \(unreachable\)/.test(l.msg)))
})

t.test('no event for 5 heartbeat intervals: the master is lost; heartbeats keep it', async t => {
  const { w, driver, rec } = await subscribed(t, { master: { heartbeatIntervalSeconds: 2 } })
  t.same(rec.of('subscribed')[0]![2], { resubscribed: false, heartbeatIntervalSeconds: 2 })
  for (let i = 0; i < 20; i++) {
    w.toScheduler(driver.pid, 'Heartbeat', {})
    await w.advance(2_000)
  }
  t.equal(rec.of('disconnected').length, 0, 'forty seconds of heartbeats')
  await w.advance(10_000)
  t.equal(rec.of('disconnected').length, 1, 'ten silent seconds: gone')
  t.ok(w.warnings().some(l => /no event from the master for 5 heartbeat intervals/.test(l.msg)))
  await w.advance(10)
  t.equal(driver.state, 'subscribed', 'the (still running) master took the new Subscribe')
  t.equal(w.received('Subscribe').length, 2)
})

t.test('Error: error callback, the driver aborts and does not reconnect', async t => {
  const { w, driver, rec } = await subscribed(t)
  w.toScheduler(driver.pid, 'Error', { message: 'Framework has been removed' })
  await w.advance(10)
  t.same(rec.of('error'), [['Framework has been removed']])
  t.same(await driver.done, { status: 'aborted', message: 'Framework has been removed' })
  t.equal(driver.state, 'aborted')
  driver.kill('t1')
  await w.advance(60_000)
  t.equal(w.received('Kill').length, 0)
  t.equal(w.received('Subscribe').length, 1)
  t.equal(w.received('Teardown').length, 0)
})

t.test('Error while subscribing aborts too', async t => {
  const { w, driver, rec } = await subscribed(t, { master: { ignoreSubscribes: Infinity } })
  w.toScheduler(driver.pid, 'Error', { message: 'Framework is not authorized' })
  await w.advance(10)
  t.same(rec.of('error'), [['Framework is not authorized']])
  t.same(await driver.done, { status: 'aborted', message: 'Framework is not authorized' })
})

t.test('stop() tears the framework down; stop({ failover: true }) leaves it registered', async t => {
  const a = await subscribed(t)
  t.same(await a.driver.stop(), { status: 'stopped' })
  await a.w.advance(10)
  t.same(a.w.received('Teardown').map(r => r.body), [{ framework_id: { value: 'fw-1' } }])
  t.equal(a.driver.state, 'stopped')
  t.equal(a.w.runtime.isHosting(SCHED), false, 'the actor is gone')

  const b = await subscribed(t)
  t.same(await b.driver.stop({ failover: true }), { status: 'stopped' })
  await b.w.advance(10)
  t.equal(b.w.received('Teardown').length, 0)
  await b.w.advance(60_000)
  t.equal(b.w.received('Subscribe').length, 1, 'no more Subscribes after stop')

  const c = await subscribed(t)
  await c.driver.teardown()
  await c.w.advance(10)
  t.equal(c.w.received('Teardown').length, 1, 'teardown() is stop without failover')
})

t.test('calls while not subscribed are dropped with a warning; launches come back TASK_LOST', async t => {
  const { w, driver, rec } = await subscribed(t, { master: { ignoreSubscribes: 1 } })
  t.equal(driver.state, 'subscribing')
  driver.decline({ value: 'o1' })
  driver.kill('t1')
  driver.launch({ value: 'o2' }, [task('t3'), task('t4')])
  driver.suppress(['*'])
  await w.advance(10)
  t.equal(driver.stats.droppedCalls, 3)
  t.same(
    w.received().map(r => r.type),
    ['Subscribe'],
    'nothing but Subscribe reached the master',
  )
  t.same(
    w.warnings().map(l => l.call),
    ['Decline', 'Kill', 'Accept'],
  )
  t.match(w.warnings()[0], { msg: /dropped Decline: the scheduler is subscribing, not subscribed/ })
  t.match(rec.of('update'), [
    [{ task_id: { value: 't3' }, state: 'TASK_LOST', source: 'SOURCE_MASTER', reason: 'REASON_MASTER_DISCONNECTED', message: 'Master disconnected' }],
    [{ task_id: { value: 't4' }, state: 'TASK_LOST' }],
  ])
  t.equal(w.received('Acknowledge').length, 0)
  await w.advance(2_000)
  t.same(w.received('Subscribe')[1]!.body.suppressed_roles, ['*'], 'suppression made while disconnected rides on the next Subscribe')
  t.equal(driver.state, 'subscribed')
})

t.test('PARTITION_AWARE frameworks get TASK_DROPPED for a launch while disconnected', async t => {
  const { w, driver, rec } = await subscribed(t, {
    master: { ignoreSubscribes: Infinity },
    start: { framework: { ...FRAMEWORK, capabilities: [{ type: 'PARTITION_AWARE' }] } },
  })
  driver.launch(offer('o1'), [task('t1')])
  await w.advance(10)
  t.match(rec.of('update'), [[{ state: 'TASK_DROPPED' }]])
})

t.test('a framework started with an id fails over: Subscribe carries it with force', async t => {
  const { w, driver, rec } = await subscribed(t, {
    start: { framework: { ...FRAMEWORK, id: { value: 'fw-old' }, failover_timeout: 3600 } },
  })
  t.same(w.received('Subscribe')[0]!.body, {
    framework_info: { ...FRAMEWORK, id: { value: 'fw-old' }, failover_timeout: 3600 },
    force: true,
  })
  t.same(driver.frameworkId, { value: 'fw-old' })
  t.same(rec.of('subscribed')[0]![0], { value: 'fw-old' })
})

t.test('a new leader from the detector: disconnected, then Subscribe to it', async t => {
  const w = new SimWorld()
  t.teardown(() => w.close())
  const m2 = w.makeRuntime('m2')
  const detector = new StaticMasterDetector(undefined)
  const rec = recordingCallbacks()
  const driver = startScheduler({ runtime: w.runtime, detector, framework: FRAMEWORK, callbacks: rec.callbacks, id: 't1', options: { random: () => 0.5 } })
  await w.advance(10_000)
  t.equal(driver.state, 'disconnected', 'no master, no Subscribe')
  t.equal(w.received().length, 0)
  detector.appoint('master@m1')
  await w.advance(10)
  t.equal(driver.state, 'subscribed')
  const first = w.master
  const second = w.startMaster({}, 'master', m2)
  detector.appoint('master@m2')
  await w.advance(10)
  t.equal(rec.of('disconnected').length, 1)
  t.same(w.received('Subscribe', second)[0]!.body, { framework_info: { ...FRAMEWORK, id: { value: 'fw-1' } }, force: false })
  t.equal(driver.state, 'subscribed')
  w.toScheduler(driver.pid, 'Offers', { offers: [offer('o1')] }, first.pid)
  await w.advance(10)
  t.same(rec.of('offers'), [], 'the old master is no longer heard')
  detector.appoint(undefined)
  await w.advance(10)
  t.equal(driver.state, 'disconnected')
  t.equal(rec.of('disconnected').length, 2)
  await m2.close()
})

t.test('bad input fails before anything is spawned', async t => {
  const w = new SimWorld()
  t.teardown(() => w.close())
  const base = { runtime: w.runtime, masterPid: 'master@m1', framework: FRAMEWORK, callbacks: {} }
  t.throws(() => startScheduler({ ...base, framework: { name: 'x' } as never }), { name: 'SchedulerConfigError', option: 'framework.user' })
  t.throws(() => startScheduler({ ...base, framework: { user: '', name: 'x' } }), SchedulerConfigError)
  t.throws(() => startScheduler({ ...base, masterPid: 'master' }), { option: 'masterPid', message: /expected name@node/ })
  t.throws(() => startScheduler({ ...base, id: 'a.b' }), { name: 'SchedulerConfigError', option: 'id' })
  t.throws(() => startScheduler({ ...base, options: { maxMissedHeartbeats: 0 } }), { name: 'SchedulerConfigError', option: 'options.maxMissedHeartbeats' })
  t.throws(() => startScheduler({ runtime: w.runtime, framework: FRAMEWORK, callbacks: {} } as never), { name: 'SchedulerConfigError', option: 'masterPid' })
  t.equal(w.runtime.actorCount(), 0)
})

t.test('closing the runtime under a driver ends it; calls after that are dropped', async t => {
  const { w, driver } = await subscribed(t)
  await w.runtime.close()
  t.same(await driver.done, { status: 'stopped' })
  driver.kill('t1')
  t.same(await driver.stop(), { status: 'stopped' })
  t.ok(w.warnings().some(l => /dropped Kill: the driver has ended/.test(l.msg)))
})

t.test('declining no offers sends nothing', async t => {
  const { w, driver } = await subscribed(t)
  driver.decline([])
  await w.advance(10)
  t.equal(w.received('Decline').length, 0)
})
