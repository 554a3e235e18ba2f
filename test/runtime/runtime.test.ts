import t from 'tap'
import { Writable } from 'node:stream'
import { pino } from 'pino'
import { setup } from 'xstate'
import { Runtime, SimClock, SimNetwork, LocalBus, LocalTransport, RequestTimeoutError, EnvelopeCodec, subjectOf, type SimTransport } from '../../runtime/index.js'
import { recorderMachine, TestMessages, type RecorderContext } from './support/machines.js'

interface SimWorld {
  clock: SimClock
  net: SimNetwork
  runtime(node: string, opts?: { incarnation?: string }): { rt: Runtime; endpoint: SimTransport }
}

function simWorld(seed = 1): SimWorld {
  const clock = new SimClock()
  const net = new SimNetwork({ seed, clock })
  return {
    clock,
    net,
    runtime(node, opts = {}) {
      const endpoint = net.endpoint(node)
      const rt = new Runtime({ transport: endpoint, node, clock, linkPingIntervalMs: 100, linkTimeoutMs: 500, requestTimeoutMs: 1000, incarnation: opts.incarnation })
      rt.registerMessages(TestMessages)
      return { rt, endpoint }
    },
  }
}

const ctx = (h: { getSnapshot(): { context: unknown } }): RecorderContext => h.getSnapshot().context as RecorderContext

t.test('actors on two runtimes exchange messages', async t => {
  const w = simWorld()
  const { rt: r1 } = w.runtime('n1')
  const { rt: r2 } = w.runtime('n2')
  const a = r1.spawn(recorderMachine, { name: 'a' })
  const b = r2.spawn(recorderMachine, { name: 'b' })
  r1.send(a.pid, b.pid, 'Ping', { n: 7 })
  w.clock.runUntilIdle()
  t.same(ctx(b).seen, [{ type: 'Ping', from: 'a@n1', body: { n: 7 } }])
  t.same(ctx(a).seen, [{ type: 'Pong', from: 'b@n2', body: { n: 7 } }])
  const m = r2.metrics.snapshot()
  t.equal(m['runtime/messages_received/Ping'], 1)
  t.equal(m['runtime/messages_sent/Pong'], 1)
  t.equal(m['runtime/actors'], 1)
})

t.test('request/reply resolves with the reply; silence rejects with RequestTimeoutError', async t => {
  const w = simWorld()
  const { rt: r1 } = w.runtime('n1')
  const { rt: r2 } = w.runtime('n2')
  r2.spawn(recorderMachine, { name: 'echo' })
  const reply = r1.request<{ text: string }>('echo@n2', 'Echo', { text: 'hello' })
  await w.clock.settle()
  t.same((await reply).body, { text: 'HELLO' })
  t.equal((await reply).from, 'echo@n2')

  const lost = r1.request('nobody@n2', 'Echo', { text: 'x' }, { timeoutMs: 300 })
  lost.catch(() => {})
  await w.clock.advanceAsync(299)
  let settled = false
  void lost.then(() => (settled = true), () => (settled = true))
  await w.clock.advanceAsync(0)
  t.equal(settled, false, 'still pending before the timeout')
  await w.clock.advanceAsync(1)
  await t.rejects(lost, RequestTimeoutError)
  await t.rejects(lost, { code: 'REQUEST_TIMEOUT', message: /Echo to nobody@n2 got no reply within 300 ms/ })
  t.equal(r1.metrics.snapshot()['runtime/request_timeouts'], 1)
})

