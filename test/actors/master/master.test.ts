import t from 'tap'
import { MasterWorld, commandTask, resourcesJson, cpusOf } from './support/harness.js'

t.test('agents register, get ids, and a retried registration gets the same id', async t => {
  const w = new MasterWorld()
  const a1 = w.registerAgent('agent', 'h1')
  const a2 = w.registerAgent('agent', 'h2')
  t.not(a1.id, a2.id)
  const reg = a1.last('AgentRegistered')!.body
  t.equal(reg.connection.total_ping_timeout_seconds, 75, '15 s x 5 pings, as Mesos')
  t.equal(reg.master_info.pid, 'master@m1')
  a1.send('RegisterAgent', { agent: { hostname: 'h1', resources: resourcesJson('cpus:4') }, version: '0.1.0' })
  w.settle()
  t.equal(a1.got('AgentRegistered').length, 2)
  t.equal(a1.last('AgentRegistered')!.body.agent_id.value, a1.id)
  t.equal(w.core.agents.size, 2)
  t.equal(w.masterRt.metrics.snapshot()['master/cpus_total'], 8)
})

t.test('a Subscribe that breaks the schema is dropped at the edge and counted', async t => {
  const w = new MasterWorld()
  const p = w.party('s', 'f1')
  p.send('Subscribe', { framework_info: { name: 'no user' } })
  w.settle()
  t.equal(p.inbox.length, 0)
  t.equal(w.masterRt.metrics.snapshot()['runtime/messages_dropped/invalid_body'], 1)
})

t.test('an agent with bad registration data is refused with a reason', async t => {
  const w = new MasterWorld()
  const bad = w.party('agent', 'h9')
  bad.send('RegisterAgent', { agent: { hostname: 'h9', resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: -4 } }] }, version: '0.1.0' })
  w.settle()
  t.match(bad.last('ShutdownAgent')?.body.message, /invalid resources/)
  const anonymous = w.party('agent', 'h8')
  anonymous.send('RegisterAgent', { agent: { hostname: '', resources: [] }, version: '0.1.0' })
  w.settle()
  t.match(anonymous.last('ShutdownAgent')?.body.message, /hostname is empty/)
  t.equal(w.core.agents.size, 0)
})

t.test('frameworks subscribe; invalid FrameworkInfo gets an Error naming the problem', async t => {
  const w = new MasterWorld()
  const f = w.subscribe('sched', 'f1')
  t.ok(f.id())
  t.equal(f.last('Subscribed')!.body.heartbeat_interval_seconds, 15)
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ user: 'root', name: '' }, /name must be set/],
    [{ user: 'u', name: 'x', roles: ['a'] }, /lacks the MULTI_ROLE capability/],
    [{ user: 'u', name: 'x', role: 'bad role' }, /Invalid role 'bad role'/],
    [{ user: 'u', name: 'x', failover_timeout: -1 }, /failover_timeout must be a non-negative/],
  ]
  for (const [info, message] of cases) {
    const p = w.party('s', `bad${cases.indexOf([info, message] as never) + Math.random().toString(36).slice(2, 6)}`)
    p.send('Subscribe', { framework_info: info })
    w.settle()
    t.match(p.last('Error')?.body.message, message)
    t.equal(p.got('Subscribed').length, 0)
  }
})

t.test('offers carry the agent, its resources and the role; accept launches; the rest comes back', async t => {
  const w = new MasterWorld()
  const agent = w.registerAgent('agent', 'h1', 'cpus:4;mem:4096', { attributes: [{ name: 'rack', type: 'TEXT', text: { value: 'r1' } }] })
  const f = w.subscribe('sched', 'f1')
  w.settle(1100)
  const offers = f.last('Offers')!.body.offers
  t.equal(offers.length, 1)
  const offer = offers[0]
  t.equal(offer.agent_id.value, agent.id)
  t.equal(offer.hostname, 'h1')
  t.equal(offer.allocation_info.role, '*')
  t.equal(cpusOf(offer.resources), 4)
  t.same(offer.attributes, [{ name: 'rack', type: 'TEXT', text: { value: 'r1' } }])
  t.equal(offer.url.address.port, 5051)

  f.send('Accept', { framework_id: { value: f.id() }, offer_ids: [offer.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [commandTask('t1', agent.id, 'cpus:1;mem:128')] } }] })
  w.settle()
  const run = agent.last('RunTask')!.body
  t.equal(run.task.task_id.value, 't1')
  t.equal(run.framework_id.value, f.id())
  t.equal(run.pid, f.pid)
  t.equal(run.task.resources[0].allocation_info.role, '*', 'allocation role filled in')
  t.equal(w.core.frameworks.get(f.id())!.tasks.get('t1')!.state, 'TASK_STAGING')
  t.equal(w.masterRt.metrics.snapshot()['master/cpus_used'], 1)
  // The unused 3 cpus are offered again after the default 5 s refuse filter.
  w.settle(6000)
  const again = f.last('Offers')!.body.offers[0]
  t.equal(cpusOf(again.resources), 3)
})

