// Status codes of POST /api/v1/scheduler as Mesos's src/master/http.cpp gives them, and fuzzing:
// malformed and truncated JSON, wrong types, unknown calls, huge and chunked bodies, and a
// subscriber that never reads its stream.
import { request as httpRequest } from 'node:http'
import { connect } from 'node:net'
import t from 'tap'
import fc from 'fast-check'
import { LocalTransport, Runtime } from '../../../runtime/index.js'
import { ProtocolMessages } from '../../../actors/protocol/index.js'
import { startScheduler } from '../../../actors/scheduler/index.js'
import { DEFAULT_SCHEDULER_BODY_LIMIT } from '../../../cluster/http/scheduler-api.js'
import { eventually, schedulerApiWorld, V1Scheduler } from './support/scheduler-api-fixture.js'

interface Answer {
  status: number
  text: string
  headers: Record<string, string | string[] | undefined>
}

/** A raw request (node:http), so headers and framing are exactly as given. */
function raw(url: string, options: { method?: string; headers?: Record<string, string>; body?: string | Buffer | Array<string | Buffer> }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method ?? 'POST', headers: options.headers }, res => {
      if (res.statusCode === 200) {
        // A subscription stream: the status is all we want.
        res.destroy()
        return resolve({ status: 200, text: '', headers: res.headers })
      }
      let text = ''
      res.setEncoding('utf8')
      res.on('data', chunk => (text += chunk))
      res.on('end', () => resolve({ status: res.statusCode!, text, headers: res.headers }))
    })
    req.on('error', reject)
    const parts = options.body === undefined ? [] : Array.isArray(options.body) ? options.body : [options.body]
    for (const part of parts) req.write(part)
    req.end()
  })
}

const json = { 'Content-Type': 'application/json' }
const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  raw(url, { headers: { ...json, ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) })
const subscribeCall = (name = 'codes', extra: Record<string, unknown> = {}) => ({ type: 'SUBSCRIBE', subscribe: { framework_info: { user: 'u', name, ...extra } } })

t.test('a master that does not lead redirects (307) to the leader, or answers 503 without one', async t => {
  const w = await schedulerApiWorld(t, { leader: { hostname: 'm2.example', port: 5050 } })
  for (const method of ['POST', 'GET']) {
    const a = await raw(w.url + '?x=1', { method, headers: json, body: method === 'POST' ? JSON.stringify(subscribeCall()) : undefined })
    t.equal(a.status, 307, method)
    t.equal(a.headers.location, '//m2.example:5050/api/v1/scheduler?x=1', 'protocol-relative Location, as Mesos writes it')
  }
  const none = await schedulerApiWorld(t, { leader: null })
  t.match(await post(none.url, subscribeCall()), { status: 503, text: 'No leader elected' })
})

