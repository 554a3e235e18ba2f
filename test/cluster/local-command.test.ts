// `mesos-ts local --nats` + `mesos-ts execute`, as a newcomer runs them; then Ctrl-C.
import t from 'tap'
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { natsServerPath } from '../../cluster/nats-server.js'
import { mesos } from './support/processes.js'

const skip = natsServerPath() ? false : 'nats-server is not installed (apt-get install -y nats-server)'

function find(dir: string, name: string, found: string[] = []): string[] {
  for (const entry of readdirSync(dir)) {
    const p = join(dir, entry)
    if (entry === name) found.push(p)
    else if (statSync(p, { throwIfNoEntry: false })?.isDirectory() && !entry.startsWith('latest')) find(p, name, found)
  }
  return found
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[2]!.startsWith('Z')
  } catch {
    return false
  }
}

t.test('local --nats runs tasks for execute; Ctrl-C kills them and keeps their sandboxes', { skip, timeout: 120_000 }, async t => {
  const work = mkdtempSync(join(tmpdir(), 'mesos-ts-local-cmd-'))
  t.teardown(() => rmSync(work, { recursive: true, force: true }))
  const local = mesos(t, ['local', '--nats', `--work_dir=${work}`, '--num_agents=2', '--resources=cpus:2;mem:1024;disk:1024;ports:[31000-31010]'])
  const [, url] = await local.waitFor(/NATS: (nats:\/\/\S+)/)
  t.match(local.stdout(), /master and 2 agent\(s\) running/)
  t.match(local.stdout(), /sandboxes: .*agents\/<i>\/slaves\/<agent>\/frameworks/)

  const hello = mesos(t, ['execute', `--master=${url}`, '--name=hello', '--command=echo hello from local'])
  t.equal(await hello.exited, 0, hello.stdout())
  const [stdout] = find(work, 'stdout')
  t.ok(stdout, 'a sandbox stdout exists')
  t.equal(readFileSync(stdout!, 'utf8'), 'hello from local\n')

  const sleeper = mesos(t, ['execute', `--master=${url}`, '--name=sleeper', '--command=sleep 600'])
  await sleeper.waitFor(/TASK_RUNNING for task 'sleeper'/)
  const pidFile = find(work, 'forked.pid').find(p => p.includes('/executors/sleeper/'))
  const pid = Number(readFileSync(pidFile!, 'utf8').trim())
  t.ok(alive(pid), 'the task runs')

  local.child.kill('SIGINT')
  t.equal(await local.exited, 0, 'a clean exit')
  t.notOk(alive(pid), 'the task was killed')
  t.ok(existsSync(stdout!), 'sandboxes are kept')
})
