// The command executor with real processes, real time and deadlines (no sleeps): a tiny fake
// agent registers it, hands it one task and acknowledges its updates.
import t from 'tap'
import { mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setup } from 'xstate'
import { LocalTransport, Runtime, type ActorPort } from '../../../runtime/index.js'
import { ProtocolMessages, type ProtocolEvent, type TaskInfo, type TaskStatus } from '../../../actors/protocol/index.js'
import { createSandbox, executorLatestRunPath, exitStatusPath, forkedPidPath, PosixProcessLauncher, processGroupMembers } from '../../../actors/agent/index.js'
import { commandExecutorMachine } from '../../../actors/executor/index.js'

interface FakeAgentContext {
  port: ActorPort
  task: TaskInfo
  statuses: TaskStatus[]
}

const fakeAgent = setup({
  types: {
    context: {} as FakeAgentContext,
    input: {} as { port: ActorPort; task: TaskInfo },
    events: {} as ProtocolEvent<'RegisterExecutor'> | ProtocolEvent<'StatusUpdate'>,
  },
}).createMachine({
  context: ({ input }) => ({ port: input.port, task: input.task, statuses: [] }),
  on: {
    RegisterExecutor: {
      actions: ({ context, event }) => {
        const framework = { user: 'u', name: 'fw', id: { value: 'F1' } }
        context.port.send(event.from, 'ExecutorRegistered', { executor_info: { executor_id: event.body.executor_id }, framework_id: { value: 'F1' }, framework_info: framework, agent_id: { value: 'A1' }, agent_info: { hostname: 'h' } })
        context.port.send(event.from, 'RunTask', { framework, framework_id: { value: 'F1' }, task: context.task })
      },
    },
    StatusUpdate: {
      actions: ({ context, event }) => {
        const u = event.body.update
        context.statuses.push(u.status)
        context.port.send(event.from, 'StatusUpdateAcknowledgement', { agent_id: { value: 'A1' }, framework_id: u.framework_id, task_id: u.status.task_id, uuid: u.uuid! })
      },
    },
  },
})

