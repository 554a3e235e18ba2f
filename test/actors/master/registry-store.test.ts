import t from 'tap'
import {
  MemoryRegistryStore,
  RegistryCorruptError,
  RegistryFencedError,
  decodeEntry,
  decodeRegistry,
  deleteEntry,
  encodeEntry,
  parseRegistryKey,
  registryKey,
} from '../../../actors/master/index.js'

const agent = (id: string) => ({ id, info: { hostname: `h-${id}`, resources: [], id: { value: id } }, pid: `agent@${id}`, version: '0.1.0', registered_at: 1 })

t.test('keys: one per entity; ids and roles that are not plain KV tokens round-trip', async t => {
  t.equal(registryKey('agents', 'm-S1'), 'agents.m-S1')
  for (const id of ['a.b', 'eng/prod', 'x y', '*', '=', 'ünï']) {
    const key = registryKey('quota', id)
    t.match(key, /^quota\.[-/_=.a-zA-Z0-9]+$/, `'${id}' -> a legal KV key`)
    t.same(parseRegistryKey(key), { kind: 'quota', id })
  }
  t.equal(parseRegistryKey('nonsense.x'), undefined)
})

t.test('the memory store: fenced batches in order, load without the fence, a later term fences the earlier', async t => {
  const store = new MemoryRegistryStore()
  const term1 = await store.fence(1)
  await store.write([encodeEntry('agents', 'a1', agent('a1')), encodeEntry('agents', 'a2', agent('a2'))], term1)
  await store.write([deleteEntry('agents', 'a1')], term1)
  t.same((await store.load()).map(e => e.key), ['agents.a2'])
  const term2 = await store.fence(2)
  await t.rejects(store.write([encodeEntry('agents', 'a3', agent('a3'))], term1), RegistryFencedError, 'the deposed term cannot write')
  t.same((await store.load()).map(e => e.key), ['agents.a2'], 'nothing of the refused batch landed')
  await store.write([encodeEntry('agents', 'a3', agent('a3'))], term2)
  t.equal((await store.load()).length, 2)
  store.available = false
  await t.rejects(store.load(), /unavailable/)
})

t.test('a corrupt entry gets an error naming its key and the problem; the rest is recovered', async t => {
  const enc = new TextEncoder()
  const good = encodeEntry('agents', 'a1', agent('a1'))
  const fw = encodeEntry('frameworks', 'f1', { id: 'f1', info: { user: 'u', name: 'n', failover_timeout: 60 }, pid: 's@x', registered_at: 2 })
  const entries = [
    { key: good.key, value: good.value! },
    { key: 'agents.bad1', value: enc.encode('{not json') },
    { key: 'agents.bad2', value: enc.encode(JSON.stringify({ id: 'bad2', pid: 'p', version: 'v', registered_at: 1 })) },
    { key: 'agents.bad3', value: enc.encode(JSON.stringify(agent('other'))) },
    { key: 'weird.x', value: enc.encode('{}') },
    { key: fw.key, value: fw.value! },
  ]
  const r = decodeRegistry(entries)
  t.same(r.agents.map(a => a.id), ['a1'])
  t.equal(r.frameworks[0]!.info.failover_timeout, 60)
  t.same(r.errors.map(e => e.key), ['agents.bad1', 'agents.bad2', 'agents.bad3', 'weird.x'])
  t.match(r.errors[0]!.message, /registry entry 'agents.bad1' is corrupt: not JSON/)
  t.match(r.errors[1]!.message, /'agents.bad2' is corrupt: \/info/)
  t.match(r.errors[2]!.message, /holds 'other', not 'bad3'/)
  t.match(r.errors[3]!.message, /unknown key/)
  t.throws(() => decodeEntry('agents.bad1', enc.encode('')), RegistryCorruptError)
})
