import t, { type Test } from 'tap'
import { Writable } from 'node:stream'
import { connect, type ConnectionOptions } from '@nats-io/transport-node'
import { Kvm } from '@nats-io/kv'
import { createLogger } from '../../runtime/index.js'
import { RegistryFencedError, deleteEntry, encodeEntry, loadRegistry, registryKey, type RegistryWrite } from '../../actors/master/index.js'
import { JetStreamRegistryStore, registryBucket } from '../../cluster/jetstream-registry-store.js'
import { MasterContender } from '../../cluster/master-contender.js'
import { natsServerPath, startNatsServer } from '../../cluster/nats-server.js'

const skip = natsServerPath() ? false : 'nats-server is not installed (apt-get install -y nats-server)'

const agent = (id: string) => ({ id, info: { hostname: `h-${id}`, resources: [], id: { value: id } }, pid: `agent@${id}`, version: '0.1.0', registered_at: 1 })

function lines(out: Array<Record<string, unknown> & { msg: string }>) {
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line.trim()) out.push(JSON.parse(line))
      done()
    },
  })
  return createLogger({ level: 'info', destination })
}

async function until(cond: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise(r => setTimeout(r, 20))
  }
}

/** A nats-server of the test's own and two client connections to it, all torn down with the test. */
async function serverWithTwoClients(t: Test, options: Partial<ConnectionOptions> = {}) {
  const server = await startNatsServer()
  t.teardown(() => server.stop())
  const first = await connect({ servers: server.url, ...options })
  t.teardown(() => first.close())
  const second = await connect({ servers: server.url, ...options })
  t.teardown(() => second.close())
  return { server, first, second }
}

t.test('the registry in JetStream KV: one key per entity, batches, load, fencing, a corrupt entry', { skip }, async t => {
  const { first: nc1, second: nc2 } = await serverWithTwoClients(t)
  const bucket = registryBucket('test')
  const store = await JetStreamRegistryStore.open(nc1, { bucket })
  t.same(await store.load(), [], 'empty at first')
  const term1 = await store.fence(1)

  const batch: RegistryWrite[] = Array.from({ length: 1000 }, (_, i) => encodeEntry('agents', `a${i}`, agent(`a${i}`)))
  batch.push(encodeEntry('frameworks', 'f/1', { id: 'f/1', info: { user: 'u', name: 'n', failover_timeout: 30 }, pid: 's@x', registered_at: 3 }))
  await store.write(batch, term1)
  await store.write([deleteEntry('agents', 'a0')], term1)
  const loaded = await store.load()
  t.equal(loaded.length, 1000, '999 agents and a framework')
  t.notOk(loaded.some(e => e.key === registryKey('agents', 'a0')), 'the deleted one is gone')
  t.notOk(loaded.some(e => e.key === 'fence'), 'the fence key is not an entry')

  // A successor (another connection) takes the registry: the first term's next write fails.
  const successor = await JetStreamRegistryStore.open(nc2, { bucket })
  const term2 = await successor.fence(2)
  await t.rejects(store.write([encodeEntry('agents', 'late', agent('late'))], term1), RegistryFencedError)
  await successor.write([encodeEntry('agents', 'ok', agent('ok'))], term2)
  const keys = new Set((await successor.load()).map(e => e.key))
  t.notOk(keys.has(registryKey('agents', 'late')), "the deposed term's write did not land")
  t.ok(keys.has(registryKey('agents', 'ok')))

  // A corrupt value: named by key; the rest recovers.
  const kv = await new Kvm(nc2).open(bucket)
  await kv.put('agents.broken', new TextEncoder().encode('{"id":'))
  const out: Array<Record<string, unknown> & { msg: string }> = []
  const recovered = await loadRegistry(successor, lines(out))
  t.equal(recovered.agents.length, 1000, '999 + ok')
  t.equal(recovered.frameworks[0]?.id, 'f/1')
  t.same(recovered.errors.map(e => e.key), ['agents.broken'])
  t.match(out.find(l => l.level === 50)?.msg, /registry entry 'agents.broken' is corrupt: not JSON/)
})

