// An embedded cluster (master + emulated agents on the in-process bus), the master's HTTP
// server built on it (requests through Fastify's inject, or a real socket on 127.0.0.1:0 for
// streams), and a small framework on the same bus that launches long-running emulated tasks.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import type { Test } from 'tap'
import { LocalTransport, Runtime } from '../../../../runtime/index.js'
import { ProtocolMessages, type Offer, type TaskInfo, type TaskStatus, type FrameworkInfo } from '../../../../actors/protocol/index.js'
import { fromJson, parseResources, toJson } from '../../../../actors/resources/index.js'
import { startScheduler, type SchedulerDriver } from '../../../../actors/scheduler/index.js'
import { EMULATED_DURATION_LABEL } from '../../../../actors/executor/index.js'
import { LocalCluster, type LocalClusterOptions } from '../../../../cluster/local-cluster.js'
import type { MasterHttpDeps } from '../../../../cluster/http/master-http-deps.js'
import { buildMasterServer, type MasterServerOptions } from '../../../../cluster/http/master-server.js'
import { memoryLogger } from './scheduler-api-fixture.js'

export interface MasterWorld {
  cluster: LocalCluster
  app: FastifyInstance
  deps: MasterHttpDeps
  logs: Array<Record<string, unknown>>
  /** Starts a framework that launches `count` tasks (running ~forever) and resolves when all run. */
  launch(name: string, count: number, framework?: Partial<FrameworkInfo>, taskResources?: unknown[], labelBytes?: number): Promise<LaunchedFramework>
  /** Listens on 127.0.0.1:0 and returns the base URL (streams need a real socket). */
  listen(): Promise<string>
}

export interface LaunchedFramework {
  driver: SchedulerDriver
  frameworkId: string
  updates: TaskStatus[]
}

export interface MasterWorldOptions {
  numAgents?: number
  resources?: string
  server?: MasterServerOptions
  masterOptions?: LocalClusterOptions['masterOptions']
  /** Makes the master non-leading: core() is undefined and leader() says where the leader is. */
  leader?: { hostname: string; port: number } | null
}

export async function masterWorld(t: Test, options: MasterWorldOptions = {}): Promise<MasterWorld> {
  const workDir = mkdtempSync(join(tmpdir(), 'mesos-ts-master-http-'))
  const logs: Array<Record<string, unknown>> = []
  const logger = memoryLogger(logs)
  const cluster = await LocalCluster.start({
    numAgents: options.numAgents ?? 2,
    workDir,
    executor: 'emulated',
    resources: options.resources ?? 'cpus:4;mem:4096;disk:4096;ports:[31000-32000]',
    attributes: 'rack:r1;zone:z1',
    logger,
    masterOptions: { allocationIntervalMs: 50, ...options.masterOptions },
  })
  await cluster.waitForAgents()
  const base = cluster.httpDeps({ flags: { port: '5050', cluster: 'test' }, version: '0.1.0-test', log: logger })
  const deps: MasterHttpDeps = options.leader === undefined ? base : { ...base, core: () => undefined, leader: () => options.leader ?? undefined }
  const app = await buildMasterServer(deps, { withoutSchedulerApi: true, ...options.server })
  const rt = new Runtime({ transport: new LocalTransport(cluster.bus!), node: 'frameworks' })
  rt.registerMessages(ProtocolMessages)
  t.teardown(async () => {
    await app.close()
    await rt.close()
    await cluster.stop()
    rmSync(workDir, { recursive: true, force: true })
  })
  const task = parseResources('cpus:0.1;mem:32')
  const taskJson = toJson(task)
  return {
    cluster,
    app,
    deps,
    logs,
    async listen() {
      await app.listen({ host: '127.0.0.1', port: 0 })
      return `http://127.0.0.1:${(app.server.address() as { port: number }).port}`
    },
    launch(name, count, framework = {}, taskResources, labelBytes = 0) {
      const padding = labelBytes > 0 ? [{ key: 'padding', value: 'x'.repeat(labelBytes) }] : []
      const ownTask = taskResources ? fromJson(taskResources) : task
      const ownJson = taskResources ? toJson(ownTask) : taskJson
      return new Promise((resolve, reject) => {
        let launched = 0
        let running = 0
        let frameworkId = ''
        const updates: TaskStatus[] = []
        const timer = setTimeout(() => reject(new Error(`${name}: only ${running} of ${count} tasks running after 20 s`)), 20_000)
        const driver = startScheduler({
          runtime: rt,
          masterPid: cluster.masterPid,
          framework: { user: 'tester', name, failover_timeout: 0, ...framework },
          callbacks: {
            subscribed: (_d, id) => {
              frameworkId = id.value
            },
            offers: (d, offers: Offer[]) => {
              for (const offer of offers) {
                let available = fromJson(offer.resources ?? [])
                const need = ownTask.allocate(offer.allocation_info?.role ?? '*')
                const tasks: TaskInfo[] = []
                while (launched + tasks.length < count && available.contains(need)) {
                  available = available.subtract(need)
                  const id = `${name}-${launched + tasks.length}`
                  tasks.push({
                    name: id,
                    task_id: { value: id },
                    agent_id: offer.agent_id,
                    resources: ownJson,
                    command: { value: 'true' },
                    labels: { labels: [{ key: EMULATED_DURATION_LABEL, value: String(3_600_000) }, ...padding] },
                  })
                }
                launched += tasks.length
                if (tasks.length === 0) d.decline(offer, { refuse_seconds: 3600 })
                else d.launch(offer, tasks, { refuse_seconds: 3600 })
              }
            },
            update: (_d, status) => {
              updates.push(status)
              if (status.state === 'TASK_RUNNING' && ++running === count) {
                clearTimeout(timer)
                resolve({ driver, frameworkId, updates })
              }
            },
          },
        })
        if (count === 0) {
          const poll = setInterval(() => {
            if (frameworkId) {
              clearInterval(poll)
              clearTimeout(timer)
              resolve({ driver, frameworkId, updates })
            }
          }, 10)
        }
      })
    },
  }
}

/** Sends an operator call through inject. */
export async function operatorCall(app: FastifyInstance, call: unknown, headers: Record<string, string> = {}) {
  return app.inject({ method: 'POST', url: '/api/v1', headers: { 'content-type': 'application/json', ...headers }, payload: typeof call === 'string' ? call : JSON.stringify(call) })
}
