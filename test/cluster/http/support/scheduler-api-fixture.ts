// An embedded cluster (master + agents on the in-process bus) with the v1 scheduler API plugin
// on a real Fastify server on 127.0.0.1:0, and a v1 HTTP scheduler client written from scratch
// (Node's fetch and a RecordIO parser, no SDK), as a framework author in another language would.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import Fastify, { type FastifyInstance } from 'fastify'
import type { Test } from 'tap'
import { createLogger, type Logger } from '../../../../runtime/index.js'
import { LocalCluster, type LocalClusterOptions } from '../../../../cluster/local-cluster.js'
import type { MasterHttpDeps } from '../../../../cluster/http/master-http-deps.js'
import { schedulerApiPlugin, type SchedulerApiOptions } from '../../../../cluster/http/scheduler-api.js'

export interface SchedulerApiWorld {
  cluster: LocalCluster
  app: FastifyInstance
  deps: MasterHttpDeps
  /** `http://127.0.0.1:<port>/api/v1/scheduler` */
  url: string
  /** `127.0.0.1:<port>` */
  address: string
  /** Every JSON log line of the master process so far. */
  logs: Array<Record<string, unknown>>
  metric(key: string): number
}

export interface WorldOptions {
  numAgents?: number
  executor?: 'emulated' | 'command'
  masterOptions?: LocalClusterOptions['masterOptions']
  api?: SchedulerApiOptions
  /** Makes the master non-leading: core() is undefined and leader() says where the leader is. */
  leader?: { hostname: string; port: number } | null
}

/** Collects pino's JSON lines. */
export function memoryLogger(lines: Array<Record<string, unknown>>): Logger {
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line.trim()) lines.push(JSON.parse(line))
      done()
    },
  })
  return createLogger({ level: 'info', destination })
}

export async function schedulerApiWorld(t: Test, options: WorldOptions = {}): Promise<SchedulerApiWorld> {
  const workDir = mkdtempSync(join(tmpdir(), 'mesos-ts-scheduler-api-'))
  const logs: Array<Record<string, unknown>> = []
  const logger = memoryLogger(logs)
  const cluster = await LocalCluster.start({
    numAgents: options.numAgents ?? 1,
    workDir,
    executor: options.executor ?? 'emulated',
    resources: 'cpus:4;mem:4096;disk:4096;ports:[31000-31010]',
    logger,
    masterOptions: { allocationIntervalMs: 50, ...options.masterOptions },
    // Executors still running at the end are killed quickly (teardown time, not behaviour).
    agentFlags: { executorShutdownGracePeriodMs: 500 },
  })
  await cluster.waitForAgents()
  const deps: MasterHttpDeps = {
    runtime: cluster.masterRuntime,
    masterPid: cluster.masterPid,
    core: () => (options.leader === undefined ? cluster.masterCore : undefined),
    leader: () => options.leader ?? undefined,
    flags: {},
    log: logger,
    startedAt: Date.now(),
    version: 'test',
  }
  const app = Fastify()
  await app.register(schedulerApiPlugin(deps, options.api))
  await app.listen({ host: '127.0.0.1', port: 0 })
  const port = (app.server.address() as { port: number }).port
  t.teardown(async () => {
    await app.close()
    await cluster.stop()
    rmSync(workDir, { recursive: true, force: true })
  })
  return {
    cluster,
    app,
    deps,
    url: `http://127.0.0.1:${port}/api/v1/scheduler`,
    address: `127.0.0.1:${port}`,
    logs,
    metric: key => cluster.masterRuntime.metrics.snapshot()[key] ?? 0,
  }
}

/** Polls `condition` every 10 ms until it holds or `ms` pass. */
export async function eventually(condition: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await new Promise(r => setTimeout(r, 10))
  }
}

// ---- the from-scratch v1 client ------------------------------------------------------------

/** Mesos RecordIO (docs/recordio.md): `<decimal length>\n<that many bytes>`, repeated. */
export class RecordIo {
  private pending = Buffer.alloc(0)
  feed(chunk: Uint8Array): unknown[] {
    this.pending = Buffer.concat([this.pending, chunk])
    const out: unknown[] = []
    for (;;) {
      const nl = this.pending.indexOf('\n')
      if (nl < 0) return out
      const size = Number(this.pending.subarray(0, nl).toString())
      if (this.pending.length < nl + 1 + size) return out
      out.push(JSON.parse(this.pending.subarray(nl + 1, nl + 1 + size).toString()))
      this.pending = this.pending.subarray(nl + 1 + size)
    }
  }
}

export type V1Event = { type: string; [field: string]: any }

/** One SUBSCRIBE stream: its events as they arrive, and the calls made with its stream id. */
export class V1Scheduler {
  readonly events: V1Event[] = []
  streamId = ''
  status = 0
  frameworkId: string | undefined
  ended = false
  private readonly controller = new AbortController()
  private readonly waiters: Array<() => void> = []

  constructor(readonly url: string) {}

  /** POSTs SUBSCRIBE and starts reading the stream in the background. */
  async subscribe(subscribe: unknown, extra: Record<string, unknown> = {}): Promise<Response> {
    const response = await fetch(this.url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ type: 'SUBSCRIBE', subscribe, ...extra }),
      signal: this.controller.signal,
    })
    this.status = response.status
    this.streamId = response.headers.get('mesos-stream-id') ?? ''
    if (response.status === 200) void this.read(response)
    return response
  }

  private async read(response: Response): Promise<void> {
    const records = new RecordIo()
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        for (const event of records.feed(chunk) as V1Event[]) {
          if (event.type === 'SUBSCRIBED') this.frameworkId = event.subscribed.framework_id.value
          this.events.push(event)
          this.wake()
        }
      }
    } catch {
      // aborted by close()
    }
    this.ended = true
    this.wake()
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w()
  }

  /** Resolves with the first event (after `from` events) matching, failing after `ms`. */
  async next(predicate: (e: V1Event) => boolean, ms = 10_000, from = 0): Promise<V1Event> {
    const deadline = Date.now() + ms
    for (;;) {
      const found = this.events.slice(from).find(predicate)
      if (found) return found
      if (this.ended) throw new Error(`stream ended without the event; got ${this.events.map(e => e.type).join(',')}`)
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`timed out; got ${this.events.map(e => e.type).join(',')}`)
      await new Promise<void>(resolve => {
        const timer = setTimeout(resolve, left)
        this.waiters.push(() => {
          clearTimeout(timer)
          resolve()
        })
      })
    }
  }

  of(type: string): V1Event[] {
    return this.events.filter(e => e.type === type)
  }

  /** A non-SUBSCRIBE call with this stream's id: the response status and body text. */
  async call(body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
    const response = await fetch(this.url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Mesos-Stream-Id': this.streamId, ...headers },
      body: JSON.stringify({ framework_id: { value: this.frameworkId }, ...body }),
    })
    return { status: response.status, text: await response.text() }
  }

  /** Closes the subscription connection, as a scheduler that exits does. */
  close(): void {
    this.controller.abort()
  }
}