t.test('an invalid ACCEPT gets TASK_ERROR / TASK_LOST with a message that says what was wrong', async t => {
  const w = new MasterWorld()
  const agent = w.registerAgent('agent', 'h1', 'cpus:4;mem:4096')
  const other = w.registerAgent('agent', 'h2', 'cpus:1;mem:512')
  const f = w.subscribe('sched', 'f1')
  const g = w.subscribe('other', 'f2')
  w.settle(1100)
  const offerFor = (agentId: string) => f.inbox.flatMap(m => (m.type === 'Offers' ? m.body.offers : [])).filter((o: any) => o.agent_id.value === agentId && w.core.offers.has(o.id.value))[0]
  const statusOf = (taskId: string) => f.inbox.filter(m => m.type === 'Update' && m.body.status.task_id.value === taskId).at(-1)?.body.status
  const accept = (offerIds: unknown[], tasks: unknown[]) => {
    f.send('Accept', { framework_id: { value: f.id() }, offer_ids: offerIds, operations: [{ type: 'LAUNCH', launch: { task_infos: tasks } }], filters: { refuse_seconds: 0 } })
    w.settle()
  }
  const offer = offerFor(agent.id)
  t.ok(offer, 'an offer for the big agent')

  accept([offer.id], [
    commandTask('ok-1', agent.id, 'cpus:1;mem:64'),
    commandTask('ok-1', agent.id, 'cpus:1;mem:64'),
    commandTask('wrong-agent', other.id, 'cpus:1;mem:64'),
    commandTask('too-big', agent.id, 'cpus:100;mem:64'),
    { ...commandTask('both', agent.id, 'cpus:0.1;mem:32'), executor: { executor_id: { value: 'e' }, command: { value: 'x' } } },
    { ...commandTask('neither', agent.id, 'cpus:0.1;mem:32'), command: undefined },
    commandTask('empty-cmd', agent.id, 'cpus:0.1;mem:32', '  '),
    commandTask('bad/id', agent.id, 'cpus:0.1;mem:32'),
    { ...commandTask('bad-res', agent.id, 'cpus:1'), resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: -1 } }] },
    { ...commandTask('no-res', agent.id, 'cpus:1'), resources: [] },
  ])
  t.equal(agent.got('RunTask').length, 1, 'only the valid task is launched')
  t.equal(agent.last('RunTask')!.body.task.task_id.value, 'ok-1')
  const expectations: Array<[string, RegExp]> = [
    ['wrong-agent', /invalid agent/],
    ['too-big', /more resources .*cpus\(allocated: \*\):100.* than available/],
    ['both', /at least one \(but not both\) of CommandInfo or ExecutorInfo/],
    ['neither', /at least one \(but not both\)/],
    ['empty-cmd', /empty command value/],
    ['bad/id', /contains '\/'/],
    ['bad-res', /invalid resources/],
    ['no-res', /uses no resources/],
  ]
  for (const [id, message] of expectations) {
    const s = statusOf(id)
    t.equal(s?.state, 'TASK_ERROR', id)
    t.equal(s?.reason, 'REASON_TASK_INVALID', id)
    t.match(s?.message, message, id)
    t.equal(s?.uuid, undefined, 'master-generated: nothing to acknowledge')
  }
  const dup = f.inbox.filter(m => m.type === 'Update' && m.body.status.task_id.value === 'ok-1')
  t.match(dup.at(-1)?.body.status.message, /duplicate within this ACCEPT/)

  accept([{ value: 'no-such-offer' }], [commandTask('late', agent.id, 'cpus:1')])
  t.equal(statusOf('late')?.state, 'TASK_LOST')
  t.equal(statusOf('late')?.reason, 'REASON_INVALID_OFFERS')
  t.match(statusOf('late')?.message, /Offer no-such-offer is no longer valid/)

  const theirs = g.inbox.flatMap(m => (m.type === 'Offers' ? m.body.offers : []))[0]
  t.ok(theirs, 'the other framework got an offer too')
  accept([theirs.id], [commandTask('stolen', agent.id, 'cpus:1')])
  t.match(statusOf('stolen')?.message, /has invalid framework/)
  t.ok(w.core.offers.has(theirs.id.value), "another framework's offer is left alone")
})

