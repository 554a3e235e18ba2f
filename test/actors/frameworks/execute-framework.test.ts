import t, { type Test } from 'tap'
import type { Offer, TaskStatus } from '../../../actors/protocol/index.js'
import { ExecuteFramework, FrameworkInputError, describeUpdate, exitCodeOf, runExecute, type ExecuteEvent, type ExecuteOptions } from '../../../actors/frameworks/index.js'
import { SimWorld } from '../scheduler/support/fake-master.js'

function offer(id: string, agent: string, cpus: number, mem: number): Offer {
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

const perTask = [
  { name: 'cpus', type: 'SCALAR', scalar: { value: 1 }, allocation_info: { role: '*' } },
  { name: 'mem', type: 'SCALAR', scalar: { value: 128 }, allocation_info: { role: '*' } },
]

let uuids = 0
function update(task: string, agent: string, state: TaskStatus['state'], message?: string): { status: TaskStatus } {
  const status: TaskStatus = { task_id: { value: task }, agent_id: { value: agent }, state, source: 'SOURCE_EXECUTOR', uuid: Buffer.from(`u${++uuids}`).toString('base64') }
  if (message !== undefined) status.message = message
  return { status }
}

/** Starts `execute` against the fake master; returns the world, the events and the pending result. */
async function execute(t: Test, options: Partial<ExecuteOptions> = {}) {
  const w = new SimWorld()
  t.teardown(() => w.close())
  const events: ExecuteEvent[] = []
  const result = runExecute(
    { name: 'job', command: 'echo hi', instances: 3, onEvent: e => events.push(e), user: 'alice', ...options },
    { runtime: w.runtime, masterPid: 'master@m1', schedulerOptions: { random: () => 0.5 } },
  )
  await w.advance(10)
  const sched = w.received('Subscribe')[0]!.from
  return { w, events, result, sched }
}

t.test('launches K tasks across offers, declines an offer too small, suppresses when all are out', async t => {
  const { w, events, sched } = await execute(t)
  t.match(w.received('Subscribe')[0]!.body, { framework_info: { user: 'alice', name: 'mesos-ts execute: job', role: '*' } })
  w.toScheduler(sched, 'Offers', { offers: [offer('o1', 'a1', 2, 512), offer('o2', 'a2', 0.5, 1024), offer('o3', 'a3', 4, 4096)] })
  await w.advance(10)
  const accepts = w.received('Accept').map(r => r.body)
  t.equal(accepts.length, 2)
  t.same(accepts[0].offer_ids, [{ value: 'o1' }])
  t.same(
    accepts[0].operations[0].launch.task_infos.map((i: any) => [i.task_id.value, i.agent_id.value]),
    [
      ['job-0', 'a1'],
      ['job-1', 'a1'],
    ],
  )
  t.same(accepts[0].operations[0].launch.task_infos[0], {
    name: 'job',
    task_id: { value: 'job-0' },
    agent_id: { value: 'a1' },
    resources: perTask,
    command: { shell: true, value: 'echo hi' },
  })
  t.same(accepts[0].filters, { refuse_seconds: 5 })
  t.same(accepts[1].offer_ids, [{ value: 'o3' }])
  t.same(
    accepts[1].operations[0].launch.task_infos.map((i: any) => i.task_id.value),
    ['job-2'],
    'only the one task still wanted, though the offer fits four',
  )
  t.same(w.received('Decline').map(r => r.body), [{ framework_id: { value: 'fw-1' }, offer_ids: [{ value: 'o2' }], filters: { refuse_seconds: 5 } }])
  t.equal(w.received('Suppress').length, 1)
  t.same(
    events.filter(e => e.type === 'launched'),
    [
      { type: 'launched', taskId: 'job-0', agentId: 'a1', hostname: 'a1.example' },
      { type: 'launched', taskId: 'job-1', agentId: 'a1', hostname: 'a1.example' },
      { type: 'launched', taskId: 'job-2', agentId: 'a3', hostname: 'a3.example' },
    ],
  )
  w.toScheduler(sched, 'Offers', { offers: [offer('o4', 'a4', 8, 8192)] })
  await w.advance(10)
  t.same(w.received('Decline').map(r => r.body.offer_ids[0].value), ['o2', 'o4'], 'nothing more to launch')
})

t.test('every task finished: exit code 0, teardown, every update reported and acknowledged', async t => {
  const { w, events, result, sched } = await execute(t, { instances: 2 })
  w.toScheduler(sched, 'Offers', { offers: [offer('o1', 'a1', 2, 512)] })
  await w.advance(10)
  w.toScheduler(sched, 'Update', update('job-0', 'a1', 'TASK_RUNNING'))
  w.toScheduler(sched, 'Update', update('job-1', 'a1', 'TASK_RUNNING'))
  w.toScheduler(sched, 'Update', update('job-0', 'a1', 'TASK_FINISHED', 'Command exited with status 0'))
  await w.advance(10)
  t.equal(w.received('Teardown').length, 0, 'one task still running')
  w.toScheduler(sched, 'Update', update('job-1', 'a1', 'TASK_FINISHED'))
  await w.advance(10)
  const r = await result
  t.equal(r.exitCode, 0)
  t.equal(r.frameworkId, 'fw-1')
  t.same(r.statuses.map(s => [s.task_id.value, s.state]), [
    ['job-0', 'TASK_FINISHED'],
    ['job-1', 'TASK_FINISHED'],
  ])
  t.equal(w.received('Teardown').length, 1)
  t.equal(w.received('Acknowledge').length, 4)
  t.equal(events.filter(e => e.type === 'update').length, 4)
  t.same(events[0], { type: 'subscribed', frameworkId: 'fw-1' })
})

t.test("a failed task's exit status becomes the exit code", async t => {
  const { w, result, sched } = await execute(t, { instances: 3 })
  w.toScheduler(sched, 'Offers', { offers: [offer('o1', 'a1', 4, 4096)] })
  await w.advance(10)
  w.toScheduler(sched, 'Update', update('job-0', 'a1', 'TASK_FINISHED'))
  w.toScheduler(sched, 'Update', update('job-1', 'a1', 'TASK_FAILED', 'Command exited with status 3'))
  w.toScheduler(sched, 'Update', update('job-2', 'a1', 'TASK_KILLED'))
  await w.advance(10)
  t.equal((await result).exitCode, 3)
})

t.test('a failure without an exit status is 1', async t => {
  const { w, result, sched } = await execute(t, { instances: 1 })
  w.toScheduler(sched, 'Offers', { offers: [offer('o1', 'a1', 4, 4096)] })
  await w.advance(10)
  t.equal(w.received('Accept')[0]!.body.operations[0].launch.task_infos[0].task_id.value, 'job', 'one instance: the task id is the name')
  w.toScheduler(sched, 'Update', update('job', 'a1', 'TASK_LOST', 'Agent removed'))
  await w.advance(10)
  t.equal((await result).exitCode, 1)
})

t.test('kill_after kills a running task', async t => {
  const { w, result, sched } = await execute(t, { instances: 1, killAfterMs: 30_000 })
  w.toScheduler(sched, 'Offers', { offers: [offer('o1', 'a1', 4, 4096)] })
  await w.advance(10)
  w.toScheduler(sched, 'Update', update('job', 'a1', 'TASK_RUNNING'))
  await w.advance(29_000)
  t.equal(w.received('Kill').length, 0)
  await w.advance(1_010)
  t.same(w.received('Kill').map(r => r.body), [{ framework_id: { value: 'fw-1' }, task_id: { value: 'job' }, agent_id: { value: 'a1' } }])
  w.toScheduler(sched, 'Update', update('job', 'a1', 'TASK_KILLED'))
  await w.advance(10)
  t.equal((await result).exitCode, 1)
})

t.test('env, shell off and roles go into the task and the framework', async t => {
  const { w, sched } = await execute(t, { instances: 1, shell: false, command: '/bin/echo', args: ['a', 'b'], env: { X: '1' }, role: 'batch' })
  t.match(w.received('Subscribe')[0]!.body.framework_info, { role: 'batch' })
  const o = offer('o1', 'a1', 4, 4096)
  o.allocation_info = { role: 'batch' }
  o.resources = [
    { name: 'cpus', type: 'SCALAR', scalar: { value: 0.5 }, reservations: [{ type: 'STATIC', role: 'batch' }], allocation_info: { role: 'batch' } },
    { name: 'cpus', type: 'SCALAR', scalar: { value: 4 }, allocation_info: { role: 'batch' } },
    { name: 'mem', type: 'SCALAR', scalar: { value: 4096 }, allocation_info: { role: 'batch' } },
  ]
  w.toScheduler(sched, 'Offers', { offers: [o] })
  await w.advance(10)
  const info = w.received('Accept')[0]!.body.operations[0].launch.task_infos[0]
  t.same(info.command, { shell: false, value: '/bin/echo', arguments: ['/bin/echo', 'a', 'b'], environment: { variables: [{ name: 'X', type: 'VALUE', value: '1' }] } })
  t.same(info.resources, [
    { name: 'cpus', type: 'SCALAR', scalar: { value: 0.5 }, reservations: [{ type: 'STATIC', role: 'batch' }], allocation_info: { role: 'batch' } },
    { name: 'cpus', type: 'SCALAR', scalar: { value: 0.5 }, allocation_info: { role: 'batch' } },
    { name: 'mem', type: 'SCALAR', scalar: { value: 128 }, allocation_info: { role: 'batch' } },
  ], 'the reservation for the role is used first')
})

t.test('the master ending the framework ends the run with 1', async t => {
  const { w, result, sched } = await execute(t)
  w.toScheduler(sched, 'Error', { message: 'Framework has been removed' })
  await w.advance(10)
  t.same(await result, { exitCode: 1, error: 'Framework has been removed', statuses: [], frameworkId: 'fw-1' })
})

t.test('bad input is refused before subscribing', async t => {
  const w = new SimWorld()
  t.teardown(() => w.close())
  const conn = { runtime: w.runtime, masterPid: 'master@m1' }
  const bad: Array<[Partial<ExecuteOptions>, string]> = [
    [{ instances: 0 }, 'instances'],
    [{ instances: -2 }, 'instances'],
    [{ instances: 1.5 }, 'instances'],
    [{ resources: 'cpus:abc' }, 'resources'],
    [{ resources: '' }, 'resources'],
    [{ command: '  ' }, 'command'],
    [{ name: '' }, 'name'],
    [{ name: 'a/b' }, 'name'],
    [{ killAfterMs: 0 }, 'kill_after'],
  ]
  for (const [opts, option] of bad) {
    await t.rejects(runExecute({ name: 'job', command: 'true', ...opts }, conn), { name: 'FrameworkInputError', option }, JSON.stringify(opts))
  }
  t.throws(() => new ExecuteFramework({ name: 'job', command: 'true', resources: 'cpus:-1' }), FrameworkInputError)
  await w.advance(10)
  t.equal(w.runtime.actorCount(), 0, 'no driver was started')
  t.equal(w.received().length, 0)
})

t.test('exitCodeOf and describeUpdate', async t => {
  const s = (state: TaskStatus['state'], message?: string): TaskStatus => ({ task_id: { value: 'x' }, state, ...(message ? { message } : {}) })
  t.equal(exitCodeOf(s('TASK_FINISHED')), 0)
  t.equal(exitCodeOf(s('TASK_FAILED', 'Command exited with status 42')), 42)
  t.equal(exitCodeOf(s('TASK_FAILED', 'Command exited with status 0')), 1)
  t.equal(exitCodeOf(s('TASK_FAILED', 'Command terminated with signal Killed')), 1)
  t.equal(exitCodeOf(s('TASK_ERROR')), 1)
  t.same(describeUpdate({ ...s('TASK_FAILED', 'boom'), source: 'SOURCE_EXECUTOR', reason: 'REASON_COMMAND_EXECUTOR_FAILED' }), [
    "Received status update TASK_FAILED for task 'x'",
    "  message: 'boom'",
    '  source: SOURCE_EXECUTOR',
    '  reason: REASON_COMMAND_EXECUTOR_FAILED',
  ])
})

t.test('after a reconnection it reconciles the tasks still open', async t => {
  const { w, events, sched } = await execute(t, { instances: 2 })
  w.toScheduler(sched, 'Offers', { offers: [offer('o1', 'a1', 4, 4096)] })
  await w.advance(10)
  w.toScheduler(sched, 'Update', update('job-0', 'a1', 'TASK_FINISHED'))
  await w.advance(10)
  w.master.stop()
  await w.advance(10)
  w.startMaster()
  await w.advance(2_000)
  t.same(w.received('Reconcile').map(r => r.body), [{ framework_id: { value: 'fw-1' }, tasks: [{ task_id: { value: 'job-1' }, agent_id: { value: 'a1' } }] }])
  t.ok(events.some(e => e.type === 'disconnected'))
})

t.test('a driver that ends under the run ends it with 1', async t => {
  const { w, result } = await execute(t)
  await w.runtime.close()
  t.match(await result, { exitCode: 1, error: /the scheduler stopped before every task ended/ })
})