t.test('bad input is dropped, counted and logged; the actor still answers', async t => {
  const lines: Array<Record<string, unknown>> = []
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line))
      done()
    },
  })
  const clock = new SimClock()
  const net = new SimNetwork({ seed: 3, clock })
  const rt = new Runtime({ transport: net.endpoint('n1'), node: 'n1', clock, logger: pino({ level: 'info' }, sink) })
  rt.registerMessages(TestMessages)
  const target = rt.spawn(recorderMachine, { name: 'target' })
  const rogue = net.endpoint('rogue')
  const subject = subjectOf('mesos', target.pid)
  const codec = new EnvelopeCodec()
  rogue.publish(subject, new Uint8Array([0xde, 0xad, 0xbe, 0xef, 0x00]))
  rogue.publish(subject, codec.encode({ type: 'LaunchMissiles', from: 'rogue@x', to: target.pid, body: {} }))
  rogue.publish(subject, codec.encode({ type: 'Ping', from: 'rogue@x', to: target.pid, body: { n: 'not a number' } }))
  rogue.publish(subject, codec.encode({ type: 'Ping', from: 'not a pid', to: target.pid, body: { n: 1 } }))
  rogue.publish(subject, codec.encode({ type: 'Ping', from: 'rogue@x', to: 'someone@else', body: { n: 1 } }))
  clock.runUntilIdle()
  await new Promise(r => setImmediate(r))
  const m = rt.metrics.snapshot()
  t.equal(m['runtime/messages_dropped'], 5)
  t.equal(m['runtime/messages_dropped/undecodable'], 1)
  t.equal(m['runtime/messages_dropped/unknown_type'], 1)
  t.equal(m['runtime/messages_dropped/invalid_body'], 1)
  t.equal(m['runtime/messages_dropped/invalid_sender'], 1)
  t.equal(m['runtime/messages_dropped/misaddressed'], 1)
  t.equal(m['runtime/messages_received/LaunchMissiles'], undefined, 'garbage types get no metric key')
  t.same(ctx(target).seen, [], 'the actor saw none of it')
  const warnings = lines.filter(l => l.level === 40)
  t.equal(warnings.length, 5)
  t.match(warnings.find(l => l.reason === 'invalid_body'), { from: 'rogue@x', type: 'Ping', msg: /\/n Expected integer/ })
  t.match(warnings.find(l => l.reason === 'unknown_type'), { type: 'LaunchMissiles', msg: /unknown message type/ })

  // A flood is rate-limited in the log but fully counted.
  for (let i = 0; i < 1000; i++) rogue.publish(subject, new Uint8Array([0xc1, i & 0xff]))
  clock.runUntilIdle()
  await new Promise(r => setImmediate(r))
  t.equal(rt.metrics.snapshot()['runtime/messages_dropped/undecodable'], 1001)
  t.ok(lines.filter(l => l.reason === 'undecodable').length <= 10, 'at most a burst of lines per window')

  const reply = rt.request(target.pid, 'Echo', { text: 'still here' })
  await clock.settle()
  t.same((await reply).body, { text: 'STILL HERE' })
  await rt.close()
})

t.test('a throwing action does not take the process down; watchers hear it; restart works', async t => {
  const w = simWorld()
  const { rt: r1 } = w.runtime('n1')
  const { rt: r2 } = w.runtime('n2')
  const watcher = r1.spawn(recorderMachine, { name: 'watcher' })
  const fragile = r2.spawn(recorderMachine, { name: 'fragile' })
  const sturdy = r2.spawn(recorderMachine, { name: 'sturdy', restart: { maxRestarts: 2, withinMs: 10_000 } })
  watcher.send({ type: 'Watch', from: 'test@t', body: { pid: fragile.pid } })
  watcher.send({ type: 'Watch', from: 'test@t', body: { pid: sturdy.pid } })
  w.clock.advance(10)

  r1.send(watcher.pid, fragile.pid, 'Boom', {})
  w.clock.advance(10)
  t.equal(fragile.alive, false, 'without a restart policy the actor is gone')
  t.same(ctx(watcher).seen.filter(e => e.type === 'exited'), [{ type: 'exited', pid: 'fragile@n2', reason: 'error' }])
  t.equal(r2.metrics.snapshot()['runtime/actor_errors'], 1)

  r1.send(watcher.pid, sturdy.pid, 'Boom', {})
  w.clock.advance(10)
  t.equal(sturdy.alive, true, 'restarted')
  t.same(ctx(watcher).seen.filter(e => e.type === 'exited').map(e => e.pid), ['fragile@n2', 'sturdy@n2'])
  const answer = r1.request(sturdy.pid, 'Echo', { text: 'again' })
  await w.clock.settle()
  t.same((await answer).body, { text: 'AGAIN' }, 'the restarted actor answers on the same pid')

  r1.send(watcher.pid, sturdy.pid, 'Boom', {})
  w.clock.advance(10)
  r1.send(watcher.pid, sturdy.pid, 'Boom', {})
  w.clock.advance(10)
  t.equal(sturdy.alive, false, 'the restart budget is finite')
  t.equal(r2.metrics.snapshot()['runtime/actor_restarts'], 2)
})

