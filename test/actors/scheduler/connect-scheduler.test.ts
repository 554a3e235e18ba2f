// connectScheduler over a real nats-server: its own runtime, a fake master in another runtime.
import t from 'tap'
import { NatsTransport, Runtime } from '../../../runtime/index.js'
import { SchedulerMessages, type Offer } from '../../../actors/protocol/index.js'
import { connectScheduler, SchedulerConfigError } from '../../../actors/scheduler/index.js'
import { natsServerFor, natsSkipReason, eventually } from '../../runtime/support/nats-fixture.js'
import { fakeMasterMachine } from './support/fake-master.js'
import { recordingCallbacks } from './support/recorder.js'

const offer: Offer = {
  id: { value: 'o1' },
  framework_id: { value: 'fw-1' },
  agent_id: { value: 'a1' },
  hostname: 'a1',
  resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 1 } }],
}

t.test('subscribes over NATS, gets offers, tears down and closes its runtime', { skip: natsSkipReason }, async t => {
  const server = await natsServerFor(t)
  const masterRuntime = new Runtime({ transport: await NatsTransport.connect({ servers: server.url }), node: 'nm1' })
  t.teardown(() => masterRuntime.close())
  masterRuntime.registerMessages(SchedulerMessages)
  const master = masterRuntime.spawn(fakeMasterMachine, { name: 'master', input: {} })
  const received = () => (master.getSnapshot().context as { received: Array<{ type: string; body: any }> }).received

  const rec = recordingCallbacks({ offers: (d, offers) => d.launch(offers, [], { refuse_seconds: 9 }) })
  const driver = await connectScheduler({ nats: server.url, masterPid: 'master@nm1', framework: { user: 'u', name: 'nats-fw' }, callbacks: rec.callbacks })
  t.match(driver.pid, /^scheduler-[0-9a-f]{8}@sched-[0-9a-f]{8}$/)
  await eventually(() => driver.state === 'subscribed', 'subscribed')
  masterRuntime.send(master.pid, driver.pid, 'Offers', { offers: [offer] })
  await eventually(() => received().some(r => r.type === 'Accept'), 'an Accept')
  t.same(received().find(r => r.type === 'Accept')!.body, { framework_id: { value: 'fw-1' }, offer_ids: [{ value: 'o1' }], operations: [], filters: { refuse_seconds: 9 } })
  t.same(await driver.stop(), { status: 'stopped' })
  await eventually(() => received().some(r => r.type === 'Teardown'), 'a Teardown')
  t.equal(rec.of('subscribed').length, 1)
})

t.test('bad input fails before connecting', async t => {
  await t.rejects(connectScheduler({ nats: 'nats://127.0.0.1:1', framework: { user: 'u', name: 'x' }, callbacks: {} } as never), SchedulerConfigError)
  await t.rejects(connectScheduler({ nats: 'nats://127.0.0.1:1', masterPid: 'm@n', framework: { user: '', name: 'x' }, callbacks: {} }), SchedulerConfigError)
})
