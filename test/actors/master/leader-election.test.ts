import t from 'tap'
import { SimClock } from '../../../runtime/index.js'
import { LeaderElection, decodeLeader, type LeaderInfo, type LeaseStore } from '../../../actors/master/leader-election.js'
import { MemoryLeaseStore } from '../../../actors/master/memory-lease-store.js'

const LEASE = 3000

function contender(clock: SimClock, store: MemoryLeaseStore, name: string) {
  const events: string[] = []
  const seen: Array<string | undefined> = []
  const self: LeaderInfo = { pid: `master@${name}`, hostname: name, port: 5050 }
  const election = new LeaderElection({
    store,
    clock,
    self,
    leaseMs: LEASE,
    pollMs: 500,
    onElected: epoch => events.push(`elected:${epoch}`),
    onDeposed: reason => events.push(`deposed:${reason}`),
    onLeader: leader => seen.push(leader?.pid),
  })
  return { election, events, seen }
}

t.test('one of three contenders leads; the others follow it; refreshes keep the lease', async t => {
  const clock = new SimClock()
  const store = new MemoryLeaseStore(clock, LEASE)
  const ms = ['m1', 'm2', 'm3'].map(n => contender(clock, store, n))
  for (const m of ms) m.election.start()
  await clock.advanceAsync(100)
  const leaders = ms.filter(m => m.election.state === 'leading')
  t.equal(leaders.length, 1)
  t.equal(leaders[0]!.events[0], 'elected:1')
  for (const m of ms) t.same(m.seen.at(-1), leaders[0]!.election === m.election ? 'master@m1' : 'master@m1')
  await clock.advanceAsync(60_000)
  t.equal(ms.filter(m => m.election.state === 'leading').length, 1, 'still exactly one leader')
  t.same(leaders[0]!.events, ['elected:1'], 'never deposed while refreshing')
  t.ok(leaders[0]!.election.leaderEpoch! > 1, 'each refresh advances the epoch (revision)')
})

t.test('a dead leader is replaced within lease + poll interval', async t => {
  const { clock, store, a, b } = await leaderThenStandby(LEASE, contender)
  await clock.advanceAsync(10)
  t.equal(a.election.state, 'leading')
  t.equal(b.election.state, 'standby')
  // a's process dies: it stops refreshing (no clean release).
  ;(a.election as unknown as { current: string }).current = 'stopped'
  const diedAt = clock.now()
  while (b.election.state !== 'leading' && clock.now() - diedAt < 10_000) await clock.advanceAsync(50)
  t.equal(b.election.state, 'leading')
  t.ok(clock.now() - diedAt <= LEASE + 500 + 50, `replaced after ${clock.now() - diedAt} ms`)
})

t.test('a leader that cannot refresh steps down before its lease can expire; a stale CAS deposes', async t => {
  const { clock, store, a, b } = await leaderThenStandby(LEASE, contender)
  await clock.advanceAsync(10)
  store.available = false
  const cutAt = clock.now()
  while (a.election.state === 'leading') await clock.advanceAsync(50)
  t.same(a.events, ['elected:1', 'deposed:expired'])
  t.ok(clock.now() - cutAt < LEASE, 'stepped down while its lease was still valid in the store')
  store.available = true
  const leading = (): boolean => [a, b].some(m => m.election.state === 'leading')
  while (!leading()) await clock.advanceAsync(50)
  await clock.advanceAsync(20_000)
  t.equal([a, b].filter(m => m.election.state === 'leading').length, 1, 'exactly one leader again')

  // A leader frozen past its lease (a long GC pause) wakes up: its CAS fails and it steps down.
  const leader = [a, b].find(m => m.election.state === 'leading')!
  const other = [a, b].find(m => m !== leader)!
  const frozen = leader.election as unknown as { refresh(): Promise<void> }
  ;(leader.election as unknown as { current: string }).current = 'frozen'
  await clock.advanceAsync(LEASE + 1000)
  t.equal(other.election.state, 'leading', 'the other took over')
  ;(leader.election as unknown as { current: string }).current = 'leading'
  await frozen.refresh.call(leader.election)
  t.equal(leader.events.at(-1), 'deposed:deposed')
  t.equal(leader.election.state, 'standby')
})

