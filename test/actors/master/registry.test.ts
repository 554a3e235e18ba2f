// The master with a persistent registry, in virtual time on the sim transport: it persists
// before it acts, batches what arrives together, is fenced by a later term, and a new term
// recovers agents, frameworks and what became of the agents that never came back.
import t from 'tap'
import { Writable } from 'node:stream'
import { createLogger, type Logger } from '../../../runtime/index.js'
import {
  MemoryRegistryStore,
  RegistryFencedError,
  loadRegistry,
  registryKey,
  type RegistryLink,
} from '../../../actors/master/index.js'
import { MasterWorld, resourcesJson, type Party } from './support/harness.js'

type Line = Record<string, unknown> & { msg: string }

function memoryLogger(lines: Line[]): Logger {
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line.trim()) lines.push(JSON.parse(line))
      done()
    },
  })
  return createLogger({ level: 'info', destination })
}

/** A new term's hold on the registry: fence, then load (what the contender does). */
async function term(store: MemoryRegistryStore, epoch: number, log: Logger, fenced: RegistryFencedError[] = []): Promise<RegistryLink> {
  const fence = await store.fence(epoch)
  const recovered = await loadRegistry(store, log)
  return { store, fence, recovered, onFenced: err => fenced.push(err) }
}

const run = (w: MasterWorld, ms = 50): Promise<void> => w.clock.advanceAsync(ms)

function agentInfo(node: string, id?: string): Record<string, unknown> {
  return { hostname: node, port: 5051, resources: resourcesJson('cpus:4;mem:4096'), ...(id ? { id: { value: id } } : {}) }
}

async function register(w: MasterWorld, node: string): Promise<Party & { id: string }> {
  const agent = w.party('agent', node)
  agent.send('RegisterAgent', { agent: agentInfo(node), version: '0.1.0' })
  await run(w)
  const reply = agent.last('AgentRegistered')
  if (!reply) throw new Error(`agent@${node} was not registered`)
  return Object.assign(agent, { id: reply.body.agent_id.value as string })
}

async function subscribe(w: MasterWorld, node: string, info: Record<string, unknown>): Promise<Party & { id: string }> {
  const f = w.party('sched', node)
  f.send('Subscribe', { framework_info: { user: 'root', name: node, ...info } })
  await run(w)
  const reply = f.last('Subscribed')
  if (!reply) throw new Error(`framework at ${node} was not subscribed: ${JSON.stringify(f.inbox)}`)
  return Object.assign(f, { id: reply.body.framework_id.value as string })
}

t.test('the master persists before it acts: a failing store gets no AgentRegistered or Subscribed, and the log says why', async t => {
  const logs: Line[] = []
  const log = memoryLogger(logs)
  const store = new MemoryRegistryStore()
  const w = new MasterWorld({}, { registry: await term(store, 1, log), logger: log })
  t.teardown(() => w.crashMaster())
  store.available = false
  const agent = w.party('agent', 'h1')
  agent.send('RegisterAgent', { agent: agentInfo('h1'), version: '0.1.0' })
  const sched = w.party('sched', 's1')
  sched.send('Subscribe', { framework_info: { user: 'root', name: 'f' } })
  await run(w, 2000)
  t.equal(agent.got('AgentRegistered').length, 0, 'not admitted')
  t.equal(sched.got('Subscribed').length, 0, 'not subscribed')
  t.equal(w.core.agents.size, 0)
  t.equal(w.core.frameworks.size, 0)
  t.ok(logs.some(l => /registering agent .* not done, the registry write failed: registry store unavailable/.test(l.msg)), 'the log names the failed write')
  t.ok(logs.some(l => /subscribing framework .* not done, the registry write failed/.test(l.msg)))

  // The clients' retries succeed once the store is back.
  store.available = true
  agent.send('RegisterAgent', { agent: agentInfo('h1'), version: '0.1.0' })
  sched.send('Subscribe', { framework_info: { user: 'root', name: 'f' } })
  await run(w)
  const id = agent.last('AgentRegistered')!.body.agent_id.value
  t.ok(store.entries.has(registryKey('agents', id)), 'the agent is in the registry')
  t.ok(store.entries.has(registryKey('frameworks', sched.last('Subscribed')!.body.framework_id.value)))
})

t.test('a store that hangs: nothing is acted on, retries are not admitted twice, and a warning says the write is outstanding', async t => {
  const logs: Line[] = []
  const log = memoryLogger(logs)
  const store = new MemoryRegistryStore()
  const w = new MasterWorld({}, { registry: await term(store, 1, log), logger: log })
  t.teardown(() => w.crashMaster())
  store.hang = true
  const agent = w.party('agent', 'h1')
  agent.send('RegisterAgent', { agent: agentInfo('h1'), version: '0.1.0' })
  await run(w, 100)
  agent.send('RegisterAgent', { agent: agentInfo('h1'), version: '0.1.0' })
  await run(w, 6000)
  t.equal(agent.got('AgentRegistered').length, 0)
  t.equal(w.core.agents.size, 0)
  t.ok(logs.some(l => /registry write of 1 entries has not completed after 5000 ms/.test(l.msg)), 'one write, outstanding, and the log says so')
})