t.test('status updates reach the framework; acknowledgements reach the agent; terminal tasks free resources', async t => {
  const w = new MasterWorld()
  const agent = w.registerAgent('agent', 'h1', 'cpus:2;mem:1024')
  const f = w.subscribe('sched', 'f1')
  w.settle(1100)
  const offer = f.last('Offers')!.body.offers[0]
  f.send('Accept', { framework_id: { value: f.id() }, offer_ids: [offer.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [commandTask('t1', agent.id, 'cpus:2;mem:1024')] } }] })
  w.settle()
  const update = (state: string, uuid: string) =>
    agent.send('StatusUpdate', { update: { framework_id: { value: f.id() }, agent_id: { value: agent.id }, status: { task_id: { value: 't1' }, state, source: 'SOURCE_EXECUTOR' }, timestamp: 1, uuid } })
  update('TASK_RUNNING', 'dXVpZC0x')
  w.settle()
  const u = f.last('Update')!.body.status
  t.equal(u.state, 'TASK_RUNNING')
  t.equal(u.uuid, 'dXVpZC0x')
  t.equal(u.agent_id.value, agent.id)
  t.equal(w.masterRt.metrics.snapshot()['master/tasks_running'], 1)
  f.send('Acknowledge', { framework_id: { value: f.id() }, agent_id: { value: agent.id }, task_id: { value: 't1' }, uuid: 'dXVpZC0x' })
  w.settle()
  t.same(agent.last('StatusUpdateAcknowledgement')!.body, { agent_id: { value: agent.id }, framework_id: { value: f.id() }, task_id: { value: 't1' }, uuid: 'dXVpZC0x' })

  const offersBefore = f.got('Offers').length
  update('TASK_FINISHED', 'dXVpZC0y')
  w.settle(1100)
  t.equal(f.got('Offers').length, offersBefore + 1, 'the finished task resources are offered again')
  t.equal(w.core.frameworks.get(f.id())!.tasks.has('t1'), true, 'kept until the terminal update is acknowledged')
  f.send('Acknowledge', { framework_id: { value: f.id() }, agent_id: { value: agent.id }, task_id: { value: 't1' }, uuid: 'dXVpZC0y' })
  w.settle()
  t.equal(w.core.frameworks.get(f.id())!.tasks.has('t1'), false)
  t.equal(w.core.frameworks.get(f.id())!.completedTasks.size, 1)
  t.equal(w.masterRt.metrics.snapshot()['master/tasks_finished'], 1)

  const stranger = w.party('agent', 'h66')
  stranger.send('StatusUpdate', { update: { framework_id: { value: f.id() }, status: { task_id: { value: 't1' }, state: 'TASK_FAILED' }, timestamp: 1, uuid: 'eA==' } })
  w.settle()
  t.equal(f.got('Update').filter(m => m.body.status.state === 'TASK_FAILED').length, 0, 'updates from unregistered agents are ignored')
  t.equal(w.masterRt.metrics.snapshot()['master/invalid_status_updates'], 1)
})