async function until(what: string, cond: () => boolean, deadlineMs = 10_000): Promise<void> {
  const end = Date.now() + deadlineMs
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${deadlineMs} ms waiting for: ${what}`)
    await new Promise(r => setTimeout(r, 20))
  }
}

let seq = 0
async function launch(t: any, command: Record<string, unknown>, extra: Partial<TaskInfo> = {}) {
  const workDir = mkdtempSync(join(tmpdir(), 'mesos-ts-exec-'))
  const rt = new Runtime({ transport: new LocalTransport(), node: 'h1' })
  rt.registerMessages(ProtocolMessages)
  const launcher = new PosixProcessLauncher()
  const ids = { agentId: 'A1', frameworkId: 'F1', executorId: `t${++seq}`, containerId: `c${seq}` }
  const { sandbox, metaDir } = createSandbox(workDir, ids)
  t.teardown(async () => {
    launcher.destroy(ids.containerId)
    await rt.close()
    rmSync(workDir, { recursive: true, force: true })
  })
  const task = { name: ids.executorId, task_id: { value: ids.executorId }, agent_id: { value: 'A1' }, command, ...extra } as TaskInfo
  const agent = rt.spawn(fakeAgent, { name: 'agent', input: { task } })
  const executor = rt.spawn(commandExecutorMachine, {
    name: 'executor-1',
    input: { agentPid: agent.pid, agentId: 'A1', frameworkId: 'F1', executorId: ids.executorId, containerId: ids.containerId, sandbox, metaDir, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', MESOS_SANDBOX: sandbox, MESOS_FRAMEWORK_ID: 'F1' }, launcher, killGracePeriodMs: 5000, shutdownGracePeriodMs: 5000 },
  })
  const statuses = () => (agent.getSnapshot().context as FakeAgentContext).statuses
  const states = () => statuses().map(s => s.state)
  const terminal = () => statuses().find(s => ['TASK_FINISHED', 'TASK_FAILED', 'TASK_KILLED'].includes(s.state))
  const pgid = () => Number(readFileSync(forkedPidPath(metaDir), 'utf8'))
  const kill = (graceNs?: number) => rt.send(agent.pid, executor.pid, 'KillTask', { framework_id: { value: 'F1' }, task_id: task.task_id, ...(graceNs !== undefined ? { kill_policy: { grace_period: { nanoseconds: graceNs } } } : {}) })
  return { workDir, ids, sandbox, metaDir, executor, statuses, states, terminal, pgid, kill, rt }
}

const read = (dir: string, file: string) => readFileSync(join(dir, file), 'utf8')

function groupGone(pgid: number): boolean {
  const members = processGroupMembers(pgid)
  if (members !== undefined) return members.length === 0
  try {
    process.kill(-pgid, 0)
    return false
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH'
  }
}

t.test('echo hello: stdout in the sandbox, STARTING, RUNNING, FINISHED, executor stops', async t => {
  const r = await launch(t, { value: 'echo hello' })
  await until('a terminal status', () => r.terminal() !== undefined)
  t.same(r.states(), ['TASK_STARTING', 'TASK_RUNNING', 'TASK_FINISHED'])
  t.equal(r.terminal()!.message, 'Command exited with status 0')
  t.equal(read(r.sandbox, 'stdout'), 'hello\n')
  t.match(read(r.sandbox, 'stderr'), /starting task t\d+\nRunning \/bin\/sh -c "echo hello"\n[^]*Command exited with status 0 \(pid: \d+\)/)
  t.equal(read(r.metaDir, 'exit.status').trim(), '0', 'the wrapper recorded the exit status for recovery')
  t.equal(readlinkSync(executorLatestRunPath(r.workDir, r.ids)), r.sandbox, 'latest points at the run')
  await until('the executor stops after its terminal update is acknowledged', () => !r.executor.alive)
  t.pass('stopped')
})

t.test('exit 3: TASK_FAILED with the status in the message', async t => {
  const r = await launch(t, { value: 'echo oops >&2; exit 3' })
  await until('a terminal status', () => r.terminal() !== undefined)
  t.match(r.terminal(), { state: 'TASK_FAILED', message: 'Command exited with status 3' })
  t.match(read(r.sandbox, 'stderr'), /oops/)
  t.equal(read(r.metaDir, 'exit.status').trim(), '3')
})

t.test('the environment: Mesos variables and the task own', async t => {
  const r = await launch(t, { value: 'echo "$MESOS_TASK_ID|$MESOS_SANDBOX|$MESOS_FRAMEWORK_ID|$FOO|$(pwd)"', environment: { variables: [{ name: 'FOO', value: 'bar' }] } })
  await until('a terminal status', () => r.terminal() !== undefined)
  t.equal(read(r.sandbox, 'stdout'), `${r.ids.executorId}|${r.sandbox}|F1|bar|${r.sandbox}\n`)
})

t.test('shell: false runs argv; a missing executable fails the task', async t => {
  const r = await launch(t, { shell: false, value: '/bin/echo', arguments: ['echo', 'a  b', '$HOME'] })
  await until('a terminal status', () => r.terminal() !== undefined)
  t.equal(read(r.sandbox, 'stdout'), 'a  b $HOME\n', 'no shell expansion')
  const m = await launch(t, { shell: false, value: 'no-such-binary-mesos-ts', arguments: ['x'] })
  await until('a terminal status', () => m.terminal() !== undefined)
  t.match(m.terminal(), { state: 'TASK_FAILED', reason: 'REASON_COMMAND_EXECUTOR_FAILED', message: /Failed to launch the command: .*no-such-binary-mesos-ts.*not found/ })
})

t.test('kill: SIGTERM ends sleep 60, TASK_KILLED, the process group is gone', async t => {
  const r = await launch(t, { value: 'sleep 60' })
  await until('running', () => r.states().includes('TASK_RUNNING'))
  const pgid = r.pgid()
  t.notOk(groupGone(pgid), 'the group is alive')
  r.kill()
  await until('a terminal status', () => r.terminal() !== undefined)
  t.match(r.terminal(), { state: 'TASK_KILLED', message: 'Command terminated with signal Terminated' })
  await until('the process group is gone', () => groupGone(pgid))
  t.pass('gone')
})

t.test('a task that traps SIGTERM gets SIGKILL after the grace period', async t => {
  const r = await launch(t, { value: "trap '' TERM; echo ready; while :; do sleep 0.05; done" }, { kill_policy: { grace_period: { nanoseconds: 300e6 } } })
  await until('the trap is set', () => read(r.sandbox, 'stdout').includes('ready'))
  const pgid = r.pgid()
  r.kill()
  await until('a terminal status', () => r.terminal() !== undefined)
  t.match(r.terminal(), { state: 'TASK_KILLED', message: 'Command terminated with signal Killed' })
  t.match(read(r.sandbox, 'stderr'), /terminated with signal Killed/)
  await until('the process group is gone', () => groupGone(pgid))
  t.pass('gone')
})

t.test('a task that kills its own process group does not hit the agent', async t => {
  const r = await launch(t, { value: 'kill 0; sleep 5' })
  await until('a terminal status', () => r.terminal() !== undefined)
  t.match(r.terminal(), { state: 'TASK_FAILED', message: 'Command terminated with signal Terminated' })
  t.pass('this process is still here')
})

t.test('forked.pid names the wrapper, leader of its own session and group', async t => {
  const r = await launch(t, { value: 'sleep 60' })
  await until('running', () => r.states().includes('TASK_RUNNING'))
  const pid = r.pgid()
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  t.equal(Number(fields[2]), pid, 'pgid == pid')
  t.equal(Number(fields[3]), pid, 'sid == pid')
  t.not(Number(fields[2]), process.pid)
  r.kill(0)
  await until('a terminal status', () => r.terminal() !== undefined)
  t.equal(r.terminal()!.state, 'TASK_KILLED')
  t.ok(exitStatusPath(r.metaDir))
})
