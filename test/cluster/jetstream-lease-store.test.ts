import t from 'tap'
import { connect } from '@nats-io/transport-node'
import { RealClock } from '../../runtime/index.js'
import { LeaderElection } from '../../actors/master/leader-election.js'
import { JetStreamLeaseStore } from '../../cluster/jetstream-lease-store.js'
import { natsServerPath, startNatsServer } from '../../cluster/nats-server.js'

const skip = natsServerPath() ? false : 'nats-server is not installed (apt-get install -y nats-server)'

async function until(cond: () => boolean, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise(r => setTimeout(r, 20))
  }
}

t.test('the lease key in JetStream KV: create-if-absent, CAS refresh, expiry by the bucket TTL', { skip }, async t => {
  const server = await startNatsServer()
  t.teardown(() => server.stop())
  const nc = await connect({ servers: server.url })
  t.teardown(() => nc.close())
  const store = await JetStreamLeaseStore.open(nc, { bucket: 'test-leader', leaseMs: 1500 })
  const first = await store.create(new TextEncoder().encode('a'))
  t.ok(first)
  t.equal(await store.create(new TextEncoder().encode('b')), undefined, 'taken')
  const second = await store.update(new TextEncoder().encode('a'), first!)
  t.ok(second! > first!)
  t.equal(await store.update(new TextEncoder().encode('x'), first!), undefined, 'a stale revision fails (fencing)')
  t.equal(new TextDecoder().decode((await store.get())!.value), 'a')
  // Without refreshes the key expires by the bucket's TTL.
  const deadline = Date.now() + 10_000
  while ((await store.get()) !== undefined && Date.now() < deadline) await new Promise(r => setTimeout(r, 200))
  t.equal(await store.get(), undefined, 'expired')
  t.ok(await store.create(new TextEncoder().encode('c')), 'free again')
})

t.test('two masters over JetStream: one leads; when it dies the other takes over', { skip }, async t => {
  const server = await startNatsServer()
  t.teardown(() => server.stop())
  const make = async (name: string) => {
    const nc = await connect({ servers: server.url })
    t.teardown(() => nc.close())
    const store = await JetStreamLeaseStore.open(nc, { bucket: 'mesos-leader', leaseMs: 2000 })
    const events: string[] = []
    const election = new LeaderElection({
      store,
      clock: new RealClock(),
      self: { pid: `master@${name}`, hostname: name, port: 5050 },
      leaseMs: 2000,
      pollMs: 250,
      onElected: e => events.push(`elected:${e}`),
      onDeposed: r => events.push(`deposed:${r}`),
    })
    t.teardown(() => election.stop())
    return { election, events, nc }
  }
  const a = await make('a')
  a.election.start()
  await until(() => a.election.state === 'leading', 'a leads')
  const b = await make('b')
  b.election.start()
  await until(() => b.election.state === 'standby', 'b stands by')
  // a's process dies without releasing: its connection closes, its refreshes stop.
  ;(a.election as unknown as { current: string }).current = 'stopped'
  await a.nc.close()
  const diedAt = Date.now()
  await until(() => b.election.state === 'leading', 'b takes over')
  t.ok(Date.now() - diedAt < 5000, 'within 5 s')
  t.match(b.events[0], /^elected:\d+$/)
})