t.test('registrations arriving together are written in a few batches, not one round trip each', async t => {
  const log = memoryLogger([])
  const w = new MasterWorld({}, { logger: log })
  w.crashMaster()
  // Each write takes 5 ms (a KV round trip): what arrives meanwhile goes out as the next batch.
  const store = new MemoryRegistryStore({ clock: w.clock, latencyMs: 5 })
  w.startMaster({}, { registry: await term(store, 1, log), logger: log })
  t.teardown(() => w.crashMaster())
  const agents = Array.from({ length: 100 }, (_, i) => w.party('agent', `h${i}`))
  for (const [i, a] of agents.entries()) a.send('RegisterAgent', { agent: agentInfo(`h${i}`), version: '0.1.0' })
  await run(w, 200)
  t.equal(agents.filter(a => a.got('AgentRegistered').length === 1).length, 100, 'every agent admitted once')
  t.equal(store.entries.size, 100)
  t.ok(store.stats.batches <= 10, `100 registrations in ${store.stats.batches} batches`)
})

t.test('fencing: once a later term takes the registry, the deposed master\'s next write fails, it acts on nothing and is told to step down', async t => {
  const logs: Line[] = []
  const log = memoryLogger(logs)
  const store = new MemoryRegistryStore()
  const fenced: RegistryFencedError[] = []
  const w = new MasterWorld({}, { registry: await term(store, 1, log, fenced), logger: log })
  t.teardown(() => w.crashMaster())
  await register(w, 'h1')
  await store.fence(2) // a successor was elected and took the registry
  const late = w.party('agent', 'h2')
  late.send('RegisterAgent', { agent: agentInfo('h2'), version: '0.1.0' })
  const sched = w.party('sched', 's1')
  sched.send('Subscribe', { framework_info: { user: 'root', name: 'f' } })
  await run(w, 500)
  t.equal(late.got('AgentRegistered').length, 0, 'no agent admitted by the deposed master')
  t.equal(sched.got('Subscribed').length, 0)
  t.equal(fenced.length, 1, 'told once to step down')
  t.match(fenced[0]!.message, /a later leader took the registry \(this master's epoch 1/)
  t.equal(store.entries.size, 1, 'its refused writes did not land')
})

t.test('recovery after a failover: agents reregister with their tasks, frameworks resubscribe, the missing agent is marked unreachable after the timeout', async t => {
  const logs: Line[] = []
  const log = memoryLogger(logs)
  const store = new MemoryRegistryStore()
  const w = new MasterWorld({}, { registry: await term(store, 1, log), logger: log })
  t.teardown(() => w.crashMaster())
  const [a1, a2, a3] = [await register(w, 'h1'), await register(w, 'h2'), await register(w, 'h3')]
  const aware = await subscribe(w, 's-aware', { failover_timeout: 3600, capabilities: [{ type: 'PARTITION_AWARE' }] })
  const plain = await subscribe(w, 's-plain', { failover_timeout: 3600 })
  const forgotten = await subscribe(w, 's-gone', { failover_timeout: 0 })
  await w.clock.advanceAsync(10)

  // The leader dies; the next term recovers the registry the first one wrote.
  w.crashMaster()
  await run(w, 1000)
  const offersBefore = [aware.got('Offers').length, plain.got('Offers').length]
  w.startMaster({ agentReregisterTimeoutMs: 60_000 }, { registry: await term(store, 2, log), logger: log })
  t.equal(w.core.agents.size, 0, 'recovered agents are not offered until they reregister')
  t.same([...w.core.recovery.waiting.keys()].sort(), [a1.id, a2.id, a3.id].sort())
  t.same([...w.core.frameworks.values()].map(f => [f.id, f.connected, f.info.failover_timeout]), [
    [aware.id, false, 3600],
    [plain.id, false, 3600],
    [forgotten.id, false, 0],
  ])

  const task = (id: string, frameworkId: string, agentId: string) => ({
    name: id,
    task_id: { value: id },
    framework_id: { value: frameworkId },
    agent_id: { value: agentId },
    state: 'TASK_RUNNING',
    resources: resourcesJson('cpus:1;mem:128'),
  })
  a1.send('ReregisterAgent', { agent: agentInfo('h1', a1.id), version: '0.1.0', tasks: [task('t1', aware.id, a1.id), task('t2', plain.id, a1.id)] })
  a2.send('ReregisterAgent', { agent: agentInfo('h2', a2.id), version: '0.1.0', tasks: [] })
  await run(w, 100)
  t.equal(a1.got('AgentReregistered').length, 1)
  t.equal(a2.got('AgentReregistered').length, 1)
  t.same([...w.core.recovery.waiting.keys()], [a3.id], 'only h3 is still awaited')
  t.equal(w.core.frameworks.get(aware.id)!.tasks.get('t1')?.state, 'TASK_RUNNING', 'the task is known to its recovered framework')

  for (const f of [aware, plain]) {
    f.send('Subscribe', { framework_info: { user: 'root', name: f.pid.split('@')[1], id: { value: f.id }, failover_timeout: 3600, ...(f === aware ? { capabilities: [{ type: 'PARTITION_AWARE' }] } : {}) } })
  }
  await run(w, 100)
  t.equal(aware.got('Subscribed').length, 2, 'resubscribed with its FrameworkID')
  const reconcile = (f: Party & { id: string }, taskId: string, agentId: string): void =>
    f.send('Reconcile', { framework_id: { value: f.id }, tasks: [{ task_id: { value: taskId }, agent_id: { value: agentId } }] })
  const updates = (f: Party, taskId: string) => f.got('Update').map(u => u.body.status).filter(s => s.task_id.value === taskId)
  reconcile(aware, 't1', a1.id)
  reconcile(aware, 't4', a3.id)
  reconcile(plain, 't5', a3.id)
  await run(w, 100)
  t.equal(updates(aware, 't1').at(-1)?.state, 'TASK_RUNNING')
  t.same(updates(aware, 't4'), [], 'no answer while h3 may still come back (Mesos)')
  t.same(updates(plain, 't5'), [])

  await run(w, 1500)
  const offered = new Set([...aware.got('Offers').slice(offersBefore[0]), ...plain.got('Offers').slice(offersBefore[1])].flatMap(o => o.body.offers.map((x: { agent_id: { value: string } }) => x.agent_id.value)))
  t.notOk(offered.has(a3.id), 'the agent that did not return is not offered')
  t.ok(offered.has(a1.id) || offered.has(a2.id), 'the agents that did are')

  await run(w, 60_000)
  t.ok(w.core.removedAgents.has(a3.id), 'h3 is marked unreachable')
  const entry = JSON.parse(new TextDecoder().decode(store.entries.get(registryKey('agents', a3.id))!))
  t.type(entry.unreachable_at, 'number', 'and that is in the registry before the master acted on it')
  reconcile(aware, 't4', a3.id)
  reconcile(plain, 't5', a3.id)
  await run(w, 100)
  t.equal(updates(aware, 't4').at(-1)?.state, 'TASK_UNREACHABLE', 'PARTITION_AWARE: TASK_UNREACHABLE')
  t.equal(updates(plain, 't5').at(-1)?.state, 'TASK_LOST', 'others: TASK_LOST')
  t.ok(logs.some(l => /1 agents did not reregister within 60000 ms: marked unreachable/.test(l.msg)))

  // The framework that never resubscribed: removed once its timeout (counted from recovery,
  // at least the agents' reregistration window) ran out, and deleted from the registry.
  t.notOk(w.core.frameworks.has(forgotten.id))
  t.notOk(store.entries.has(registryKey('frameworks', forgotten.id)))
  t.ok(w.core.frameworks.has(aware.id) && w.core.frameworks.has(plain.id))

  // h3 returns after all: readmitted, and the registry says so.
  a3.send('ReregisterAgent', { agent: agentInfo('h3', a3.id), version: '0.1.0', tasks: [] })
  await run(w, 100)
  t.equal(a3.got('AgentReregistered').length, 1)
  t.equal(JSON.parse(new TextDecoder().decode(store.entries.get(registryKey('agents', a3.id))!)).unreachable_at, undefined)
})

t.test('after a failover an agent that comes back as the registry holds it is readmitted without a registry write; a changed one is written first', async t => {
  const logs: Line[] = []
  const log = memoryLogger(logs)
  const store = new MemoryRegistryStore()
  const w = new MasterWorld({}, { registry: await term(store, 1, log), logger: log })
  t.teardown(() => w.crashMaster())
  const [a1, a2] = [await register(w, 'h1'), await register(w, 'h2')]
  w.crashMaster()
  w.startMaster({ agentReregisterTimeoutMs: 60_000 }, { registry: await term(store, 2, log), logger: log })
  const writesBefore = store.stats.writes

  a1.send('ReregisterAgent', { agent: agentInfo('h1', a1.id), version: '0.1.0', tasks: [] })
  await run(w, 100)
  t.equal(a1.got('AgentReregistered').length, 1, 'the unchanged agent is answered')
  t.equal(store.stats.writes, writesBefore, 'and nothing was written for it')

  // h2 comes back with more memory than it was admitted with: its entry must say so before it is answered.
  a2.send('ReregisterAgent', { agent: { ...agentInfo('h2', a2.id), resources: resourcesJson('cpus:4;mem:8192') }, version: '0.1.0', tasks: [] })
  await run(w, 100)
  t.equal(a2.got('AgentReregistered').length, 1)
  t.equal(store.stats.writes, writesBefore + 1, 'the changed agent was written')
  const entry = JSON.parse(new TextDecoder().decode(store.entries.get(registryKey('agents', a2.id))!))
  t.same(entry.info.resources, resourcesJson('cpus:4;mem:8192'), 'its new resources are in the registry')
  t.ok(logs.some(l => /all 2 agents of the registry are back/.test(l.msg)), 'the last return is summarised in the log')
})

t.test('a recovered framework that does not resubscribe within its failover_timeout is removed, counted from recovery', async t => {
  const log = memoryLogger([])
  const store = new MemoryRegistryStore()
  const w = new MasterWorld({}, { registry: await term(store, 1, log), logger: log })
  t.teardown(() => w.crashMaster())
  const f = await subscribe(w, 's1', { failover_timeout: 300 })
  await run(w, 200_000) // long before the failover: must not count
  w.crashMaster()
  w.startMaster({ agentReregisterTimeoutMs: 60_000 }, { registry: await term(store, 2, log), logger: log })
  await run(w, 299_000)
  t.ok(w.core.frameworks.has(f.id), 'still there just before its failover_timeout since recovery')
  await run(w, 2000)
  t.notOk(w.core.frameworks.has(f.id), 'removed after it')
  t.equal(store.entries.size, 0)
})

t.test('a corrupt registry entry: recovery names the key, the rest is recovered', async t => {
  const logs: Line[] = []
  const log = memoryLogger(logs)
  const store = new MemoryRegistryStore()
  const w = new MasterWorld({}, { registry: await term(store, 1, log), logger: log })
  t.teardown(() => w.crashMaster())
  const a1 = await register(w, 'h1')
  const f = await subscribe(w, 's1', { failover_timeout: 60 })
  store.entries.set('agents.broken', new TextEncoder().encode('{"id": "broken"'))
  w.crashMaster()
  w.startMaster({}, { registry: await term(store, 2, log), logger: log })
  t.ok(w.core.recovery.waiting.has(a1.id))
  t.ok(w.core.frameworks.has(f.id))
  const error = logs.find(l => l.level === 50)
  t.match(error?.msg, /registry entry 'agents.broken' is corrupt: not JSON/)
  t.ok(store.entries.has('agents.broken'), 'left in the store for an operator to look at')
})

t.test('weights, quota and agents marked gone are persisted before they apply, and recovered; a failed write answers 503 and changes nothing', async t => {
  const log = memoryLogger([])
  const store = new MemoryRegistryStore()
  const w = new MasterWorld({}, { registry: await term(store, 1, log), logger: log })
  t.teardown(() => w.crashMaster())
  const a1 = await register(w, 'h1')
  const a2 = await register(w, 'h2')
  const answers = [
    w.core.updateWeights({ weight_infos: [{ role: 'prod', weight: 3 }] }),
    w.core.updateQuota({ force: true, quota_configs: [{ role: 'prod', guarantees: { cpus: { value: 2 } }, limits: { cpus: { value: 4 } } }] }),
    w.core.markAgentGone(a2.id),
  ]
  t.equal(w.core.operator.weights.get('prod'), undefined, 'not applied before it is persisted')
  await run(w)
  t.same(await Promise.all(answers), [{ status: 'OK' }, { status: 'OK' }, { status: 'OK' }], 'answered once persisted')
  t.equal(w.core.operator.weights.get('prod'), 3)

  store.available = false
  const refused = w.core.updateWeights({ weight_infos: [{ role: 'prod', weight: 5 }] })
  await run(w)
  t.match(await refused, { status: 'SERVICE_UNAVAILABLE', message: /updating weights: the registry write failed: registry store unavailable/ })
  t.equal(w.core.operator.weights.get('prod'), 3, 'unchanged')
  store.available = true

  w.crashMaster()
  w.startMaster({}, { registry: await term(store, 2, log), logger: log })
  t.equal(w.core.operator.weights.get('prod'), 3, 'weights recovered')
  t.same([...w.core.operator.quotas.get('prod')!.guarantees], [['cpus', 2000]], 'quota recovered')
  t.ok(w.core.operator.goneAgents.has(a2.id), 'the gone agent is remembered')
  t.ok(w.core.recovery.waiting.has(a1.id) && !w.core.recovery.waiting.has(a2.id))
  a2.send('ReregisterAgent', { agent: agentInfo('h2', a2.id), version: '0.1.0', tasks: [] })
  await run(w)
  t.match(a2.last('ShutdownAgent')?.body.message, /marked gone/, 'and refused when it comes back')
})