t.test('links report stopped, unknown, unreachable, restarted and disconnected (for longer than the link timeout)', async t => {
  const w = simWorld()
  const { rt: r1, endpoint: e1 } = w.runtime('n1')
  const { rt: r2 } = w.runtime('n2')
  const { rt: r3, endpoint: e3 } = w.runtime('n3', { incarnation: 'first' })
  const { rt: r4 } = w.runtime('n4')
  const watcher = r1.spawn(recorderMachine, { name: 'watcher' })
  const exits = (): Array<[string | undefined, string | undefined]> => ctx(watcher).seen.filter(e => e.type === 'exited').map(e => [e.pid, e.reason])
  const watch = (pid: string): void => watcher.send({ type: 'Watch', from: 'test@t', body: { pid } })

  const quitter = r2.spawn(recorderMachine, { name: 'quitter' })
  watch(quitter.pid)
  w.clock.advance(20)
  quitter.stop()
  w.clock.advance(20)
  t.same(exits(), [['quitter@n2', 'stopped']])

  watch('ghost@n2')
  w.clock.advance(20)
  t.same(exits()[1], ['ghost@n2', 'unknown'], 'a live runtime says it has no such actor')

  r3.spawn(recorderMachine, { name: 'victim' })
  watch('victim@n3')
  w.clock.advance(300)
  t.equal(exits().length, 2, 'a healthy node is not reported')
  e3.crash()
  w.clock.advance(400)
  t.equal(exits().length, 2, 'not before the link timeout')
  w.clock.advance(300)
  t.same(exits()[2], ['victim@n3', 'unreachable'])

  // The same node name comes back as a new process: the old actor is gone.
  const { rt: r3b } = w.runtime('n3', { incarnation: 'second' })
  void r3b
  const r3c = w.runtime('n3x', { incarnation: 'a' })
  r3c.rt.spawn(recorderMachine, { name: 'phoenix' })
  watch('phoenix@n3x')
  w.clock.advance(300)
  r3c.endpoint.crash()
  const again = w.runtime('n3x', { incarnation: 'b' })
  again.rt.spawn(recorderMachine, { name: 'phoenix' })
  w.clock.advance(300)
  t.same(exits()[3], ['phoenix@n3x', 'restarted'])

  r4.spawn(recorderMachine, { name: 'far' })
  watch('far@n4')
  w.clock.advance(50)
  // A NATS client reconnecting to another server of the cluster: the peers did not go anywhere.
  e1.disconnect()
  w.clock.advance(300)
  e1.reconnect()
  w.clock.advance(1000)
  t.equal(exits().length, 4, 'a connection back within the link timeout breaks no link')
  e1.disconnect()
  w.clock.advance(450)
  t.equal(exits().length, 4, 'not before the link timeout')
  w.clock.advance(100)
  t.same(exits()[4], ['far@n4', 'disconnected'])
  t.equal(exits().length, 5)
})

t.test('after a reconnect, a peer that stopped while the connection was down is still reported', async t => {
  const w = simWorld()
  const { rt: r1, endpoint: e1 } = w.runtime('n1')
  const { rt: r2 } = w.runtime('n2')
  const watcher = r1.spawn(recorderMachine, { name: 'watcher' })
  const exits = (): Array<[string | undefined, string | undefined]> => ctx(watcher).seen.filter(e => e.type === 'exited').map(e => [e.pid, e.reason])
  const far = r2.spawn(recorderMachine, { name: 'far' })
  watcher.send({ type: 'Watch', from: 'test@t', body: { pid: far.pid } })
  w.clock.advance(50)
  e1.disconnect()
  // Its $exited is lost, as a NATS message to a disconnected client is.
  w.net.partition(['n1'], ['n2'])
  far.stop()
  w.clock.advance(200)
  w.net.heal()
  t.same(exits(), [], 'nothing heard yet')
  e1.reconnect()
  w.clock.advance(100)
  t.same(exits(), [['far@n2', 'unknown']], 'linking again finds it gone')
})