t.test('kill goes to the agent; killing an unknown task reconciles it', async t => {
  const w = new MasterWorld()
  const agent = w.registerAgent('agent', 'h1')
  const f = w.subscribe('sched', 'f1')
  w.settle(1100)
  const offer = f.last('Offers')!.body.offers[0]
  f.send('Accept', { framework_id: { value: f.id() }, offer_ids: [offer.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [commandTask('t1', agent.id, 'cpus:1')] } }] })
  w.settle()
  f.send('Kill', { framework_id: { value: f.id() }, task_id: { value: 't1' }, kill_policy: { grace_period: { nanoseconds: 1e9 } } })
  w.settle()
  t.same(agent.last('KillTask')!.body, { framework_id: { value: f.id() }, task_id: { value: 't1' }, kill_policy: { grace_period: { nanoseconds: 1e9 } } })
  f.send('Kill', { framework_id: { value: f.id() }, task_id: { value: 'ghost' } })
  w.settle()
  const s = f.last('Update')!.body.status
  t.equal(s.task_id.value, 'ghost')
  t.equal(s.state, 'TASK_LOST')
  t.equal(s.reason, 'REASON_RECONCILIATION')
})

t.test('reconciliation answers from the master view, explicitly and implicitly', async t => {
  const w = new MasterWorld()
  const agent = w.registerAgent('agent', 'h1')
  const f = w.subscribe('sched', 'f1', { capabilities: [{ type: 'PARTITION_AWARE' }] })
  w.settle(1100)
  const offer = f.last('Offers')!.body.offers[0]
  f.send('Accept', { framework_id: { value: f.id() }, offer_ids: [offer.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [commandTask('t1', agent.id, 'cpus:1'), commandTask('t2', agent.id, 'cpus:1')] } }] })
  w.settle()
  const before = f.got('Update').length
  f.send('Reconcile', { framework_id: { value: f.id() }, tasks: [] })
  w.settle()
  const implicit = f.got('Update').slice(before).map(m => m.body.status)
  t.same(implicit.map(s => [s.task_id.value, s.state, s.reason]).sort(), [['t1', 'TASK_STAGING', 'REASON_RECONCILIATION'], ['t2', 'TASK_STAGING', 'REASON_RECONCILIATION']])
  f.send('Reconcile', { framework_id: { value: f.id() }, tasks: [{ task_id: { value: 't2' } }, { task_id: { value: 'x' }, agent_id: { value: agent.id } }, { task_id: { value: 'y' } }] })
  w.settle()
  const explicit = f.got('Update').slice(before + 2).map(m => [m.body.status.task_id.value, m.body.status.state])
  t.same(explicit, [['t2', 'TASK_STAGING'], ['x', 'TASK_GONE'], ['y', 'TASK_UNKNOWN']], 'partition-aware states for unknown tasks')
})

t.test('an agent that stops answering pings is removed; its tasks are LOST, or UNREACHABLE when partition-aware', async t => {
  const w = new MasterWorld()
  const agent = w.registerAgent('agent', 'h1', 'cpus:4;mem:4096')
  const f = w.subscribe('plain', 'f1')
  const p = w.subscribe('aware', 'f2', { capabilities: [{ type: 'PARTITION_AWARE' }] })
  w.settle(1100)
  for (const fw of [f, p]) {
    const offer = fw.last('Offers')?.body.offers[0]
    if (!offer) continue
    fw.send('Accept', { framework_id: { value: fw.id() }, offer_ids: [offer.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [commandTask(`task-${fw.id()}`, agent.id, 'cpus:1;mem:64')] } }], filters: { refuse_seconds: 0 } })
    w.settle(1100)
  }
  t.equal(w.core.frameworks.get(f.id())!.tasks.size + w.core.frameworks.get(p.id())!.tasks.size, 2, 'both frameworks got a task')
  w.clock.advance(5 * 15_000)
  t.ok(agent.got('Ping').length >= 4, 'pinged every 15 s')
  t.equal(w.core.agents.size, 1, 'a healthy agent stays')
  agent.answering.pings = false
  w.clock.advance(6 * 15_000)
  t.equal(w.core.agents.size, 0, 'removed after 5 missed pings')
  const lost = f.got('Update').at(-1)!.body.status
  t.equal(lost.state, 'TASK_LOST')
  t.equal(lost.reason, 'REASON_AGENT_REMOVED')
  t.equal(p.got('Update').at(-1)!.body.status.state, 'TASK_UNREACHABLE')
  t.equal(w.masterRt.metrics.snapshot()['master/slave_removals'], 1)
})