t.test('method, content type, Accept and Mesos-Stream-Id checks on SUBSCRIBE', async t => {
  const w = await schedulerApiWorld(t)
  for (const method of ['GET', 'PUT', 'DELETE']) {
    const a = await raw(w.url, { method })
    t.equal(a.status, 405, method)
    t.equal(a.headers.allow, 'POST')
  }
  t.match(await raw(w.url, { body: JSON.stringify(subscribeCall()) }), { status: 400, text: "Expecting 'Content-Type' to be present" })
  t.match(await raw(w.url, { headers: { 'Content-Type': 'text/plain' }, body: '{}' }), { status: 415, text: /application\/json/ })
  t.match(await raw(w.url, { headers: { 'Content-Type': 'application/x-protobuf' }, body: Buffer.from([8, 1]) }), { status: 415, text: /JSON only/ })
  t.match(await post(w.url, subscribeCall(), { Accept: 'application/x-protobuf' }), { status: 406, text: "Expecting 'Accept' to allow 'application/json'" })
  t.match(await post(w.url, subscribeCall(), { Accept: 'application/json;q=0, */*;q=0.1' }), { status: 406 })
  t.match(await post(w.url, subscribeCall(), { 'Mesos-Stream-Id': 'abc' }), { status: 400, text: "Subscribe calls should not include the 'Mesos-Stream-Id' header" })
  t.match(await post(w.url, subscribeCall('x', { id: { value: 'a' } }), {}), { status: 400, text: "Failed to validate scheduler::Call: 'framework_id' differs from 'subscribe.framework_info.id'" })

  // Accepted forms: charset parameter, Accept ranges, a chunked body.
  for (const [what, headers] of [
    ['charset', { 'Content-Type': 'application/json; charset=utf-8', Accept: 'application/*;q=0.5' }],
    ['chunked', { ...json, Accept: '*/*', 'Transfer-Encoding': 'chunked' }],
  ] as const) {
    const body = JSON.stringify(subscribeCall(what))
    const controller = new AbortController()
    const answered = new Promise<number>((resolve, reject) => {
      const req = httpRequest(w.url, { method: 'POST', headers, signal: controller.signal }, res => resolve(res.statusCode!))
      req.on('error', err => (err.name === 'AbortError' ? undefined : reject(err)))
      // Chunked: the body in three pieces.
      for (let i = 0; i < body.length; i += Math.ceil(body.length / 3)) req.write(body.slice(i, i + Math.ceil(body.length / 3)))
      req.end()
    })
    t.equal(await answered, 200, what)
    controller.abort()
  }
})

