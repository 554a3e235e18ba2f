// A scheduler written from scratch against the v1 HTTP API (Node's fetch and a RecordIO
// parser, no SDK) on a real master: subscribe, offers, launch, updates, acknowledgements,
// reconciliation, heartbeats, kill, teardown; then disconnection, failover and failover timeouts.
import { connect } from 'node:net'
import t from 'tap'
import { eventually, schedulerApiWorld, V1Scheduler, type V1Event } from './support/scheduler-api-fixture.js'

const framework = (name: string, extra: Record<string, unknown> = {}) => ({ user: 'alice', name, ...extra })

function task(id: string, offer: V1Event['offers']['offers'][number], durationMs?: number) {
  return {
    name: id,
    task_id: { value: id },
    agent_id: offer.agent_id,
    resources: [
      { name: 'cpus', type: 'SCALAR', scalar: { value: 0.1 }, allocation_info: { role: '*' }, reservations: null },
      { name: 'mem', type: 'SCALAR', scalar: { value: 32 }, allocation_info: { role: '*' } },
    ],
    command: { value: 'true', shell: true, uris: null },
    executor: null,
    labels: durationMs === undefined ? null : { labels: [{ key: 'emulated_duration_ms', value: String(durationMs) }] },
  }
}

t.test('subscribe, offers, launch, updates, acknowledge, reconcile, heartbeats, kill, teardown', async t => {
  const w = await schedulerApiWorld(t, { masterOptions: { heartbeatIntervalMs: 200 } })
  const s = new V1Scheduler(w.url)
  t.teardown(() => s.close())
  // Explicit nulls, as real clients send for absent fields.
  const response = await s.subscribe({ framework_info: framework('from-scratch', { id: null, roles: null, failover_timeout: 60 }), suppressed_roles: null }, { framework_id: null })
  t.equal(response.status, 200)
  t.equal(response.headers.get('content-type'), 'application/json')
  t.equal(response.headers.get('transfer-encoding'), 'chunked')
  t.match(s.streamId, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'Mesos-Stream-Id is a UUID (at most 128 bytes)')

  const subscribed = await s.next(e => e.type === 'SUBSCRIBED')
  t.equal(s.events[0]!.type, 'SUBSCRIBED', 'the stream begins with SUBSCRIBED')
  t.match(subscribed.subscribed, { framework_id: { value: /\S/ }, heartbeat_interval_seconds: 0.2, master_info: { port: 5050 } })
  t.equal(s.events[1]?.type ?? (await s.next(e => e.type === 'HEARTBEAT')).type, 'HEARTBEAT', 'a HEARTBEAT right after SUBSCRIBED, as Mesos sends')
  const frameworkId = s.frameworkId!
  t.equal(w.cluster.masterCore.frameworks.get(frameworkId)?.pid.startsWith('http-scheduler-'), true, 'the master sees the framework at its proxy pid')

  const offers = await s.next(e => e.type === 'OFFERS')
  t.same(Object.keys(offers).sort(), ['offers', 'type'], 'OFFERS nests its body under "offers"')
  const offer = offers.offers.offers[0]
  t.match(offer, {
    id: { value: /\S/ },
    framework_id: { value: frameworkId },
    agent_id: { value: /\S/ },
    hostname: /\S/,
    url: { scheme: 'http', address: { hostname: /\S/, port: Number } },
    resources: Array,
  })

  const accept = await s.call({
    type: 'ACCEPT',
    accept: {
      offer_ids: [offer.id],
      operations: [{ type: 'LAUNCH', launch: { task_infos: [task('quick', offer), task('long', offer, 600_000)] } }],
      filters: { refuse_seconds: 0.1 },
    },
  })
  t.same(accept, { status: 202, text: '' }, 'ACCEPT: 202 with an empty body')

  // Every update with a uuid is acknowledged, as a v1 scheduler must.
  const acked = new Set<string>()
  const acknowledgeAll = async () => {
    for (const e of s.of('UPDATE')) {
      const status = e.update.status
      if (!status.uuid || acked.has(status.uuid)) continue
      acked.add(status.uuid)
      const ack = await s.call({ type: 'ACKNOWLEDGE', acknowledge: { agent_id: status.agent_id, task_id: status.task_id, uuid: status.uuid } })
      t.equal(ack.status, 202, `ACKNOWLEDGE ${status.task_id.value} ${status.state}`)
    }
  }
  const update = (taskId: string, state: string) => (e: V1Event) => e.type === 'UPDATE' && e.update.status.task_id.value === taskId && e.update.status.state === state
  const running = await s.next(update('quick', 'TASK_RUNNING'))
  t.match(running.update.status, { agent_id: offer.agent_id, source: 'SOURCE_EXECUTOR', uuid: /^[A-Za-z0-9+/]{22}==$/ })
  await s.next(update('long', 'TASK_RUNNING'))
  // The agent sends a task's next update only once the previous one is acknowledged.
  await acknowledgeAll()
  await s.next(update('quick', 'TASK_FINISHED'))
  await acknowledgeAll()
  await eventually(() => !w.cluster.masterCore.frameworks.get(frameworkId)!.tasks.has('quick'), 'the acknowledged terminal task to retire')

  const before = s.events.length
  t.equal((await s.call({ type: 'RECONCILE', reconcile: { tasks: [{ task_id: { value: 'long' }, agent_id: offer.agent_id }] } })).status, 202)
  const reconciled = await s.next(e => e.type === 'UPDATE' && e.update.status.reason === 'REASON_RECONCILIATION', 10_000, before)
  t.match(reconciled.update.status, { task_id: { value: 'long' }, state: 'TASK_RUNNING', source: 'SOURCE_MASTER' })
  t.notOk(reconciled.update.status.uuid, 'reconciliation answers carry no uuid')
  t.equal((await s.call({ type: 'RECONCILE', reconcile: { tasks: null } })).status, 202, 'implicit reconciliation, with a null list')
  await s.next(e => e.type === 'UPDATE' && e.update.status.reason === 'REASON_RECONCILIATION', 10_000, s.events.indexOf(reconciled) + 1)

  const heartbeats = s.of('HEARTBEAT').length
  await s.next(e => e.type === 'HEARTBEAT', 5000, s.events.length)
  t.ok(s.of('HEARTBEAT').length > heartbeats, 'periodic HEARTBEAT events keep coming')

  for (const type of ['SUPPRESS', 'REVIVE']) t.equal((await s.call({ type })).status, 202, `${type} without its (optional) field`)
  t.equal((await s.call({ type: 'REVIVE', revive: { roles: ['*'] } })).status, 202)
  t.equal((await s.call({ type: 'REQUEST', request: { requests: [] } })).status, 202, 'REQUEST is accepted (and ignored)')
  t.equal((await s.call({ type: 'DECLINE_INVERSE_OFFERS', decline_inverse_offers: { inverse_offer_ids: [{ value: 'none' }] } })).status, 202)

  const more = await s.next(e => e.type === 'OFFERS', 10_000, s.events.indexOf(offers) + 1)
  t.equal((await s.call({ type: 'DECLINE', decline: { offer_ids: more.offers.offers.map((o: { id: unknown }) => o.id), filters: { refuse_seconds: 60 } } })).status, 202)

  t.equal((await s.call({ type: 'KILL', kill: { task_id: { value: 'long' }, agent_id: offer.agent_id } })).status, 202)
  await s.next(e => e.type === 'UPDATE' && e.update.status.task_id.value === 'long' && e.update.status.state === 'TASK_KILLED')
  await acknowledgeAll()

  t.equal((await s.call({ type: 'TEARDOWN' })).status, 202)
  await eventually(() => s.ended, 'the master to close the stream after TEARDOWN')
  t.notOk(w.cluster.masterCore.frameworks.has(frameworkId), 'the framework is removed')
  t.ok(w.cluster.masterCore.completedFrameworks.toArray().some(f => f.id === frameworkId), 'and kept among the completed frameworks')
  t.equal(w.metric('http/scheduler/calls/ACCEPT'), 1)
  t.equal(w.metric('http/scheduler/calls/TEARDOWN'), 1)
  await eventually(() => w.metric('http/scheduler/subscriptions') === 0, 'no subscription left')
})

