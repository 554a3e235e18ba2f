import t from 'tap'
import { Writable } from 'node:stream'
import { connect } from '@nats-io/transport-node'
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

t.test('the registry in JetStream KV: one key per entity, batches, load, fencing, a corrupt entry', { skip }, async t => {
  const server = await startNatsServer()
  t.teardown(() => server.stop())
  const nc1 = await connect({ servers: server.url })
  t.teardown(() => nc1.close())
  const nc2 = await connect({ servers: server.url })
  t.teardown(() => nc2.close())
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
  await until(() => terms.includes('deposed:deposed'), 'the deposed master steps down')
  t.equal(core.agents.size, 0, 'the agent was not admitted')
  t.notOk(contender.leading, 'no master actor runs in this process any more')
  t.ok(out.some(l => /a later leader took the registry .*: stepping down/.test(l.msg)), 'the log says why')
  const keys = (await successor.load()).map(e => e.key)
  t.same(keys, [], 'nothing it tried to write landed')
})