t.test('a leading master whose registry was taken by a successor fails its next write and steps down', { skip }, async t => {
  const server = await startNatsServer()
  t.teardown(() => server.stop())
  const out: Array<Record<string, unknown> & { msg: string }> = []
  const terms: string[] = []
  const contender = await MasterContender.start({
    servers: [server.url],
    prefix: 'fence',
    registry: 'jetstream',
    leaseMs: 2000,
    replicas: 1,
    hostname: 'fm1',
    port: 15999,
    masterOptions: {},
    log: lines(out),
    onTerm: e => terms.push(e.type === 'elected' ? 'elected' : `deposed:${e.reason}`),
  })
  t.teardown(() => contender.stop())
  await until(() => contender.core() !== undefined, 'the contender leads')

  const nc = await connect({ servers: server.url })
  t.teardown(() => nc.close())
  const successor = await JetStreamRegistryStore.open(nc, { bucket: registryBucket('fence') })
  await successor.fence(1000)

  const core = contender.core()!
  core.registerAgent('agent@h1', { agent: { hostname: 'h1', resources: [] }, version: '0.1.0' })
  await until(() => terms.includes('deposed:fenced'), 'the deposed master steps down')
  t.equal(core.agents.size, 0, 'the agent was not admitted')
  t.notOk(contender.leading, 'no master actor runs in this process any more')
  t.ok(out.some(l => /a later leader took the registry .*: stepping down/.test(l.msg)), 'the log says why')
  const keys = (await successor.load()).map(e => e.key)
  t.same(keys, [], 'nothing it tried to write landed')
})

/** Every key's entry with its revision (the stream sequence of its last write), deletes as absent. */
async function revisions(nc: Awaited<ReturnType<typeof connect>>, bucket: string): Promise<Map<string, number>> {
  const kv = await new Kvm(nc).open(bucket)
  const out = new Map<string, number>()
  const keys = await kv.keys()
  for await (const k of keys) {
    const e = await kv.get(k)
    if (e && e.operation === 'PUT') out.set(k, e.revision)
  }
  return out
}

t.test("a deposed leader's batch in flight is refused entry by entry once a successor fenced: none of its puts lands after the fence", { skip }, async t => {
  const { first: nc1, second: nc2 } = await serverWithTwoClients(t)
  const bucket = registryBucket('inflight')
  const deposed = await JetStreamRegistryStore.open(nc1, { bucket })
  const successor = await JetStreamRegistryStore.open(nc2, { bucket })
  const term1 = await deposed.fence(1)

  // The successor takes the fence once the deposed leader's batch is under way (its 200th put
  // stored): the rest of the batch is in flight or not sent yet.
  const kv = await new Kvm(nc2).open(bucket)
  const watch = await kv.watch({ key: 'agents.>' })
  const size = 20_000
  const batch: RegistryWrite[] = Array.from({ length: size }, (_, i) => encodeEntry('agents', `d${i}`, agent(`d${i}`)))
  const writing = deposed.write(batch, term1)
  let seen = 0
  for await (const _ of watch) if (++seen >= 200) break
  watch.stop()
  const term2 = await successor.fence(2)

  await t.rejects(writing, RegistryFencedError, "the deposed leader's batch fails as fenced")
  const landed = await revisions(nc2, bucket)
  const late = [...landed].filter(([key, revision]) => key !== 'fence' && revision > term2.revision)
  t.same(late, [], "no entry of the deposed leader's batch was stored after the successor's fence")
  const ofBatch = [...landed.keys()].filter(k => k.startsWith('agents.d')).length
  t.ok(ofBatch >= 200 && ofBatch < size, `the batch was cut short at the fence (${ofBatch} of ${size} stored, all before it)`)
  await t.rejects(deposed.write([deleteEntry('agents', 'd0')], term1), RegistryFencedError, 'and so is a delete after it')
  t.ok((await revisions(nc2, bucket)).has(registryKey('agents', 'd0')), 'the delete did not land')
  await successor.write([encodeEntry('agents', 'next', agent('next'))], term2)
  t.ok((await revisions(nc2, bucket)).has(registryKey('agents', 'next')), 'the successor writes on')
})

t.test('a failure of one of its own writes, or a stray writer, does not depose a leader that still holds the fence', { skip }, async t => {
  const server = await startNatsServer()
  t.teardown(() => server.stop())
  const nc = await connect({ servers: server.url })
  t.teardown(() => nc.close())
  const bucket = registryBucket('spurious')
  // Registry publishes go through nc.request: make the 50th one fail before it is sent (a lost
  // publish) and the 120th fail after it was sent (a lost ack).
  let publishes = 0
  const faults: string[] = []
  const faulty = new Proxy(nc, {
    get(target, prop) {
      if (prop === 'request') {
        return async (subject: string, ...rest: Parameters<typeof nc.request> extends [string, ...infer R] ? R : never) => {
          if (!subject.startsWith('$KV.')) return target.request(subject, ...rest)
          publishes++
          if (publishes === 50) {
            faults.push('lost publish')
            throw new Error('injected: publish lost')
          }
          const n = publishes
          const reply = await target.request(subject, ...rest)
          if (n === 120) {
            faults.push('lost ack')
            throw new Error('injected: ack lost')
          }
          return reply
        }
      }
      const v = Reflect.get(target, prop, target) as unknown
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v
    },
  })
  const store = await JetStreamRegistryStore.open(faulty, { bucket })
  const fence = await store.fence(7)
  const batch: RegistryWrite[] = Array.from({ length: 1000 }, (_, i) => encodeEntry('agents', `s${i}`, agent(`s${i}`)))
  await store.write(batch, fence)
  t.same(faults, ['lost publish', 'lost ack'], 'both faults happened inside the batch')
  t.equal((await store.load()).length, 1000, 'every entry of the batch is stored')

  // Someone else writes the bucket (an operator's `nats kv put`): not a successor's fence.
  const stray = await new Kvm(nc).open(bucket)
  await stray.put('weights.stray', new TextEncoder().encode('{}'))
  await store.write([encodeEntry('agents', 'after', agent('after'))], fence)
  t.ok((await store.load()).some(e => e.key === registryKey('agents', 'after')), 'the leader writes on after a stray write')
})