t.test('calls: unknown framework 400, stream id 400, not over HTTP 403, unimplemented 501, else 202', async t => {
  const w = await schedulerApiWorld(t)
  const s = new V1Scheduler(w.url)
  t.teardown(() => s.close())
  await s.subscribe({ framework_info: { user: 'u', name: 'calls' } })
  await s.next(e => e.type === 'SUBSCRIBED')
  const id = { value: s.frameworkId }

  t.match(await post(w.url, { type: 'REVIVE', framework_id: { value: 'nope' } }, { 'Mesos-Stream-Id': s.streamId }), { status: 400, text: 'Framework cannot be found' })
  t.match(await post(w.url, { type: 'REVIVE', framework_id: id }), { status: 400, text: "All non-subscribe calls should include the 'Mesos-Stream-Id' header" })
  t.match(await post(w.url, { type: 'REVIVE', framework_id: id }, { 'Mesos-Stream-Id': 'not-it' }), { status: 400, text: /stream ID 'not-it' .* didn't match/ })
  t.match(await post(w.url, { type: 'UPDATE_FRAMEWORK', framework_id: id, update_framework: { framework_info: { user: 'u', name: 'calls' } } }, { 'Mesos-Stream-Id': s.streamId }), { status: 501 })
  t.match(await post(w.url, { type: 'UNKNOWN', framework_id: id }, { 'Mesos-Stream-Id': s.streamId }), { status: 501 })
  t.match(await post(w.url, { type: 'REVIVE', framework_id: id }, { 'Mesos-Stream-Id': s.streamId }), { status: 202, text: '' })

  // A native framework on the same master: known, connected, but not over HTTP.
  const rt = new Runtime({ transport: new LocalTransport(w.cluster.bus!), node: 'native' })
  rt.registerMessages(ProtocolMessages)
  t.teardown(() => rt.close())
  const native = startScheduler({ runtime: rt, masterPid: w.cluster.masterPid, framework: { user: 'u', name: 'native' }, callbacks: {} })
  await eventually(() => native.state === 'subscribed', 'the native framework to subscribe')
  t.match(await post(w.url, { type: 'REVIVE', framework_id: native.frameworkId }, { 'Mesos-Stream-Id': s.streamId }), { status: 403, text: 'Framework is not connected via HTTP' })
})

t.test('malformed bodies get 400 naming the field', async t => {
  const w = await schedulerApiWorld(t)
  const cases: Array<[string, string | object, RegExp]> = [
    ['not JSON', '{type:', /^Failed to parse body into JSON: /],
    ['empty', '', /^Failed to parse body into JSON: /],
    ['a JSON array', '[1,2]', /Expected a JSON object/],
    ['no type', { framework_id: { value: 'f' } }, /Expecting 'type' to be present/],
    ['type not a string', { type: 5 }, /'type': Expected string/],
    ['unknown call type', { type: 'LAUNCH_ROCKETS' }, /'type': unknown value 'LAUNCH_ROCKETS'/],
    ['no framework_id', { type: 'REVIVE' }, /Expecting 'framework_id' to be present/],
    ['framework_id not an object', { type: 'REVIVE', framework_id: 'f' }, /'framework_id': Expected object/],
    ['framework_id.value a number', { type: 'REVIVE', framework_id: { value: 1 } }, /'framework_id.value': Expected string/],
    ['ACCEPT without accept', { type: 'ACCEPT', framework_id: { value: 'f' } }, /Expecting 'accept' to be present/],
    ['accept a string', { type: 'ACCEPT', framework_id: { value: 'f' }, accept: 'all' }, /'accept': Expected object/],
    ['offer id a number', { type: 'ACCEPT', framework_id: { value: 'f' }, accept: { offer_ids: [{ value: 7 }] } }, /'accept.offer_ids\[0\].value': Expected string/],
    ['operation type unknown', { type: 'ACCEPT', framework_id: { value: 'f' }, accept: { offer_ids: [], operations: [{ type: 'TELEPORT' }] } }, /'accept.operations\[0\].type'/],
    ['kill without task_id', { type: 'KILL', framework_id: { value: 'f' }, kill: {} }, /'kill.task_id': Expected required property/],
    ['bad ack uuid', { type: 'ACKNOWLEDGE', framework_id: { value: 'f' }, acknowledge: { agent_id: { value: 'a' }, task_id: { value: 't' }, uuid: 'short' } }, /acknowledge.uuid' is not a UUID/],
    ['framework_info.user a number', { type: 'SUBSCRIBE', subscribe: { framework_info: { user: 5, name: 'x' } } }, /'subscribe.framework_info.user': Expected string/],
    ['SUBSCRIBE without subscribe', { type: 'SUBSCRIBE' }, /Expecting 'subscribe' to be present/],
    ['nested 200,000 deep', `{"type":"SUBSCRIBE","subscribe":${'['.repeat(200_000)}${']'.repeat(200_000)}}`, /./],
    ['null everywhere but required', { type: 'DECLINE', framework_id: { value: 'f' }, decline: { offer_ids: null, filters: null } }, /Expecting|Framework cannot be found/],
  ]
  for (const [what, body, message] of cases) {
    const a = await post(w.url, body)
    t.equal(a.status, 400, what)
    t.match(a.text, message, what)
  }
  t.ok(w.metric('http/scheduler/invalid_calls') >= cases.length - 2, 'counted')
})

t.test('fuzz: truncated, mutated and random bodies never get a 5xx and never stop the server', async t => {
  const w = await schedulerApiWorld(t)
  const accept = JSON.stringify({
    type: 'ACCEPT',
    framework_id: { value: 'f' },
    accept: { offer_ids: [{ value: 'o' }], operations: [{ type: 'LAUNCH', launch: { task_infos: [{ name: 't', task_id: { value: 't' }, agent_id: { value: 'a' }, resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 1 } }] }] } }] },
  })
  for (let cut = 0; cut < accept.length; cut += 7) {
    const a = await post(w.url, accept.slice(0, cut))
    t.equal(a.status, 400, `truncated at ${cut}`)
  }
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(
        fc.json({ maxDepth: 4 }),
        fc.record({ type: fc.constantFrom('SUBSCRIBE', 'ACCEPT', 'KILL', 'ACKNOWLEDGE', 'RECONCILE', 'MESSAGE', 'TEARDOWN'), framework_id: fc.anything(), subscribe: fc.anything(), accept: fc.anything(), kill: fc.anything() }).map(v => JSON.stringify(v)),
      ),
      async body => {
        const a = await post(w.url, body)
        // 200 only for a valid SUBSCRIBE (which fast-check may build; raw() closes its stream).
        return a.status < 500
      },
    ),
    { numRuns: 150 },
  )
  t.equal((await post(w.url, { type: 'REVIVE' })).status, 400, 'still serving')
})

