// The masters' lease on a real nats-server: kept by a worker thread (a busy main thread does not
// lose it), taken over by observation (not when the bucket's TTL removes the key), announced as
// serving only once the new leader runs. Outcomes and order only: no durations are asserted.
import t, { type Test } from 'tap'
import { connect } from '@nats-io/transport-node'
import { Kvm } from '@nats-io/kv'
import { RealClock, silentLogger, type Pid } from '../../runtime/index.js'
import { MemoryRegistryStore, type RegistryStore } from '../../actors/master/index.js'
import { MasterContender } from '../../cluster/master-contender.js'
import { LeaseKeeper } from '../../cluster/lease-keeper.js'
import { detectMaster, leaseBucket } from '../../cluster/lease-detector.js'
import { JetStreamLeaseStore } from '../../cluster/jetstream-lease-store.js'
import { decodeLeader } from '../../actors/master/leader-election.js'
import { freePort, natsServerPath, startNatsServer } from '../../cluster/nats-server.js'
import { mesos } from './support/processes.js'

const skip = natsServerPath() ? false : 'nats-server is not installed (apt-get install -y nats-server)'

async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise(r => setTimeout(r, 20))
  }
}

async function contender(t: Test, url: string, name: string, registryStore: RegistryStore, leaseMs = 1500) {
  const terms: string[] = []
  const epochs: number[] = []
  const c = await MasterContender.start({
    servers: [url],
    prefix: 'mesos',
    registry: 'jetstream',
    leaseMs,
    replicas: 1,
    hostname: name,
    port: 5050,
    masterOptions: {},
    log: silentLogger(),
    registryStore,
    onTerm: e => {
      terms.push(e.type === 'elected' ? 'elected' : `deposed:${e.reason}`)
      if (e.type === 'elected') epochs.push(e.epoch)
    },
  })
  t.teardown(() => c.stop())
  return { c, terms, epochs }
}

t.test('a leader whose main thread is blocked for two leases keeps its lease: the worker refreshed it', { skip }, async t => {
  const server = await startNatsServer()
  t.teardown(() => server.stop())
  const registry = new MemoryRegistryStore()
  const a = await contender(t, server.url, 'a', registry)
  await until(() => a.c.leading, 'a leads')
  const b = await contender(t, server.url, 'b', registry)
  await until(() => b.c.leader()?.pid === a.c.masterPid, 'b sees a serving')

  // A GC pause or a huge batch: nothing runs on this thread (both masters' main threads, here).
  const blockedUntil = performance.now() + 2 * 1500
  while (performance.now() < blockedUntil);
  t.ok(a.c.leaseValid(), 'the lease deadline moved on while the main thread was blocked')

  // Let the messages queued meanwhile arrive, then some more refreshes.
  await new Promise(r => setTimeout(r, 2 * 1500))
  t.same(a.terms, ['elected'], 'the leader was never deposed')
  t.same(b.terms, [], 'the standby never took over')
  t.ok(a.c.leading && a.c.leaseValid())
})

t.test('a SIGKILLed leader is replaced by observation, not when the bucket TTL removes its key', { skip, timeout: 120_000 }, async t => {
  const server = await startNatsServer()
  t.teardown(() => server.stop())
  // The lease bucket exists already with a 10-minute TTL (an existing bucket keeps its settings):
  // the dead leader's key stays, so a takeover can only come from observing it unchanged.
  const nc = await connect({ servers: server.url })
  t.teardown(() => nc.close())
  await new Kvm(nc).create(leaseBucket('mesos'), { ttl: 600_000, history: 1 })
  const lease = await JetStreamLeaseStore.open(nc, { bucket: leaseBucket('mesos'), leaseMs: 600_000, bindOnly: true })

  const ports = [await freePort(), await freePort()]
  const common = [`--nats=${server.url}`, '--registry=jetstream', '--master_lease=2secs']
  const first = mesos(t, ['master', ...common, '--hostname=m1', `--port=${ports[0]}`])
  await first.waitFor(/leading master: master@m1/)
  const second = mesos(t, ['master', ...common, '--hostname=m2', `--port=${ports[1]}`])
  await second.waitFor(/leading master: master@m1/)

  first.child.kill('SIGKILL')
  await first.exited
  const held = await lease.get()
  t.equal(held && decodeLeader(held.value)?.pid.startsWith('master@m1'), true, 'the dead leader still holds the key')
  await second.waitFor(/elected leading master/)
  const taken = await lease.get()
  t.ok(taken && taken.revision > held!.revision, 'taken over with a later revision')
  await until(async () => decodeLeader((await lease.get())!.value)?.serving === true, 'the new leader serves')
  t.match(decodeLeader((await lease.get())!.value)?.pid, /^master@m2/)
})