t.test('stop() releases the lease so a standby takes over at once', async t => {
  const { clock, store, a, b } = await leaderThenStandby(LEASE, contender)
  await clock.advanceAsync(10)
  await a.election.stop()
  t.same(a.events, ['elected:1', 'deposed:stopped'])
  await clock.advanceAsync(600)
  t.equal(b.election.state, 'leading')
  t.equal(b.seen.at(-1), 'master@b')
})

t.test('a leader whose refresh hangs steps down before its lease can expire, and contends again after', async t => {
  const clock = new SimClock()
  const inner = new MemoryLeaseStore(clock, LEASE)
  let hang = false
  // A KV request that gets no answer until its client times out (5 s, longer than the lease).
  const store = new Proxy(inner, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown
      if (typeof v !== 'function') return v
      return (...args: unknown[]) =>
        hang ? new Promise((_, reject) => clock.setTimeout(() => reject(new Error('timeout')), 5000)) : (v as (...a: unknown[]) => unknown).apply(target, args)
    },
  })
  const a = contender(clock, store, 'a')
  const b = contender(clock, store, 'b')
  a.election.start()
  await clock.advanceAsync(10)
  b.election.start()
  await clock.advanceAsync(10)
  t.equal(a.election.state, 'leading')
  hang = true
  const cutAt = clock.now()
  while (a.election.state === 'leading' && clock.now() - cutAt < 10_000) await clock.advanceAsync(50)
  t.same(a.events, ['elected:1', 'deposed:expired'])
  t.ok(clock.now() - cutAt < LEASE, `stepped down ${clock.now() - cutAt} ms after the store stopped answering, within the lease`)
  hang = false
  await clock.advanceAsync(20_000)
  t.equal([a, b].filter(m => m.election.state === 'leading').length, 1, 'one leader again once the store answers')
})

// Takeover by observation. The store's TTL here is far longer than the lease, so a standby that
// takes over can only have done so by observation, never because the store expired the key.
const NO_TTL = 3_600_000

/** A store that records, per reader, when each of its gets returned which revision. */
function observing(store: MemoryLeaseStore, clock: SimClock) {
  const firstRead = new Map<number, number>()
  const reader = {
    ...store,
    create: (v: Uint8Array) => store.create(v),
    update: (v: Uint8Array, r: number) => store.update(v, r),
    release: (r: number) => store.release(r),
    get: async () => {
      const e = await store.get()
      if (e && !firstRead.has(e.revision)) firstRead.set(e.revision, clock.now())
      return e
    },
  }
  return { reader, firstRead }
}

function contenderOn(clock: SimClock, store: LeaseStore, name: string, pollMs = 100) {
  const events: Array<{ at: number; what: string }> = []
  const seen: Array<LeaderInfo | undefined> = []
  const election = new LeaderElection({
    store,
    clock,
    self: { pid: `master@${name}`, hostname: name, port: 5050 },
    leaseMs: LEASE,
    pollMs,
    refreshFraction: 0.5,
    onElected: epoch => events.push({ at: clock.now(), what: `elected:${epoch}` }),
    onDeposed: reason => events.push({ at: clock.now(), what: `deposed:${reason}` }),
    onLeader: leader => seen.push(leader),
  })
  return { election, events, seen }
}

/** Contender a, leading alone on a store without TTL (takeovers come only from observation). */
async function leaderAlone() {
  const clock = new SimClock()
  const store = new MemoryLeaseStore(clock, NO_TTL)
  const a = contenderOn(clock, store, 'a')
  a.election.start()
  await clock.advanceAsync(10)
  return { clock, store, a }
}

/** Contenders a and b on one store: a starts first (and leads), b 10 ms later. */
async function leaderThenStandby<C extends { election: LeaderElection }>(ttlMs: number, make: (clock: SimClock, store: MemoryLeaseStore, name: string) => C) {
  const clock = new SimClock()
  const store = new MemoryLeaseStore(clock, ttlMs)
  const a = make(clock, store, 'a')
  const b = make(clock, store, 'b')
  a.election.start()
  await clock.advanceAsync(10)
  b.election.start()
  return { clock, store, a, b }
}

function kill(election: LeaderElection): void {
  // The process dies: its timers never fire again, nothing is released.
  ;(election as unknown as { current: string }).current = 'stopped'
}

t.test('a leader that keeps refreshing is never taken over by observation', async t => {
  const { clock, store, a } = await leaderAlone()
  const standbys = ['b', 'c'].map(n => contenderOn(clock, store, n))
  for (const s of standbys) s.election.start()
  await clock.advanceAsync(10 * 60_000)
  t.equal(a.election.state, 'leading')
  t.same(
    a.events.map(e => e.what),
    ['elected:1'],
  )
  for (const s of standbys) {
    t.equal(s.election.state, 'standby')
    t.same(s.events, [], 'never elected')
  }
})