t.test('close() tells watchers and rejects pending requests', async t => {
  const bus = new LocalBus()
  const r1 = new Runtime({ transport: new LocalTransport(bus), node: 'n1' })
  const r2 = new Runtime({ transport: new LocalTransport(bus), node: 'n2' })
  r1.registerMessages(TestMessages)
  r2.registerMessages(TestMessages)
  t.teardown(() => r1.close())
  const watcher = r1.spawn(recorderMachine, { name: 'w' })
  r2.spawn(recorderMachine, { name: 'x' })
  watcher.send({ type: 'Watch', from: 't@t', body: { pid: 'x@n2' } })
  await bus.flush()
  const pending = r2.request('nobody@n1', 'Echo', { text: '' })
  const rejected = t.rejects(pending, { code: 'CLOSED' })
  await r2.close()
  await bus.flush()
  await rejected
  t.same(ctx(watcher).seen.filter(e => e.type === 'exited'), [{ type: 'exited', pid: 'x@n2', reason: 'stopped' }])
  t.throws(() => r2.spawn(recorderMachine, { name: 'late' }), { code: 'CLOSED' })
})

t.test('spawn rejects bad and duplicate names', async t => {
  const rt = new Runtime({ transport: new LocalTransport(), node: 'n1' })
  t.teardown(() => rt.close())
  rt.spawn(recorderMachine, { name: 'a' })
  t.throws(() => rt.spawn(recorderMachine, { name: 'a' }), /already in use/)
  t.throws(() => rt.spawn(recorderMachine, { name: 'a.b' }), /illegal character '\.'/)
  t.throws(() => rt.spawn(recorderMachine, { name: '_runtime' }), /reserved/)
  t.throws(() => new Runtime({ transport: new LocalTransport(), node: 'bad node' }), /illegal character U\+0020/)
})

t.test('machine timers run on the runtime clock, and each actor logs with its pid', async t => {
  const lines: string[] = []
  const sink = new Writable({ write: (c, _e, done) => (lines.push(c.toString()), done()) })
  const clock = new SimClock()
  const rt = new Runtime({ transport: new SimNetwork({ seed: 1, clock }).endpoint(), node: 'n1', clock, logger: pino(sink) })
  const timed = setup({ types: { input: {} as { port: { log: { info(m: string): void } } } } }).createMachine({
    initial: 'waiting',
    context: ({ input }) => ({ port: input.port }),
    states: { waiting: { after: { 15_000: { target: 'done', actions: ({ context }) => context.port.log.info('timer fired') } } }, done: {} },
  })
  const h = rt.spawn(timed, { name: 'timed' })
  clock.advance(14_999)
  t.equal(h.getSnapshot().value, 'waiting')
  clock.advance(1)
  t.equal(h.getSnapshot().value, 'done')
  t.match(JSON.parse(lines.at(-1)!), { actor: 'timed@n1', msg: 'timer fired' })
})