t.test('a disconnected framework is removed after failover_timeout unless it resubscribes', async t => {
  const w = new MasterWorld()
  const agent = w.registerAgent('agent', 'h1')
  const f = w.subscribe('sched', 'f1', { failover_timeout: 60 })
  w.settle(1100)
  const offer = f.last('Offers')!.body.offers[0]
  f.send('Accept', { framework_id: { value: f.id() }, offer_ids: [offer.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [commandTask('t1', agent.id, 'cpus:1')] } }] })
  w.settle()
  const id = f.id()
  f.crash()
  w.clock.advance(10_000)
  t.equal(w.core.frameworks.get(id)!.connected, false, 'disconnected once the link times out')
  // A new scheduler instance fails over with the same framework id.
  const f2 = w.party('sched2', 'f9')
  f2.send('Subscribe', { framework_info: { user: 'root', name: 'sched', id: { value: id }, failover_timeout: 60 } })
  w.settle()
  t.equal(f2.last('Subscribed')!.body.framework_id.value, id)
  w.clock.advance(120_000)
  t.equal(agent.got('ShutdownFramework').length, 0, 'resubscribed in time: tasks live on')
  t.equal(w.core.frameworks.get(id)!.tasks.size, 1)

  f2.crash()
  w.clock.advance(10_000 + 60_000)
  t.equal(agent.got('ShutdownFramework').length, 1, 'gone for longer than failover_timeout: shut down')
  t.equal(w.core.frameworks.has(id), false)
  const f3 = w.party('sched3', 'f10')
  f3.send('Subscribe', { framework_info: { user: 'root', name: 'sched', id: { value: id } } })
  w.settle()
  t.match(f3.last('Error')?.body.message, /has been removed/)
})

t.test('declined resources go to others while the refuse filter lasts; calls from the wrong pid are ignored', async t => {
  const w = new MasterWorld()
  w.registerAgent('agent', 'h1', 'cpus:2;mem:1024')
  const f = w.subscribe('first', 'f1')
  w.settle(1100)
  const g = w.subscribe('second', 'f2')
  w.settle(1100)
  const firstOffer = f.last('Offers')?.body.offers[0]
  t.ok(firstOffer, 'the first framework holds the only offer')
  f.send('Decline', { framework_id: { value: f.id() }, offer_ids: [firstOffer.id], filters: { refuse_seconds: 60 } })
  w.settle(1100)
  t.equal(g.got('Offers').length, 1, 'the second framework gets what the first declined')
  const gOffer = g.last('Offers')!.body.offers[0]
  g.send('Decline', { framework_id: { value: g.id() }, offer_ids: [gOffer.id], filters: { refuse_seconds: 0.001 } })
  w.settle(3000)
  t.equal(f.got('Offers').length, 1, 'the filtered framework is not offered the agent again yet')

  const imposter = w.party('imposter', 'x1')
  imposter.send('Teardown', { framework_id: { value: g.id() } })
  w.settle()
  t.ok(w.core.frameworks.has(g.id()), 'a teardown from another pid is ignored')
  imposter.send('Teardown', { framework_id: { value: 'nope' } })
  w.settle()
  t.match(imposter.last('Error')?.body.message, /Framework nope is not subscribed/)
  g.send('Teardown', { framework_id: { value: g.id() } })
  w.settle()
  t.notOk(w.core.frameworks.has(g.id()))
})

t.test('a cycle over many agents is sent in bounded Offers messages', async t => {
  const w = new MasterWorld()
  for (let i = 0; i < 450; i++) w.registerAgent('agent', `h${i}`, 'cpus:1;mem:256')
  const f = w.subscribe('sched', 'f1')
  w.settle(1100)
  const sizes = f.got('Offers').map(m => m.body.offers.length)
  t.same(sizes, [200, 200, 50])
  t.equal(new Set(f.got('Offers').flatMap(m => m.body.offers.map((o: any) => o.agent_id.value))).size, 450, 'every agent offered once')
})