t.test('a dead leader is replaced at first observation of its last revision + lease, within one poll', async t => {
  const { clock, store, a } = await leaderAlone()
  const { reader, firstRead } = observing(store, clock)
  const b = contenderOn(clock, reader, 'b')
  b.election.start()
  await clock.advanceAsync(5000)
  t.equal(b.election.state, 'standby')
  const last = a.election.leaderEpoch!
  kill(a.election)
  while (b.election.state !== 'leading' && clock.now() < 60_000) await clock.advanceAsync(10)
  t.equal(b.election.state, 'leading', 'taken over although the store never expired the key')
  const observedAt = firstRead.get(last)!
  const electedAt = b.events[0]!.at
  t.ok(electedAt >= observedAt + LEASE, `elected at ${electedAt}, not before ${observedAt} + lease`)
  t.ok(electedAt <= observedAt + LEASE + 100, `elected at ${electedAt}, within one poll of ${observedAt} + lease`)
  t.ok(b.election.leaderEpoch! > last, 'the new epoch is a later revision: the dead leader is fenced')
})

t.test('two standbys racing for a stale lease: exactly one leads, the other follows it', async t => {
  const { clock, store, a } = await leaderAlone()
  kill(a.election)
  // Started together with the same poll: they observe the same revision at the same instant and
  // send their compare-and-sets in the same tick.
  const b = contenderOn(clock, store, 'b')
  const c = contenderOn(clock, store, 'c')
  b.election.start()
  c.election.start()
  await clock.advanceAsync(LEASE + 1000)
  const leaders = [b, c].filter(m => m.election.state === 'leading')
  t.equal(leaders.length, 1, 'one leader')
  const other = [b, c].find(m => m.election.state !== 'leading')!
  await clock.advanceAsync(60_000)
  t.equal([b, c].filter(m => m.election.state === 'leading').length, 1, 'still one leader')
  t.same(other.events, [], 'the loser never led')
  t.equal(other.seen.at(-1)?.pid, leaders[0]!.election === b.election ? 'master@b' : 'master@c')
})

t.test('a deposed leader that wakes up fails its refresh and steps down; it stopped acting before the successor began', async t => {
  const { clock, store, a, b } = await leaderThenStandby(NO_TTL, contenderOn)
  await clock.advanceAsync(2000)
  const deadline = a.election.deadline!
  // A long GC pause: a runs nothing (not even its expiry timer) until it wakes.
  ;(a.election as unknown as { current: string }).current = 'frozen'
  while (b.election.state !== 'leading') await clock.advanceAsync(10)
  t.ok(b.events[0]!.at > deadline, `b began at ${b.events[0]!.at}, after a's deadline ${deadline}`)
  ;(a.election as unknown as { current: string }).current = 'leading'
  await (a.election as unknown as { refresh(): Promise<void> }).refresh()
  t.same(
    a.events.map(e => e.what),
    ['elected:1', 'deposed:deposed'],
  )
  t.equal(a.election.state, 'standby')
  await clock.advanceAsync(30_000)
  t.equal(b.election.state, 'leading')
  t.equal(a.election.state, 'standby', 'it follows the new leader, it does not take it back')
})

t.test('serve() marks the lease serving at once; standbys see the leader before and once it serves', async t => {
  const { clock, store, a, b } = await leaderThenStandby(NO_TTL, contenderOn)
  await clock.advanceAsync(200)
  t.same(
    b.seen.map(l => l && `${l.pid}:${l.serving}`),
    ['master@a:false'],
  )
  const before = a.election.leaderEpoch!
  a.election.serve()
  await clock.advanceAsync(1)
  t.ok(a.election.leaderEpoch! > before, 'an extra refresh, not waiting for the next one')
  await clock.advanceAsync(200)
  t.same(
    b.seen.map(l => l && `${l.pid}:${l.serving}`),
    ['master@a:false', 'master@a:true'],
  )
  await clock.advanceAsync(30_000)
  t.equal(b.seen.length, 2, 'refreshes that keep serving are not reported again')
  t.equal(decodeLeader((await store.get())!.value)?.serving, true, 'every refresh keeps saying it serves')
})
