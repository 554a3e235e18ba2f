import t, { type Test } from 'tap'
import { mkdtempSync, readFileSync, rmSync, readlinkSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { LocalBus, LocalTransport, Runtime } from '../../runtime/index.js'
import { ProtocolMessages, type TaskStatus } from '../../actors/protocol/index.js'
import { runExecute } from '../../actors/frameworks/index.js'
import { LocalCluster } from '../../cluster/local-cluster.js'

async function startCluster(t: Test, numAgents = 2) {
  const workDir = mkdtempSync(join(tmpdir(), 'mesos-ts-local-'))
  const cluster = await LocalCluster.start({ numAgents, workDir, resources: 'cpus:2;mem:1024;disk:1024;ports:[31000-31010]', masterOptions: { allocationIntervalMs: 200 } })
  t.teardown(async () => {
    await cluster.stop()
    rmSync(workDir, { recursive: true, force: true })
  })
  await cluster.waitForAgents()
  // The framework lives in its own runtime on the same in-process bus, as a separate process would.
  const rt = new Runtime({ transport: new LocalTransport(cluster.bus!), node: 'client' })
  rt.registerMessages(ProtocolMessages)
  t.teardown(() => rt.close())
  return { cluster, rt, workDir }
}

t.test('a command runs in a real sandbox and its output lands in stdout', async t => {
  const { cluster, rt, workDir } = await startCluster(t)
  const updates: TaskStatus[] = []
  const result = await runExecute(
    { name: 'hello', command: 'echo hello; echo oops >&2', resources: 'cpus:0.1;mem:32', onEvent: e => e.type === 'update' && updates.push(e.status) },
    { runtime: rt, masterPid: cluster.masterPid },
  )
  t.equal(result.exitCode, 0)
  t.same(updates.map(u => u.state), ['TASK_STARTING', 'TASK_RUNNING', 'TASK_FINISHED'])
  const agentId = updates.at(-1)!.agent_id!.value
  const frameworkId = result.frameworkId!
  const agentIndex = [...cluster.masterCore.agents.values()].find(a => a.id === agentId)!.pid.match(/agent-(\d+)/)![1]
  const runs = join(workDir, 'agents', agentIndex!, 'slaves', agentId, 'frameworks', frameworkId, 'executors', 'hello', 'runs')
  t.ok(existsSync(join(runs, 'latest')), 'latest symlink')
  const sandbox = resolve(runs, readlinkSync(join(runs, 'latest')))
  t.equal(readFileSync(join(sandbox, 'stdout'), 'utf8'), 'hello\n')
  t.match(readFileSync(join(sandbox, 'stderr'), 'utf8'), /oops/)
})

t.test('a failing command gets TASK_FAILED and its exit code', async t => {
  const { cluster, rt } = await startCluster(t, 1)
  const result = await runExecute({ name: 'fail', command: 'exit 7', resources: 'cpus:0.1;mem:32' }, { runtime: rt, masterPid: cluster.masterPid })
  t.equal(result.exitCode, 7)
})