t.test('a closed stream disconnects the framework: 403 until it resubscribes; the failover timeout removes it', async t => {
  const w = await schedulerApiWorld(t)
  const first = new V1Scheduler(w.url)
  await first.subscribe({ framework_info: framework('failover', { failover_timeout: 0.5 }) })
  await first.next(e => e.type === 'SUBSCRIBED')
  const frameworkId = first.frameworkId!
  first.close()
  await eventually(() => w.cluster.masterCore.frameworks.get(frameworkId)?.connected === false, 'the master to see the framework disconnect')
  t.match(await first.call({ type: 'REVIVE' }), { status: 403, text: 'Framework is not subscribed' })
  t.ok(
    w.logs.some(l => /HTTP scheduler stream .* closed \(client-closed\)/.test(String(l.msg))),
    'the proxy logs why the stream closed',
  )

  // Failover: a new instance subscribes with the framework id, within the timeout.
  const second = new V1Scheduler(w.url)
  t.teardown(() => second.close())
  await second.subscribe({ framework_info: framework('failover', { failover_timeout: 0.5, id: { value: frameworkId } }) }, { framework_id: { value: frameworkId } })
  t.equal((await second.next(e => e.type === 'SUBSCRIBED')).subscribed.framework_id.value, frameworkId, 'the same framework id')
  t.not(second.streamId, first.streamId, 'a new stream id')
  t.equal((await second.call({ type: 'REVIVE' })).status, 202)
  t.match(await second.call({ type: 'REVIVE' }, { 'Mesos-Stream-Id': first.streamId }), { status: 400, text: /didn't match the stream ID currently associated/ })

  // A third instance takes over from the connected second: the second gets ERROR and its stream ends.
  const third = new V1Scheduler(w.url)
  await third.subscribe({ framework_info: framework('failover', { failover_timeout: 0.5, id: { value: frameworkId } }) }, { framework_id: { value: frameworkId } })
  await third.next(e => e.type === 'SUBSCRIBED')
  t.match(await second.next(e => e.type === 'ERROR'), { error: { message: 'Framework failed over' } })
  await eventually(() => second.ended, 'the old stream to end')
  t.equal(w.cluster.masterCore.frameworks.get(frameworkId)?.connected, true, 'the newest subscription wins')

  third.close()
  await eventually(() => !w.cluster.masterCore.frameworks.has(frameworkId), 'the failover timeout to remove the framework', 5000)
  t.match(await third.call({ type: 'REVIVE' }), { status: 400, text: 'Framework cannot be found' })
})

t.test('a refused subscription is an ERROR event, then the end of the stream', async t => {
  const w = await schedulerApiWorld(t)
  const s = new V1Scheduler(w.url)
  const response = await s.subscribe({ framework_info: framework('bad-roles', { roles: ['a'] }) })
  t.equal(response.status, 200)
  t.match(await s.next(e => e.type === 'ERROR'), { error: { message: /MULTI_ROLE/ } })
  await eventually(() => s.ended, 'the stream to end')
  t.equal(s.events.length, 1)
  await eventually(() => w.metric('http/scheduler/subscriptions') === 0, 'the proxy to be gone')
})

t.test('the stream is chunked with one RecordIO record per HTTP chunk', async t => {
  const w = await schedulerApiWorld(t, { masterOptions: { heartbeatIntervalMs: 50 } })
  const body = JSON.stringify({ type: 'SUBSCRIBE', subscribe: { framework_info: framework('chunks') } })
  const socket = connect(Number(new URL(w.url).port), '127.0.0.1')
  t.teardown(() => socket.destroy())
  let wire = Buffer.alloc(0)
  socket.on('data', d => (wire = Buffer.concat([wire, d])))
  socket.write(`POST /api/v1/scheduler HTTP/1.1\r\nHost: m\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`)
  await eventually(() => wire.includes('"OFFERS"') && wire.toString('latin1').split('HEARTBEAT').length > 4, 'a few events on the wire')
  const head = wire.indexOf('\r\n\r\n')
  t.match(wire.subarray(0, head).toString(), /^HTTP\/1.1 200 OK\r\n[^]*transfer-encoding: chunked/i)
  // Walk the chunked framing: every complete chunk must be exactly one `<length>\n<json>` record.
  let at = head + 4
  const types: string[] = []
  for (;;) {
    const eol = wire.indexOf('\r\n', at)
    if (eol < 0) break
    const size = parseInt(wire.subarray(at, eol).toString('latin1'), 16)
    if (wire.length < eol + 2 + size + 2) break
    const chunk = wire.subarray(eol + 2, eol + 2 + size)
    const nl = chunk.indexOf('\n')
    t.equal(Number(chunk.subarray(0, nl).toString()), chunk.length - nl - 1, `chunk ${types.length} holds one whole record`)
    types.push(JSON.parse(chunk.subarray(nl + 1).toString()).type)
    at = eol + 2 + size + 2
  }
  t.same(types.slice(0, 2), ['SUBSCRIBED', 'HEARTBEAT'])
  t.ok(types.includes('OFFERS'))
})