t.test('the detector appoints a new leader only once it serves', { skip }, async t => {
  const server = await startNatsServer()
  t.teardown(() => server.stop())
  // The registry's fence waits for the test: the elected master is recovering until released.
  let release!: () => void
  const gate = new Promise<void>(r => (release = r))
  const inner = new MemoryRegistryStore()
  const gated: RegistryStore = {
    fence: async epoch => {
      await gate
      return inner.fence(epoch)
    },
    load: () => inner.load(),
    write: (batch, fence) => inner.write(batch, fence),
  }
  const a = await contender(t, server.url, 'a', gated)
  const nc = await connect({ servers: server.url })
  t.teardown(() => nc.close())
  const lease = await JetStreamLeaseStore.open(nc, { bucket: leaseBucket('mesos'), leaseMs: 1500, bindOnly: true })
  await until(async () => {
    const e = await lease.get()
    return e !== undefined && decodeLeader(e.value)?.pid === a.c.masterPid
  }, 'a holds the lease')
  t.equal(decodeLeader((await lease.get())!.value)?.serving, false, 'elected, still recovering')

  const detection = await detectMaster({ servers: [server.url], prefix: 'mesos', clock: new RealClock() })
  t.teardown(() => detection.close())
  t.equal(detection.detector.current(), undefined, 'no leader appointed while it recovers')
  // What the leader was doing at the moment the detector appointed it.
  const appointed = new Promise<{ pid: Pid | undefined; running: boolean }>(resolve => detection.detector.onChange(pid => resolve({ pid, running: a.c.leading })))
  release()
  t.same(await appointed, { pid: a.c.masterPid, running: true }, 'appointed once its master actor ran')
  t.same(a.terms, ['elected'])
  // Agents stamp the term on ReregisterAgent: the detector tells it, and the master expects it.
  t.equal(detection.detector.currentEpoch?.(), a.epochs[0], "the detector knows the serving term's epoch")
})

t.test('the watchdog: a main thread that stops beating loses the lease to a standby; the worker ends with stop()', { skip }, async t => {
  const server = await startNatsServer()
  t.teardown(() => server.stop())
  const keeper = async (name: string, watchdogMs: number) => {
    const events: string[] = []
    const k = await LeaseKeeper.start({
      servers: [server.url],
      connectionName: name,
      bucket: 'wd-leader',
      leaseMs: 1000,
      replicas: 1,
      self: { pid: `master@${name}`, hostname: name, port: 5050 },
      clock: new RealClock(),
      watchdogMs,
      onElected: () => events.push('elected'),
      onDeposed: reason => events.push(`deposed:${reason}`),
      onLeader: () => {},
      onWarn: () => {},
      onCrash: err => events.push(`crash:${err.message}`),
    })
    t.teardown(() => k.stop())
    return { k, events }
  }
  const a = await keeper('a', 2000)
  await until(() => a.events.includes('elected'), 'a leads')
  // b's own main thread is blocked below too: a watchdog far longer than the block keeps it in.
  const b = await keeper('b', 60_000)
  // Hung for well over a's watchdog.
  const blockedUntil = performance.now() + 5000
  while (performance.now() < blockedUntil);
  t.notOk(a.k.leaseValid(), 'the hung leader no longer holds the lease')
  await until(() => b.events.includes('elected'), 'b takes over')
  await until(() => a.events.includes('deposed:stopped'), 'a hears it gave the lease up')
  // a beats again: it contends once more, as a standby of b.
  await new Promise(r => setTimeout(r, 2000))
  t.same(a.events, ['elected', 'deposed:stopped'])
  t.same(b.events, ['elected'])
  await a.k.stop()
  await b.k.stop()
  t.notOk(a.k.running || b.k.running, 'both worker threads ended')
})
