import t from 'tap'
import type { Offer, TaskStatus } from '../../../actors/protocol/index.js'
import { formatResources } from '../../../actors/resources/index.js'
import { BusyFramework, FrameworkInputError } from '../../../actors/frameworks/index.js'
import { startScheduler } from '../../../actors/scheduler/index.js'
import { SimWorld } from '../scheduler/support/fake-master.js'

function offer(id: string, cpus: number, mem: number): Offer {
  return {
    id: { value: id },
    framework_id: { value: 'fw-1' },
    agent_id: { value: 'a1' },
    hostname: 'a1.example',
    resources: [
      { name: 'cpus', type: 'SCALAR', scalar: { value: cpus }, allocation_info: { role: '*' } },
      { name: 'mem', type: 'SCALAR', scalar: { value: mem }, allocation_info: { role: '*' } },
    ],
    allocation_info: { role: '*' },
  }
}

const terminal = (task: string, state: TaskStatus['state']) => ({ status: { task_id: { value: task }, agent_id: { value: 'a1' }, state } })

t.test('fills every offer with tasks, launches again as they end, respects maxRunning', async t => {
  const w = new SimWorld()
  t.teardown(() => w.close())
  const busy = new BusyFramework({ name: 'busy', taskResources: 'cpus:1;mem:256', command: 'sleep 5', user: 'bob', maxRunning: 5 })
  const driver = startScheduler({ runtime: w.runtime, masterPid: 'master@m1', framework: busy.framework, callbacks: busy.callbacks, id: 'b1', options: { random: () => 0.5 } })
  await w.advance(10)
  w.toScheduler(driver.pid, 'Offers', { offers: [offer('o1', 3, 1024), offer('o2', 8, 8192), offer('o3', 0.5, 64)] })
  await w.advance(10)
  const accepts = w.received('Accept').map(r => r.body)
  t.same(
    accepts.map((a: any) => [a.offer_ids[0].value, a.operations[0].launch.task_infos.map((i: any) => i.task_id.value)]),
    [
      ['o1', ['busy-0', 'busy-1', 'busy-2']],
      ['o2', ['busy-3', 'busy-4']],
    ],
    'three fit the first offer; the second gets the two left under maxRunning',
  )
  t.same(accepts[0].operations[0].launch.task_infos[0].command, { shell: true, value: 'sleep 5' })
  t.same(w.received('Decline').map(r => [r.body.offer_ids[0].value, r.body.filters]), [['o3', { refuse_seconds: 1 }]])
  t.equal(busy.running, 5)
  t.equal(formatResources(busy.inUse().unallocate()), 'cpus:5;mem:1280')

  w.toScheduler(driver.pid, 'Update', terminal('busy-0', 'TASK_FINISHED'))
  w.toScheduler(driver.pid, 'Update', terminal('busy-3', 'TASK_FAILED'))
  w.toScheduler(driver.pid, 'Update', terminal('busy-3', 'TASK_FAILED'))
  w.toScheduler(driver.pid, 'Update', { status: { task_id: { value: 'busy-1' }, agent_id: { value: 'a1' }, state: 'TASK_RUNNING' } })
  await w.advance(10)
  t.equal(busy.running, 3)
  t.same(busy.stats, { launched: 5, finished: 1, failed: 1, declined: 1 })
  w.toScheduler(driver.pid, 'Offers', { offers: [offer('o4', 4, 4096)] })
  await w.advance(10)
  t.equal(w.received('Accept')[2]!.body.operations[0].launch.task_infos.length, 2, 'room for two more')
  t.equal(busy.stats.launched, 7)

  w.master.stop()
  await w.advance(10)
  w.startMaster()
  await w.advance(2_000)
  t.same(
    w.received('Reconcile')[0]!.body.tasks.map((x: any) => x.task_id.value).sort(),
    ['busy-1', 'busy-2', 'busy-4', 'busy-5', 'busy-6'],
    'after a reconnection it asks about every task it thinks is running',
  )
})

t.test('bad options', async t => {
  t.throws(() => new BusyFramework({ name: '', taskResources: 'cpus:1' }), { name: 'FrameworkInputError', option: 'name' })
  t.throws(() => new BusyFramework({ name: 'b', taskResources: 'cpus' }), { name: 'FrameworkInputError', option: 'taskResources' })
  t.throws(() => new BusyFramework({ name: 'b', taskResources: 'cpus:1', maxRunning: 0 }), FrameworkInputError)
})
