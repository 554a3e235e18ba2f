import t from 'tap'
import { SimClock } from '../../../runtime/index.js'
import { LeaderElection, type LeaderInfo } from '../../../actors/master/leader-election.js'
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
  const clock = new SimClock()
  const store = new MemoryLeaseStore(clock, LEASE)
  const a = contender(clock, store, 'a')
  const b = contender(clock, store, 'b')
  a.election.start()
  await clock.advanceAsync(10)
  b.election.start()
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
  const clock = new SimClock()
  const store = new MemoryLeaseStore(clock, LEASE)
  const a = contender(clock, store, 'a')
  const b = contender(clock, store, 'b')
  a.election.start()
  await clock.advanceAsync(10)
  b.election.start()
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
  const clock = new SimClock()
  const store = new MemoryLeaseStore(clock, LEASE)
  const a = contender(clock, store, 'a')
  const b = contender(clock, store, 'b')
  a.election.start()
  await clock.advanceAsync(10)
  b.election.start()
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