t.test('actors of one runtime talk without the bus: same checks, same order, still asynchronous', async t => {
  const bus = new LocalBus()
  const transport = new LocalTransport(bus)
  let published = 0
  const publish = transport.publish.bind(transport)
  transport.publish = (subject, bytes) => {
    published++
    publish(subject, bytes)
  }
  const rt = new Runtime({ transport, node: 'n1' })
  rt.registerMessages(TestMessages)
  t.teardown(() => rt.close())
  const a = rt.spawn(recorderMachine, { name: 'a' })
  const b = rt.spawn(recorderMachine, { name: 'b' })
  await rt.flush()
  const before = published
  for (let n = 0; n < 5; n++) rt.send(a.pid, b.pid, 'Ping', { n })
  t.same(ctx(b).seen, [], 'nothing is delivered inside the sender\'s turn')
  await rt.flush()
  t.same(ctx(b).seen.map(s => s.body), [0, 1, 2, 3, 4].map(n => ({ n })), 'in the order sent')
  t.same(ctx(a).seen.map(s => s.body), [0, 1, 2, 3, 4].map(n => ({ n })), 'the Pongs came back the same way')
  t.equal(published, before, 'nothing went through the transport')
  const m = rt.metrics.snapshot()
  t.equal(m['runtime/messages_sent/Ping'], 5)
  t.equal(m['runtime/messages_received/Pong'], 5)

  rt.send(a.pid, b.pid, 'Ping', { n: 'seven' } as never)
  rt.send(a.pid, b.pid, 'Nonsense', {})
  await rt.flush()
  t.equal(ctx(b).seen.length, 5, 'an invalid body and an unknown type are dropped at the edge')
  const dropped = rt.metrics.snapshot()
  t.equal(dropped['runtime/messages_dropped/invalid_body'], 1)
  t.equal(dropped['runtime/messages_dropped/unknown_type'], 1)

  rt.send(a.pid, b.pid, 'Ping', { n: 9 })
  b.stop()
  await rt.flush()
  t.equal(ctx(a).seen.length, 5, 'a message to an actor stopped before delivery is lost, like on the bus')
})

t.test('a peer whose pongs are late but whose messages keep coming is not reported unreachable', async t => {
  const w = simWorld()
  const { rt: r1 } = w.runtime('n1')
  const { rt: r2 } = w.runtime('n2')
  const watcher = r1.spawn(recorderMachine, { name: 'watcher' })
  const talker = r2.spawn(recorderMachine, { name: 'talker' })
  watcher.send({ type: 'Watch', from: 'test@t', body: { pid: talker.pid } })
  w.clock.advance(50)
  // Pings and pongs are lost (a backlog would only delay them); the talker's messages arrive.
  w.net.partition(['_runtime@n1'], ['_runtime@n2'])
  for (let i = 0; i < 20; i++) {
    r2.send(talker.pid, watcher.pid, 'Tick', { seq: i })
    w.clock.advance(100)
  }
  const exits = () => ctx(watcher).seen.filter(e => e.type === 'exited')
  t.same(exits(), [], 'two seconds without a pong (timeout 500 ms), but never without a message')
  w.clock.advance(1000)
  t.same(exits().map(e => [e.pid, e.reason]), [['talker@n2', 'unreachable']], 'silence and no pongs: unreachable')
})

t.test('an actor spawned with mayAct sends and replies nothing while it answers false', async t => {
  const w = simWorld()
  const { rt: r1 } = w.runtime('n1')
  const { rt: r2 } = w.runtime('n2')
  let acting = true
  const leader = r2.spawn(recorderMachine, { name: 'leader', mayAct: () => acting })
  const peer = r1.spawn(recorderMachine, { name: 'peer' })
  r1.send(peer.pid, leader.pid, 'Ping', { n: 1 })
  w.clock.runUntilIdle()
  t.same(ctx(peer).seen.map(s => s.type), ['Pong'], 'answers while it may act')
  acting = false
  r1.send(peer.pid, leader.pid, 'Ping', { n: 2 })
  const echo = r1.request(leader.pid, 'Echo', { text: 'x' }, { timeoutMs: 500 })
  echo.catch(() => {})
  await w.clock.advanceAsync(1000)
  t.equal(ctx(leader).seen.length, 2, 'it still receives')
  t.same(ctx(peer).seen.map(s => s.type), ['Pong'], 'but its Pong is not sent')
  await t.rejects(echo, RequestTimeoutError, 'nor its reply')
  t.equal(r2.metrics.snapshot()['runtime/messages_unsent/may_not_act'], 2)
})

t.test('close() finishes when the bus cannot flush (a NATS server that stopped first)', async t => {
  const transport = new LocalTransport(new LocalBus())
  transport.flush = () => Promise.reject(new Error('connection disconnected'))
  const rt = new Runtime({ transport, node: 'n1' })
  rt.registerMessages(TestMessages)
  rt.spawn(recorderMachine, { name: 'a' })
  await t.resolves(rt.close(), 'closed anyway')
  t.equal(rt.actorCount(), 0)
})
