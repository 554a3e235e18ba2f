// Re-adopting a real task process with a second PosixProcessLauncher (as a restarted agent does):
// liveness by polling on a SimClock, the exit read from exit.status.
import t from 'tap'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SimClock } from '../../../runtime/index.js'
import { PosixProcessLauncher, RECOVERED_POLL_INTERVAL_MS, type LaunchedProcess, type ProcessExit } from '../../../actors/agent/index.js'

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))

function setup(t: { teardown(fn: () => unknown): void }) {
  const dir = mkdtempSync(join(tmpdir(), 'mesos-ts-recovered-'))
  const sandbox = join(dir, 'sandbox')
  const metaDir = join(dir, 'meta')
  mkdirSync(sandbox)
  mkdirSync(join(metaDir, 'pids'), { recursive: true })
  const original = new PosixProcessLauncher()
  const procs: LaunchedProcess[] = []
  t.teardown(() => {
    for (const p of procs) {
      try {
        process.kill(-p.pgid, 'SIGKILL')
      } catch {
        // Gone.
      }
    }
    rmSync(dir, { recursive: true, force: true })
  })
  const launch = (command: string) => {
    const p = original.launch({ containerId: 'c1', sandbox, metaDir, command: { shell: true, value: command }, env: { PATH: '/usr/bin:/bin' } })
    procs.push(p)
    return p
  }
  return { sandbox, metaDir, launch }
}

/** Advances the sim clock by poll intervals, with real time for the process to change, until it reports. */
async function exitOf(clock: SimClock, proc: LaunchedProcess, timeoutMs = 10_000): Promise<ProcessExit> {
  let exit: ProcessExit | undefined
  proc.onExit(e => (exit = e))
  const deadline = Date.now() + timeoutMs
  while (!exit && Date.now() < deadline) {
    await sleep(50)
    await clock.advanceAsync(RECOVERED_POLL_INTERVAL_MS)
  }
  if (!exit) throw new Error('the re-adopted process never reported its exit')
  return exit
}

t.test('a live process is re-adopted and its exit code read from exit.status', async t => {
  const { sandbox, metaDir, launch } = setup(t)
  const original = launch('while [ ! -e go ]; do sleep 0.05; done; exit 3')
  const clock = new SimClock()
  const adopted = new PosixProcessLauncher().recover({ containerId: 'c1', metaDir }, clock)
  if (typeof adopted === 'string') throw new Error(adopted)
  t.equal(adopted.pid, original.pid, 'the same pid, from pids/forked.pid')
  let early = false
  adopted.onExit(() => (early = true))
  await clock.advanceAsync(3 * RECOVERED_POLL_INTERVAL_MS)
  t.notOk(early, 'alive while it runs')
  writeFileSync(join(sandbox, 'go'), '')
  t.same(await exitOf(clock, adopted), { kind: 'exited', code: 3 })
})

t.test('a re-adopted process is killed through its group; the signal is what it reports', async t => {
  const { sandbox, metaDir, launch } = setup(t)
  launch('touch started; sleep 300')
  // A TERM that reaches the wrapper before it has started the command is swallowed by its trap
  // (the executor escalates to KILL after the grace period); this test is about a running one.
  while (!existsSync(join(sandbox, 'started'))) await sleep(20)
  const clock = new SimClock()
  const adopted = new PosixProcessLauncher().recover({ containerId: 'c1', metaDir }, clock)
  if (typeof adopted === 'string') throw new Error(adopted)
  adopted.terminate()
  t.same(await exitOf(clock, adopted), { kind: 'signaled', signal: 'SIGTERM' })
})

t.test('a process that ended before recovery reports at once; no pid: a reason', async t => {
  const { metaDir, launch } = setup(t)
  const original = launch('exit 0')
  await new Promise<void>(resolve => original.onExit(() => resolve()))
  const adopted = new PosixProcessLauncher().recover({ containerId: 'c1', metaDir }, new SimClock())
  if (typeof adopted === 'string') throw new Error(adopted)
  let exit: ProcessExit | undefined
  adopted.onExit(e => (exit = e))
  t.same(exit, { kind: 'exited', code: 0 })
  const none = new PosixProcessLauncher().recover({ containerId: 'c2', metaDir: join(metaDir, 'nowhere') }, new SimClock())
  t.match(none, /pids\/forked\.pid is missing/)
  t.notOk(existsSync(join(metaDir, 'nowhere')))
})
