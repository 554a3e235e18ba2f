import t from 'tap'
import { EventEmitter } from 'node:events'
import { Writable } from 'node:stream'
import { pino } from 'pino'
import {
  checkOpenFileLimit,
  handleShutdownSignals,
  openFileLimitWarning,
  parseOpenFileLimit,
  SignalReceived,
  WANTED_OPEN_FILES,
  type SignalTarget,
} from '../../../cluster/cli/process-lifecycle.js'

// /proc/self/limits as Linux prints it (fs/proc/base.c: proc_pid_limits).
const LIMITS = `Limit                     Soft Limit           Hard Limit           Units     
Max cpu time              unlimited            unlimited            seconds   
Max file size             unlimited            unlimited            bytes     
Max data size             unlimited            unlimited            bytes     
Max stack size            8388608              unlimited            bytes     
Max core file size        0                    unlimited            bytes     
Max resident set          unlimited            unlimited            bytes     
Max processes             63382                63382                processes 
Max open files            1024                 4096                 files     
Max locked memory         8388608              8388608              bytes     
Max address space         unlimited            unlimited            bytes     
Max file locks            unlimited            unlimited            locks     
Max pending signals       63382                63382                signals   
Max msgqueue size         819200               819200               bytes     
Max nice priority         0                    0                    
Max realtime priority     0                    0                    
Max realtime timeout      unlimited            unlimited            us        
`

function withOpenFiles(soft: string, hard: string): string {
  return LIMITS.replace(/^Max open files .*$/m, `Max open files            ${soft.padEnd(21)}${hard.padEnd(21)}files     `)
}

/** A logger whose lines a test can read back. */
function capture() {
  const lines: Array<Record<string, unknown>> = []
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>)
      done()
    },
  })
  return { log: pino({ level: 'debug' }, stream), lines }
}

t.test('parseOpenFileLimit reads the Max open files row', async (t) => {
  t.same(parseOpenFileLimit(LIMITS), { soft: 1024, hard: 4096 })
  t.same(parseOpenFileLimit(withOpenFiles('unlimited', 'unlimited')), { soft: Infinity, hard: Infinity })
  t.same(parseOpenFileLimit(withOpenFiles('8192', 'unlimited')), { soft: 8192, hard: Infinity })
  t.equal(parseOpenFileLimit(LIMITS.replace(/^Max open files.*\n/m, '')), undefined, 'no row')
  t.equal(parseOpenFileLimit(withOpenFiles('lots', '4096')), undefined, 'a value that is not a number')
  t.equal(parseOpenFileLimit(''), undefined)
})

t.test('parseOpenFileLimit reads this process\'s real /proc/self/limits', { skip: process.platform !== 'linux' && 'not Linux' }, async (t) => {
  const { readFileSync } = await import('node:fs')
  const limit = parseOpenFileLimit(readFileSync('/proc/self/limits', 'utf8'))
  t.ok(limit !== undefined && limit.soft > 0 && limit.hard >= limit.soft)
})

t.test('openFileLimitWarning says what the limit is, what we wanted and how to raise it', async (t) => {
  t.equal(openFileLimitWarning({ soft: 8192, hard: 8192 }), undefined)
  t.equal(openFileLimitWarning({ soft: Infinity, hard: Infinity }), undefined)

  const hardTooLow = openFileLimitWarning({ soft: 1024, hard: 4096 })!
  t.match(hardTooLow, /open-file limit is 1024, below the 8192 mesos-ts wants/)
  t.match(hardTooLow, /hard limit is 4096/)
  t.match(hardTooLow, /limits\.conf/)
  t.match(hardTooLow, /carrying on with 1024/)

  const softOnly = openFileLimitWarning({ soft: 1024, hard: Infinity })!
  t.match(softOnly, /ulimit -n 8192/)
  t.match(softOnly, /the hard limit, unlimited, allows it/)

  t.match(openFileLimitWarning({ soft: 100, hard: 100 }, 200)!, /below the 200 mesos-ts wants/)
  t.equal(WANTED_OPEN_FILES, 8192, 'the seed\'s ulimit -n 8192')
})

t.test('checkOpenFileLimit logs one warn line when the limit is low, and nothing otherwise', async (t) => {
  const low = capture()
  t.same(checkOpenFileLimit({ log: low.log, readLimits: () => LIMITS }), { soft: 1024, hard: 4096 })
  const warns = low.lines.filter((l) => l.level === 40)
  t.equal(warns.length, 1)
  t.match(warns[0], { soft: '1024', hard: '4096', wanted: 8192, msg: /open-file limit is 1024/ })

  const high = capture()
  checkOpenFileLimit({ log: high.log, readLimits: () => withOpenFiles('65536', '65536') })
  t.same(high.lines, [])

  const unreadable = capture()
  t.equal(
    checkOpenFileLimit({
      log: unreadable.log,
      readLimits: () => {
        throw Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' })
      },
    }),
    undefined,
  )
  t.same(unreadable.lines.filter((l) => (l.level as number) >= 40), [], 'no /proc is not worth a warning')
})

class FakeProcess extends EventEmitter implements SignalTarget {
  override on(event: 'SIGINT' | 'SIGTERM', listener: (signal: NodeJS.Signals) => void): this {
    return super.on(event, listener)
  }
  override off(event: 'SIGINT' | 'SIGTERM', listener: (signal: NodeJS.Signals) => void): this {
    return super.off(event, listener)
  }
}

t.test('the first SIGINT or SIGTERM aborts the signal; a second forces an exit', async (t) => {
  for (const [first, second, code] of [
    ['SIGINT', 'SIGINT', 130],
    ['SIGTERM', 'SIGINT', 130],
    ['SIGTERM', 'SIGTERM', 143],
  ] as const) {
    const target = new FakeProcess()
    const exits: number[] = []
    const { log, lines } = capture()
    const handle = handleShutdownSignals({ target, log, exit: (c) => exits.push(c) })
    t.equal(handle.signal.aborted, false)
    target.emit(first, first)
    t.equal(handle.signal.aborted, true, `${first} aborts`)
    t.type(handle.signal.reason, SignalReceived)
    t.equal((handle.signal.reason as SignalReceived).signal, first)
    t.same(exits, [], 'no exit on the first signal')
    t.match(lines.at(-1), { level: 30, msg: new RegExp(`received ${first}, shutting down`) })
    target.emit(second, second)
    t.same(exits, [code], `a second ${second} exits with ${code}`)
    handle.dispose()
    t.equal(target.listenerCount('SIGINT') + target.listenerCount('SIGTERM'), 0, 'dispose removes the handlers')
  }
})