t.test("a following store's load() is a full read of the bucket, as of the fence or later", { skip }, async t => {
  const { server, first: ncLeader, second: ncStandby } = await serverWithTwoClients(t)
  const bucket = registryBucket('follow')
  const leader = await JetStreamRegistryStore.open(ncLeader, { bucket })
  const term1 = await leader.fence(1)
  await leader.write(Array.from({ length: 500 }, (_, i) => encodeEntry('agents', `f${i}`, agent(`f${i}`))), term1)
  await leader.write([deleteEntry('agents', 'f0'), deleteEntry('agents', 'f1')], term1)

  // The standby follows from here: it sees the last values, then every change (deletes too).
  const standby = await JetStreamRegistryStore.open(ncStandby, { bucket, follow: { servers: [server.url] } })
  await leader.write([deleteEntry('agents', 'f2'), encodeEntry('agents', 'f3', { ...agent('f3'), version: '0.2.0' })], term1)
  await leader.write(Array.from({ length: 300 }, (_, i) => encodeEntry('agents', `g${i}`, agent(`g${i}`))), term1)
  const sorted = (entries: Array<{ key: string; value: Uint8Array }>) =>
    entries.map(e => [e.key, Buffer.from(e.value).toString()] as const).sort((a, b) => (a[0] < b[0] ? -1 : 1))

  // The last writes before the fence come right before it, with no time for the follower to see them.
  await leader.write([encodeEntry('agents', 'last', agent('last')), deleteEntry('agents', 'g0')], term1)
  await standby.fence(2)
  const followed = await standby.load()
  const full = await leader.load()
  t.same(sorted(followed), sorted(full), 'the same entries and values as a full read')
  t.equal(followed.length, 500 - 3 + 300 - 1 + 1)
  t.ok(followed.some(e => e.key === registryKey('agents', 'last')), 'the write made just before the fence is there')
  t.notOk(followed.some(e => e.key === registryKey('agents', 'g0') || e.key === 'fence'), 'deletes and the fence key are not')
  t.match(Buffer.from(followed.find(e => e.key === registryKey('agents', 'f3'))!.value).toString(), /0\.2\.0/, 'an update made while following')

  // A corrupt entry written while following is reported by key; the rest recovers.
  await new Kvm(ncLeader).open(bucket).then(kv => kv.put('agents.broken', new TextEncoder().encode('{"id":')))
  const out: Array<Record<string, unknown> & { msg: string }> = []
  const recovered = await loadRegistry(standby, lines(out))
  t.same(recovered.errors.map(e => e.key), ['agents.broken'])
  t.equal(recovered.agents.length, followed.length)
  t.match(out.find(l => l.level === 50)?.msg, /registry entry 'agents.broken' is corrupt: not JSON/)
})

t.test('a following store still loads everything after the server restarted under it', { skip }, async t => {
  const { server, first: ncLeader, second: ncStandby } = await serverWithTwoClients(t, { maxReconnectAttempts: -1, reconnectTimeWait: 100 })
  const bucket = registryBucket('restart')
  const leader = await JetStreamRegistryStore.open(ncLeader, { bucket })
  const standby = await JetStreamRegistryStore.open(ncStandby, { bucket, follow: { servers: [server.url] } })
  const term1 = await leader.fence(1)
  await leader.write(Array.from({ length: 100 }, (_, i) => encodeEntry('agents', `r${i}`, agent(`r${i}`))), term1)
  await server.restart()
  await until(() => !ncLeader.isClosed(), 'the leader reconnects')
  let written = false
  for (let i = 0; i < 100 && !written; i++) {
    try {
      await leader.write([deleteEntry('agents', 'r0'), encodeEntry('agents', 'after', agent('after'))], term1)
      written = true
    } catch {
      await new Promise(r => setTimeout(r, 100))
    }
  }
  t.ok(written, 'the leader writes again after the restart')
  await standby.fence(2)
  const keys = (await standby.load()).map(e => e.key).sort()
  t.same(keys, (await leader.load()).map(e => e.key).sort(), 'the same as a full read')
  t.ok(keys.includes(registryKey('agents', 'after')) && !keys.includes(registryKey('agents', 'r0')))
})
