// ps, cat and tail against `mesos-ts local` run as a child process: tasks launched with execute
// over the master's HTTP API, sandboxes read through /slave(N)/files/read on the master's port.

import t from 'tap'
import { freePort } from '../../../cluster/nats-server.js'
import { runCli, startCli, tempDir, type Cli } from './support/cli.js'

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const value = await probe().catch(() => undefined)
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${ms} ms`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

t.test('ps, cat and tail on mesos-ts local', async (t) => {
  const port = await freePort()
  const workDir = tempDir(t, 'mesos-ts-tools-')
  const local = startCli(t, ['local', `--port=${port}`, '--num_agents=2', `--work_dir=${workDir}`, '--quiet'])
  await local.waitForStdout(/master and 2 agent\(s\) running/)
  const master = `--master=127.0.0.1:${port}`
  const tasks: Cli[] = []
  const launch = (name: string, command: string) => {
    const cli = startCli(t, ['execute', master, `--name=${name}`, `--command=${command}`, '--kill_after=2mins', '--quiet'])
    tasks.push(cli)
    return cli
  }
  const psOutput = async (all = false) => (await runCli(t, ['ps', master, ...(all ? ['--all'] : []), '--quiet'])).stdout

  const empty = await runCli(t, ['ps', master, '--quiet'])
  t.equal(empty.code, 0, empty.stderr)
  t.equal(empty.stdout, 'No running tasks.\n')

  launch('ticker', 'i=0; while [ $i -lt 400 ]; do i=$((i+1)); echo tick$i; echo oops$i >&2; sleep 0.2; done')
  launch('dup', 'echo first-dup; sleep 60')
  launch('dup', 'echo second-dup; sleep 60')
  const ps = await until('three running tasks in ps', async () => {
    const out = await psOutput()
    return (out.match(/TASK_RUNNING/g) ?? []).length === 3 ? out : undefined
  })
  t.match(ps, /^FRAMEWORK +TASK ID +NAME +STATE +HOST +CPUS +MEM$/m)
  t.match(ps, /^mesos-ts-execute \(\S+\) +ticker +ticker +TASK_RUNNING +\S+ +0\.1 +32 MB$/m)

  const tickerOut = await until('ticker printing', async () => {
    const r = await runCli(t, ['cat', master, 'ticker', '--quiet'])
    return r.code === 0 && /tick3\n/.test(r.stdout) ? r.stdout : undefined
  })
  t.match(tickerOut, /^tick1\ntick2\ntick3\n/, 'cat prints stdout by default')
  const tickerErr = await runCli(t, ['cat', master, 'ticker', 'stderr', '--quiet'])
  t.match(tickerErr.stdout, /^oops1\n/m, 'and stderr when asked')

  const tail = await runCli(t, ['tail', master, '--lines=2', 'ticker', '--quiet'])
  t.equal(tail.code, 0, tail.stderr)
  const lines = tail.stdout.trimEnd().split('\n')
  t.equal(lines.length, 2, `the last two lines: ${tail.stdout}`)
  t.match(lines[1], /^tick\d+$/)
  t.equal(Number(lines[1].slice(4)) - Number(lines[0].slice(4)), 1, 'consecutive lines')

  const follow = startCli(t, ['tail', '-f', '--lines=1', '--interval=100ms', master, 'ticker', '--quiet'])
  const [, firstTick] = await follow.waitForStdout(/^tick(\d+)\n/m)
  await follow.waitForStdout(new RegExp(`^tick${Number(firstTick) + 2}\\n`, 'm'))
  follow.child.kill('SIGINT')
  t.equal((await follow.exited()).code, 0, 'tail -f stops on Ctrl-C with exit 0')

  const ambiguous = await runCli(t, ['cat', master, 'dup', '--quiet'])
  t.equal(ambiguous.code, 1)
  t.match(ambiguous.stderr, /^mesos-ts cat: task id 'dup' is ambiguous: frameworks \S+, \S+ each have one; choose with --framework=<id>\n$/)
  const frameworkId = /frameworks (\S+),/.exec(ambiguous.stderr)![1]
  const chosen = await until('the chosen dup printing', async () => {
    const r = await runCli(t, ['cat', master, `--framework=${frameworkId}`, 'dup', '--quiet'])
    return /-dup\n/.test(r.stdout) ? r.stdout : undefined
  })
  t.match(chosen, /^(first|second)-dup\n$/)

  const missing = await runCli(t, ['cat', master, 'no-such-task', '--quiet'])
  t.equal(missing.code, 1)
  t.match(missing.stderr, /^mesos-ts cat: no task 'no-such-task' is known to the master \(see 'mesos-ts ps --all'\)\n$/)
  const noFile = await runCli(t, ['cat', master, 'ticker', 'nothing-here', '--quiet'])
  t.equal(noFile.code, 1)
  t.match(noFile.stderr, /nothing-here: no such file in the sandbox/)

  for (const cli of tasks) cli.child.kill('SIGINT')
  for (const cli of tasks) await cli.exited()
  await until('the tasks killed', async () => ((await psOutput()) === 'No running tasks.\n' ? true : undefined))
  t.match(await psOutput(true), /ticker +ticker +TASK_KILLED/, 'ps --all lists finished tasks')
  local.child.kill('SIGTERM')
  t.equal((await local.exited()).code, 0)
})

t.test('usage errors are one line', async (t) => {
  const noTask = await runCli(t, ['cat', '--quiet'])
  t.equal(noTask.code, 2)
  t.match(noTask.stderr, /^mesos-ts cat: which task\? usage: mesos-ts cat <task-id> \[stdout\|stderr\|<file>\]/)
  const nats = await runCli(t, ['ps', '--master=nats://127.0.0.1:4222'])
  t.equal(nats.code, 2)
  t.match(nats.stderr, /^mesos-ts ps: --master: expected the master's host:port \(e\.g\. master:5050\), got 'nats:\/\/127\.0\.0\.1:4222' \(these tools read the master's HTTP API/)
  const outside = await runCli(t, ['cat', 'task', '../../etc/passwd', '--quiet'])
  t.equal(outside.code, 2)
  t.match(outside.stderr, /name a file inside the sandbox/)
  const port = await freePort()
  const down = await runCli(t, ['ps', `--master=127.0.0.1:${port}`, '--quiet'])
  t.equal(down.code, 1)
  t.match(down.stderr, new RegExp(`^mesos-ts ps: cannot reach http://127\\.0\\.0\\.1:${port}/master/state: ECONNREFUSED\\n$`))
})