t.test('bodies over the limit get 413, with or without Content-Length', async t => {
  const w = await schedulerApiWorld(t, { api: { bodyLimit: 4096 } })
  const big = JSON.stringify({ type: 'REVIVE', framework_id: { value: 'x'.repeat(5000) } })
  t.match(await post(w.url, big), { status: 413, text: 'Request body is larger than the limit of 4096 bytes' })
  const chunked = await raw(w.url, { headers: { ...json, 'Transfer-Encoding': 'chunked' }, body: Array.from({ length: 10 }, () => 'x'.repeat(1000)) }).catch(err => err as Error)
  // The server may answer before the client has written everything; either way, no 2xx.
  if (chunked instanceof Error) t.match(chunked.message, /EPIPE|ECONNRESET|socket hang up/)
  else t.equal(chunked.status, 413)
  t.equal((await post(w.url, { type: 'REVIVE' })).status, 400, 'still serving')
  t.ok(w.metric('http/scheduler/bodies_too_large') >= 1)

  const d = await schedulerApiWorld(t)
  t.equal((await post(d.url, 'x'.repeat(DEFAULT_SCHEDULER_BODY_LIMIT + 1))).status, 413, `default limit: ${DEFAULT_SCHEDULER_BODY_LIMIT} bytes`)
})

t.test('a subscriber that never reads is dropped, logged and counted; its framework disconnects', async t => {
  const maxBufferedBytes = 256 * 1024
  const w = await schedulerApiWorld(t, { api: { maxBufferedBytes } })
  const body = JSON.stringify(subscribeCall('never-reads', { failover_timeout: 2 }))
  const socket = connect(Number(new URL(w.url).port), '127.0.0.1')
  t.teardown(() => socket.destroy())
  await new Promise<void>(resolve => socket.once('connect', () => resolve()))
  socket.write(`POST /api/v1/scheduler HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`)
  socket.pause() // and never read again

  await eventually(() => [...w.cluster.masterCore.frameworks.values()].some(f => f.info.name === 'never-reads'), 'the framework to subscribe')
  const fw = [...w.cluster.masterCore.frameworks.values()].find(f => f.info.name === 'never-reads')!
  // Events much faster than anyone could read: 40 MB of framework messages, more than the
  // socket buffers of the loopback connection hold.
  const data = Buffer.alloc(100_000, 7).toString('base64')
  for (let i = 0; i < 400 && w.metric('http/scheduler/subscribers_dropped') === 0; i++) {
    w.cluster.masterRuntime.send(w.cluster.masterPid, fw.pid, 'FrameworkMessage', { agent_id: { value: 'a' }, executor_id: { value: 'e' }, data })
    if (i % 20 === 0) await new Promise(r => setTimeout(r, 5))
  }
  await eventually(() => w.metric('http/scheduler/subscribers_dropped') === 1, 'the slow subscriber to be dropped')
  t.ok(
    w.logs.some(l => l.level === 40 && /dropping scheduler subscriber 'never-reads'.*not reading its event stream/.test(String(l.msg))),
    'a warning names the subscriber',
  )
  await eventually(() => fw.connected === false, 'the master to see the framework disconnect')
  t.ok(w.cluster.masterCore.frameworks.has(fw.id), 'kept for its failover timeout, like any disconnected framework')
  t.equal(w.metric('http/scheduler/subscriptions'), 0)
})