t.test('a disconnected agent is told so by the next ping; a pong does not bring it back, reregistering does', async t => {
  const w = new MasterWorld()
  const agent = w.registerAgent('agent', 'h1', 'cpus:4;mem:4096')
  w.settle(20_000)
  t.same(agent.last('Ping')!.body, { connected: true })
  w.core.exited(agent.pid)
  t.equal(w.core.agents.get(agent.id)!.connected, false)
  w.settle(15_000)
  t.same(agent.last('Ping')!.body, { connected: false }, 'Mesos PingSlaveMessage.connected: the agent must reregister')
  w.settle(15_000)
  t.equal(w.core.agents.get(agent.id)!.connected, false, 'its pongs only keep it from being removed')
  t.equal(w.core.agents.size, 1)
  agent.send('ReregisterAgent', { agent: { id: { value: agent.id }, hostname: 'h1', port: 5051, resources: resourcesJson('cpus:4;mem:4096') }, version: '0.1.0' })
  w.settle()
  t.ok(agent.last('AgentReregistered'), 'reregistered')
  t.equal(w.core.agents.get(agent.id)!.connected, true)
  w.settle(15_000)
  t.same(agent.last('Ping')!.body, { connected: true })
})

t.test('a task the master refused is reconciled as refused, not by what its agent knows', async t => {
  const w = new MasterWorld()
  const agent = w.registerAgent('agent', 'h1', 'cpus:4;mem:4096')
  const f = w.subscribe('aware', 'f1', { capabilities: [{ type: 'PARTITION_AWARE' }] })
  w.settle(1100)
  f.send('Accept', { framework_id: { value: f.id() }, offer_ids: [{ value: 'no-such-offer' }], operations: [{ type: 'LAUNCH', launch: { task_infos: [commandTask('t1', agent.id, 'cpus:1;mem:64')] } }] })
  w.settle()
  t.equal(f.last('Update')!.body.status.state, 'TASK_DROPPED')
  f.send('Reconcile', { framework_id: { value: f.id() }, tasks: [{ task_id: { value: 't1' }, agent_id: { value: agent.id } }] })
  w.settle()
  const answer = f.last('Update')!.body.status
  t.equal(answer.state, 'TASK_DROPPED', 'not TASK_GONE (or TASK_UNREACHABLE once its agent is gone)')
  t.equal(answer.reason, 'REASON_RECONCILIATION')
})

t.test('closing the master clears its failover timers', async t => {
  const w = new MasterWorld()
  const agent = w.registerAgent('agent', 'h1')
  const f = w.subscribe('sched', 'f1', { failover_timeout: 3600 })
  const id = f.id()
  f.crash()
  w.clock.advance(10_000)
  t.equal(w.core.frameworks.get(id)!.connected, false, 'disconnected: its failover timer runs')
  await agent.rt.close()
  await f.rt.close()
  await w.masterRt.close()
  w.settle(100)
  t.equal(w.clock.pending, 0, 'no timer is left behind (the failover timer was due in an hour)')
})

t.test("offers' url.address has the agent's hostname, ip and port (Mesos Address)", async t => {
  const w = new MasterWorld()
  const agent = w.party('agent', 'h1')
  agent.send('RegisterAgent', { agent: { hostname: 'h1.example', port: 5051, resources: resourcesJson('cpus:4;mem:4096') }, version: '0.1.0', ip: '10.0.0.7' })
  w.settle()
  const legacy = w.party('agent', 'h2')
  legacy.send('RegisterAgent', { agent: { hostname: '10.0.0.8', port: 5052, resources: resourcesJson('cpus:4;mem:4096') }, version: '0.1.0' })
  w.settle()
  const f = w.subscribe('sched', 'f1')
  w.settle(1100)
  const offers = f.got('Offers').flatMap(m => m.body.offers)
  const byHost = new Map(offers.map(o => [o.hostname, o.url]))
  t.same(byHost.get('h1.example'), { scheme: 'http', address: { hostname: 'h1.example', ip: '10.0.0.7', port: 5051 }, path: '/slave(1)' })
  t.same(byHost.get('10.0.0.8')?.address, { hostname: '10.0.0.8', ip: '10.0.0.8', port: 5052 }, 'an agent that sent no ip: its hostname when that is an IP')
})
