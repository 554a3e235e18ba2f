// A real embedded cluster for the agents' HTTP tests: a master and command agents (real processes)
// on the in-process bus, the master's server on 127.0.0.1:0 serving agent N under `/slave(N)/` and
// the executor API at the root (as `mesos-ts local` does), and a framework on the same bus that
// launches the tasks a test hands it.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import type { Test } from 'tap'
import { LocalTransport, Runtime } from '../../../../runtime/index.js'
import { ProtocolMessages, type Offer, type TaskInfo, type TaskStatus } from '../../../../actors/protocol/index.js'
import { startScheduler, type SchedulerDriver } from '../../../../actors/scheduler/index.js'
import { LocalCluster, type LocalClusterOptions } from '../../../../cluster/local-cluster.js'
import { buildMasterServer } from '../../../../cluster/http/master-server.js'
import { memoryLogger } from './scheduler-api-fixture.js'

export interface AgentWorld {
  cluster: LocalCluster
  app: FastifyInstance
  /** `http://127.0.0.1:<port>` of the server. */
  url: string
  workDir: string
  logs: Array<Record<string, unknown>>
  /** The framework: launches each task given to `run` on the next offer. */
  framework: { driver: SchedulerDriver; frameworkId: () => string; updates: TaskStatus[]; messages: Array<{ executorId: string; data: string }> }
  /** Launches `task` (agent_id filled in) on agent `agent` (1-based, default 1). */
  run(task: Omit<TaskInfo, 'agent_id'>, agent?: number): void
  /** Resolves with the first update of `taskId` in `state` (rejects after 30 s). */
  waitFor(taskId: string, state: string | ((s: TaskStatus) => boolean)): Promise<TaskStatus>
  /** Polls `check` every 20 ms until it returns something truthy (rejects after 30 s). */
  until<T>(what: string, check: () => T | undefined | false): Promise<T>
}

export interface AgentWorldOptions {
  numAgents?: number
  agentFlags?: LocalClusterOptions['agentFlags']
}

export async function agentWorld(t: Test, options: AgentWorldOptions = {}): Promise<AgentWorld> {
  const workDir = mkdtempSync(join(tmpdir(), 'mesos-ts-agent-http-'))
  const logs: Array<Record<string, unknown>> = []
  const logger = memoryLogger(logs)
  const cluster = await LocalCluster.start({
    numAgents: options.numAgents ?? 1,
    workDir,
    executor: 'command',
    resources: 'cpus:4;mem:4096;disk:4096;ports:[31000-32000]',
    logger,
    masterOptions: { allocationIntervalMs: 50 },
    agentFlags: { executorShutdownGracePeriodMs: 2000, ...options.agentFlags },
  })
  const rt = new Runtime({ transport: new LocalTransport(cluster.bus!), node: 'frameworks' })
  rt.registerMessages(ProtocolMessages)
  let app: FastifyInstance | undefined
  t.teardown(async () => {
    await app?.close()
    await rt.close()
    await cluster.stop()
    rmSync(workDir, { recursive: true, force: true })
  })
  await cluster.waitForAgents()
  const settings = { flags: { work_dir: workDir }, version: '0.1.0-test', log: logger }
  app = await buildMasterServer(cluster.httpDeps(settings), { withoutSchedulerApi: true, plugins: cluster.agentPlugins(settings) })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const port = (app.server.address() as { port: number }).port
  cluster.setAgentEndpoint(`127.0.0.1:${port}`)

  const pending: Array<{ task: Omit<TaskInfo, 'agent_id'>; agent: number }> = []
  const updates: TaskStatus[] = []
  const messages: Array<{ executorId: string; data: string }> = []
  let frameworkId = ''
  const driver = startScheduler({
    runtime: rt,
    masterPid: cluster.masterPid,
    framework: { user: 'tester', name: 'agent-http', failover_timeout: 0 },
    callbacks: {
      subscribed: (_d, id) => {
        frameworkId = id.value
      },
      offers: (d, offers: Offer[]) => {
        for (const offer of offers) {
          const agentIndex = cluster.agentPids.findIndex((_p, i) => cluster.agentCore(i + 1)?.agentId === offer.agent_id.value) + 1
          const mine = pending.filter(p => p.agent === agentIndex)
          if (mine.length === 0) {
            d.decline(offer, { refuse_seconds: 0.05 })
            continue
          }
          for (const p of mine) pending.splice(pending.indexOf(p), 1)
          d.launch(offer, mine.map(p => ({ ...p.task, agent_id: offer.agent_id }) as TaskInfo), { refuse_seconds: 0.05 })
        }
      },
      update: (_d, status) => {
        updates.push(status)
      },
      message: (_d, _agent, executorId, data) => {
        messages.push({ executorId: executorId.value, data: Buffer.from(data).toString('utf8') })
      },
    },
  })
  t.teardown(() => driver.stop())

  const until = async <T>(what: string, check: () => T | undefined | false): Promise<T> => {
    const deadline = Date.now() + 30_000
    for (;;) {
      const v = check()
      if (v) return v
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
      await new Promise(r => setTimeout(r, 20))
    }
  }
  await until('the framework to subscribe', () => frameworkId !== '')

  return {
    cluster,
    app,
    url: `http://127.0.0.1:${port}`,
    workDir,
    logs,
    framework: { driver, frameworkId: () => frameworkId, updates, messages },
    run(task, agent = 1) {
      pending.push({ task, agent })
      driver.revive()
    },
    waitFor(taskId, state) {
      const match = typeof state === 'string' ? (s: TaskStatus) => s.state === state : state
      return until(`task ${taskId} ${typeof state === 'string' ? state : '(predicate)'}`, () => updates.find(u => u.task_id.value === taskId && match(u)))
    },
    until,
  }
}

export const TASK_RESOURCES = [
  { name: 'cpus', type: 'SCALAR' as const, scalar: { value: 0.1 } },
  { name: 'mem', type: 'SCALAR' as const, scalar: { value: 32 } },
]

/** A POST of JSON (or raw text) to the server. */
export async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) })
}
