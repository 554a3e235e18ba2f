// A newcomer's first steps with no NATS at all: `mesos-ts local` serves the master's HTTP APIs,
// and `mesos-ts execute --master=127.0.0.1:<port>` runs a command through the v1 scheduler API.
import t from 'tap'
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { mesos } from './support/processes.js'

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  await new Promise(resolve => server.close(resolve))
  return port
}

/** The `stdout` files of the sandboxes of task `name`, under `dir`. */
function sandboxFiles(dir: string, name: string, file: string, found: string[] = []): string[] {
  for (const entry of readdirSync(dir)) {
    const p = join(dir, entry)
    if (entry === file && p.includes(`/executors/${name}/runs/`) && !p.includes('/latest/')) found.push(p)
    else if (statSync(p, { throwIfNoEntry: false })?.isDirectory() && entry !== 'latest') sandboxFiles(p, name, file, found)
  }
  return found
}

t.test('local --port serves HTTP; execute --master=127.0.0.1:<port> runs commands to their exit status', { timeout: 120_000 }, async t => {
  const work = mkdtempSync(join(tmpdir(), 'mesos-ts-local-http-'))
  t.teardown(() => rmSync(work, { recursive: true, force: true }))
  const port = await freePort()
  const local = mesos(t, ['local', `--port=${port}`, `--work_dir=${work}`, '--num_agents=1', '--resources=cpus:2;mem:1024;disk:1024'])
  await local.waitFor(new RegExp(`HTTP .*:${port}/master/state`))
  t.match(local.stdout(), new RegExp(`execute --master=127\\.0\\.0\\.1:${port}`), 'it says how to run a task')

  const hello = mesos(t, ['execute', `--master=127.0.0.1:${port}`, '--name=t', '--command=echo hello', '--resources=cpus:0.1;mem:32'])
  t.equal(await hello.exited, 0, hello.stdout() + hello.stderr())
  t.match(hello.stdout(), /Subscribed with ID \S+/)
  t.match(hello.stdout(), /Submitted task 't' to agent/)
  t.match(hello.stdout(), /Received status update TASK_RUNNING for task 't'/)
  t.match(hello.stdout(), /Received status update TASK_FINISHED for task 't'/)
  const [stdout] = sandboxFiles(work, 't', 'stdout')
  t.ok(stdout, "task t's sandbox has a stdout file")
  t.match(readFileSync(stdout!, 'utf8'), /^hello$/m)

  const failing = mesos(t, ['execute', `--master=127.0.0.1:${port}`, '--name=three', '--command=exit 3', '--resources=cpus:0.1;mem:32'])
  t.equal(await failing.exited, 3, 'execute exits with the task\'s status')
  t.match(failing.stdout(), /Received status update TASK_FAILED for task 'three'/)
})
