import t from 'tap'
import { createActor, setup } from 'xstate'
import { SimClock, RealClock, TimerScope } from '../../runtime/index.js'

t.test('SimClock fires timers in deadline order, ties in set order', async t => {
  const clock = new SimClock(1000)
  const fired: string[] = []
  clock.setTimeout(() => fired.push('b@30'), 30)
  clock.setTimeout(() => fired.push('a@10'), 10)
  clock.setTimeout(() => fired.push('c@30'), 30)
  const cancelled = clock.setTimeout(() => fired.push('x'), 20)
  clock.clearTimeout(cancelled)
  t.equal(clock.pending, 3)
  clock.advance(9)
  t.same(fired, [])
  t.equal(clock.now(), 1009)
  clock.advance(1)
  t.same(fired, ['a@10'])
  clock.advance(100)
  t.same(fired, ['a@10', 'b@30', 'c@30'])
  t.equal(clock.now(), 1110)
  t.equal(clock.pending, 0)
})

t.test('timers set by timers run in the same advance when due', async t => {
  const clock = new SimClock()
  const seen: number[] = []
  clock.setTimeout(() => {
    seen.push(clock.now())
    clock.setTimeout(() => seen.push(clock.now()), 5)
  }, 5)
  clock.advance(10)
  t.same(seen, [5, 10])
})

t.test('runUntilIdle jumps to each deadline and stops a runaway timer', async t => {
  const clock = new SimClock()
  let n = 0
  const tick = (): void => {
    n++
    clock.setTimeout(tick, 1000)
  }
  clock.setTimeout(tick, 1000)
  t.equal(clock.runUntilIdle(50), 50)
  t.equal(n, 50)
  t.equal(clock.now(), 50_000)
})

t.test('settle lets promise continuations run between timers', async t => {
  const clock = new SimClock()
  const order: string[] = []
  const wait = (ms: number) => new Promise<void>(r => clock.setTimeout(r, ms))
  const job = (async () => {
    await wait(10)
    order.push('first')
    await wait(10)
    order.push('second')
  })()
  await clock.settle()
  await job
  t.same(order, ['first', 'second'])
  t.equal(clock.now(), 20)
})

t.test('XState after-delays follow the injected clock', async t => {
  const machine = setup({}).createMachine({ initial: 'waiting', states: { waiting: { after: { 5000: 'done' } }, done: {} } })
  const clock = new SimClock()
  const actor = createActor(machine, { clock })
  actor.start()
  clock.advance(4999)
  t.equal(actor.getSnapshot().value, 'waiting')
  clock.advance(1)
  t.equal(actor.getSnapshot().value, 'done')
  actor.stop()
})

t.test('RealClock reads wall time and its timers can be cancelled', async t => {
  const clock = new RealClock()
  const before = Date.now()
  t.ok(clock.now() >= before)
  const h = clock.setTimeout(() => t.fail('cancelled timer fired'), 1)
  clock.clearTimeout(h)
  // Its timers hold the event loop open (an embedded cluster has nothing else that does).
  await new Promise<void>(resolve => clock.setTimeout(() => resolve(), 2))
})

t.test('TimerScope clears the timers it set, and only those', async t => {
  const clock = new SimClock()
  const scope = new TimerScope(clock)
  let fired = 0
  scope.setTimeout(() => fired++, 10)
  const cleared = scope.setTimeout(() => fired++, 20)
  clock.setTimeout(() => fired++, 30)
  clock.advance(15)
  t.equal(fired, 1)
  scope.clearTimeout(cleared)
  scope.setTimeout(() => fired++, 100)
  scope.clearAll()
  t.equal(clock.pending, 1, "only the clock's own timer is left")
  clock.advance(200)
  t.equal(fired, 2)
})
