// JSON renderers of the master's state: the classic endpoints (`/master/state`,
// `/master/state-summary`, `/master/frameworks`, `/master/slaves`, `/master/tasks`,
// `/master/roles`) in the field names of Mesos's `src/master/readonly_handler.cpp` and
// `src/common/http.cpp`, and the v1 operator API's GET_* responses (`master.proto`).
//
// Big documents are generators of JSON pieces: text, or UTF-8 bytes for the fragments cached per
// task and per agent (re-rendered only when what they show changes). A `PAUSE` marks a place
// where the writer may hand the event loop back to the master's actors; `writeJsonResponse` (and
// `jsonStream`, a Readable) copy pieces into 1 MB chunks and do so every few milliseconds of work.
// /master/state for 100,000 tasks (~40 MB) thus never holds the master for its whole
// serialization. The set of agents, frameworks and tasks is
// captured when the request starts; records are read as the writer reaches them, so a task that
// changes state mid-stream shows its newer state (Mesos serves a consistent snapshot; the
// trade-off here is responsiveness of the master for a document that is stale on arrival anyway).
import type { ServerResponse } from 'node:http'
import { Readable } from 'node:stream'
import type { AgentRecord, FrameworkRecord, MasterCore, OfferRecord, TaskRecord } from '../../actors/master/index.js'
import { TASK_STATES, isTerminalState, type Attribute, type TaskState, type TaskStatus } from '../../actors/protocol/index.js'
import { fromMilli, rangesUnion, toJson, type Range, type Resources } from '../../actors/resources/index.js'
import type { MasterHttpDeps } from './master-http-deps.js'

/** Yielded by document generators where the writer may pause. */
export const PAUSE = Symbol('pause')
/** JSON text, or JSON already encoded as UTF-8 (cached fragments are kept as bytes). */
export type JsonPiece = string | Uint8Array | typeof PAUSE
export type JsonDocument = Generator<JsonPiece, void, void>

/**
 * How long the writer works before yielding the event loop (ms). Measured with
 * `npm run bench -- http --quick`: 4 ms slices made /master/state 3x slower (each yield lets the
 * allocator's cycles and the socket's drain ping-pong in) for no gain in the master's p99.
 */
const WORK_SLICE_MS = 12
/** Tasks between two pause points (the writer checks its clock there). */
const TASKS_PER_PAUSE = 500
/** Bytes per chunk handed to the socket. */
const CHUNK_BYTES = 1 << 20
/** Spare chunk buffers kept for reuse by every response (8 MB at most, held for good). */
const POOL_CHUNKS = 8
const pool: Buffer[] = []

const str = JSON.stringify

/** The scalars every resource summary shows, in Mesos's order. */
const COMMON_SCALARS = ['cpus', 'gpus', 'mem', 'disk'] as const

/**
 * Copies pieces into fixed-size Buffers: cached fragments are memcpy'd and text is encoded once,
 * in place, instead of joining strings and converting each joined chunk to bytes.
 */
class ChunkWriter {
  private buf: Buffer
  private pos = 0

  /** `pool`: spare chunk buffers, reused before allocating (see writeJsonResponse). */
  constructor(
    private readonly out: Buffer[],
    private readonly pool: Buffer[] = [],
  ) {
    this.buf = this.pool.pop() ?? Buffer.allocUnsafe(CHUNK_BYTES)
  }

  write(piece: string | Uint8Array): void {
    if (typeof piece === 'string') {
      if (piece.length === 1 && piece.charCodeAt(0) < 0x80 && this.pos < this.buf.length) {
        this.buf[this.pos++] = piece.charCodeAt(0)
        return
      }
      // UTF-8 takes at most 3 bytes per UTF-16 unit; count exactly only near the end of a chunk.
      if (piece.length * 3 > this.buf.length - this.pos) {
        const bytes = Buffer.byteLength(piece)
        if (bytes > this.buf.length - this.pos) {
          this.flush()
          if (bytes > this.buf.length) {
            this.out.push(Buffer.from(piece))
            return
          }
        }
      }
      this.pos += this.buf.write(piece, this.pos)
      return
    }
    if (piece.length > this.buf.length - this.pos) {
      this.flush()
      if (piece.length > this.buf.length) {
        this.out.push(Buffer.from(piece))
        return
      }
    }
    this.buf.set(piece, this.pos)
    this.pos += piece.length
  }

  flush(): void {
    if (this.pos === 0) return
    this.out.push(this.buf.subarray(0, this.pos))
    this.buf = this.pool.pop() ?? Buffer.allocUnsafe(CHUNK_BYTES)
    this.pos = 0
  }
}

/**
 * A Readable over a document: bytes are pushed in CHUNK_BYTES chunks, and at PAUSE points the
 * writer yields to the event loop (setImmediate) once it has worked WORK_SLICE_MS, so actors keep
 * running. It stops while the socket is backed up (push returns false) and resumes on read().
 */
export function jsonStream(doc: JsonDocument): Readable {
  const ready: Buffer[] = []
  const writer = new ChunkWriter(ready)
  let running = false
  const stream = new Readable({
    // A deep buffer lets the writer run ahead of the socket instead of waking once per 16 KB.
    highWaterMark: 4 << 20,
    read() {
      if (!running) pump()
    },
    destroy(err, callback) {
      doc.return()
      callback(err)
    },
  })
  /** Hands complete chunks to the stream; false when it wants no more for now. */
  function drain(): boolean {
    let more = true
    for (const chunk of ready) more = stream.push(chunk)
    ready.length = 0
    return more
  }
  function pump(): void {
    running = true
    const sliceStart = performance.now()
    try {
      for (;;) {
        if (stream.destroyed) return
        const next = doc.next()
        if (next.done) {
          writer.flush()
          drain()
          stream.push(null)
          return
        }
        const piece = next.value
        if (piece === PAUSE) {
          if (performance.now() - sliceStart < WORK_SLICE_MS) continue
          setImmediate(pump)
          return
        }
        writer.write(piece)
        if (ready.length > 0 && !drain()) {
          running = false
          return
        }
      }
    } catch (err) {
      stream.destroy(err as Error)
    }
  }
  return stream
}

/**
 * Writes a document as the body of `res` (headers already set), pausing like jsonStream. Each
 * chunk buffer goes back to a small pool once the socket has taken it: allocating a fresh 1 MB
 * buffer per chunk (40 MB per /master/state at 100,000 tasks) made V8 collect garbage for the
 * external memory every request or two (measured: a 33 ms scavenge per ~50 MB in the quick bench).
 */
export function writeJsonResponse(res: ServerResponse, doc: JsonDocument): Promise<void> {
  const ready: Buffer[] = []
  const writer = new ChunkWriter(ready, pool)
  return new Promise<void>(resolve => {
    let finished = false
    const finish = (err?: Error): void => {
      if (finished) return
      finished = true
      res.off('close', onClose)
      doc.return()
      if (err) res.destroy(err)
      resolve()
    }
    const onClose = (): void => finish()
    res.on('close', onClose)
    /** Writes complete chunks; false when the socket wants a 'drain' first. */
    const flush = (): boolean => {
      let more = true
      for (const chunk of ready) {
        more = res.write(chunk, () => {
          // A chunk is the head of a CHUNK_BYTES buffer: that buffer is free again once written.
          if (pool.length < POOL_CHUNKS && chunk.byteOffset === 0 && chunk.buffer.byteLength === CHUNK_BYTES) pool.push(Buffer.from(chunk.buffer, 0, CHUNK_BYTES))
        })
      }
      ready.length = 0
      return more
    }
    const pump = (): void => {
      const sliceStart = performance.now()
      try {
        for (;;) {
          if (finished || res.destroyed) return finish()
          const next = doc.next()
          if (next.done) {
            writer.flush()
            flush()
            finished = true
            res.off('close', onClose)
            res.end(() => resolve())
            return
          }
          const piece = next.value
          if (piece === PAUSE) {
            if (performance.now() - sliceStart < WORK_SLICE_MS) continue
            setImmediate(pump)
            return
          }
          writer.write(piece)
          if (ready.length > 0 && !flush()) {
            res.once('drain', pump)
            return
          }
        }
      } catch (err) {
        finish(err as Error)
      }
    }
    pump()
  })
}

/** The whole document as one string (small documents, tests). */
export function renderJson(doc: JsonDocument): string {
  const decoder = new TextDecoder()
  let out = ''
  for (const piece of doc) if (piece !== PAUSE) out += typeof piece === 'string' ? piece : decoder.decode(piece)
  return out
}

// ---- values ---------------------------------------------------------------------------------

/** Seconds since the epoch, as Mesos's `Time::secs()`. */
const secs = (ms: number): number => ms / 1000

function rangesText(ranges: readonly Range[]): string {
  return `[${ranges.map(r => `${r.begin}-${r.end}`).join(', ')}]`
}

function setText(items: readonly string[]): string {
  return `{${items.join(', ')}}`
}

/**
 * Accumulates resources into Mesos's summary object form (`model(Resources)`): every scalar
 * summed by name over all reservations, cpus/gpus/mem/disk always present, ranges as
 * `"[31000-32000]"`, sets as `"{a, b}"`.
 */
export class ResourceSummary {
  // The four scalars every summary shows are fields: /master/state sums every task's resources
  // per framework on each request, and Map updates were its largest cost after the copying.
  private cpus = 0
  private gpus = 0
  private mem = 0
  private disk = 0
  private others: Map<string, number> | undefined
  private ranges: Map<string, Range[]> | undefined
  private sets: Map<string, Set<string>> | undefined

  private addMilli(name: string, milli: number): void {
    switch (name) {
      case 'cpus':
        this.cpus += milli
        break
      case 'gpus':
        this.gpus += milli
        break
      case 'mem':
        this.mem += milli
        break
      case 'disk':
        this.disk += milli
        break
      default:
        this.others ??= new Map()
        this.others.set(name, (this.others.get(name) ?? 0) + milli)
    }
  }

  add(resources: Resources): this {
    for (const r of resources.items) {
      if (r.type === 'SCALAR') this.addMilli(r.name, r.milli)
      else if (r.type === 'RANGES') {
        this.ranges ??= new Map()
        this.ranges.set(r.name, rangesUnion(this.ranges.get(r.name) ?? [], r.ranges) as Range[])
      } else {
        this.sets ??= new Map()
        let s = this.sets.get(r.name)
        if (!s) this.sets.set(r.name, (s = new Set()))
        for (const item of r.set) s.add(item)
      }
    }
    return this
  }

  /** Adds cpus, gpus, mem and disk given in milli-units (see COMMON_SCALARS). */
  addCommon(milli: readonly [number, number, number, number]): void {
    this.cpus += milli[0]
    this.gpus += milli[1]
    this.mem += milli[2]
    this.disk += milli[3]
  }

  /** Adds a scalar given in natural units (a summary's own output). */
  addScalar(name: string, value: number): void {
    this.addMilli(name, Math.round(value * 1000))
  }

  toObject(): Record<string, number | string> {
    const out: Record<string, number | string> = { cpus: fromMilli(this.cpus), gpus: fromMilli(this.gpus), mem: fromMilli(this.mem), disk: fromMilli(this.disk) }
    if (this.others) for (const [name, milli] of this.others) out[name] = fromMilli(milli)
    if (this.ranges) for (const [name, ranges] of this.ranges) out[name] = rangesText(ranges)
    if (this.sets) for (const [name, items] of this.sets) out[name] = setText([...items].sort())
    return out
  }
}

const modelCache = new WeakMap<Resources, string>()

/** `model(Resources)` as JSON text; cached per (immutable) Resources object. */
export function resourcesModel(resources: Resources): string {
  let json = modelCache.get(resources)
  if (json === undefined) {
    json = str(new ResourceSummary().add(resources).toObject())
    modelCache.set(resources, json)
  }
  return json
}

/** Mesos `model(Attributes)`: `{ "rack": "r1", "cores": 8, "ports": "[1-2]" }`. */
export function attributesModel(attributes: readonly Attribute[] | undefined): Record<string, string | number> {
  const out: Record<string, string | number> = {}
  for (const a of attributes ?? []) {
    if (a.type === 'SCALAR') out[a.name] = a.scalar?.value ?? 0
    else if (a.type === 'RANGES') out[a.name] = rangesText(a.ranges?.range ?? [])
    else if (a.type === 'SET') out[a.name] = setText(a.set?.item ?? [])
    else out[a.name] = a.text?.value ?? ''
  }
  return out
}

function offeredOf(core: MasterCore, offerIds: Iterable<string>): ResourceSummary {
  const sum = new ResourceSummary()
  for (const id of offerIds) {
    const offer = core.offers.get(id)
    if (offer) sum.add(offer.resources)
  }
  return sum
}

// ---- tasks, offers, agents, frameworks (classic JSON) ----------------------------------------

export function statusJson(s: TaskStatus): Record<string, unknown> {
  const out: Record<string, unknown> = { state: s.state, timestamp: s.timestamp ?? 0 }
  if (s.labels) out.labels = s.labels
  if (s.container_status) out.container_status = s.container_status
  if (s.healthy !== undefined) out.healthy = s.healthy
  return out
}

/**
 * Each task's JSON as UTF-8, kept until its status changes: a task's record is mutated in place
 * and its status replaced by a new object on every update, so the status object's identity says
 * whether the bytes are still right. Repeated /master/state requests then mostly copy bytes.
 */
interface TaskFragment {
  status: TaskStatus
  state: TaskState
  json: Buffer
  /**
   * The task's cpus, gpus, mem and disk in milli-units, when it has no other resources: summing
   * these per framework on every request costs far less than walking its Resources each time.
   */
  scalars: readonly [number, number, number, number] | undefined
}
const taskCache = new WeakMap<TaskRecord, TaskFragment>()

function taskFragment(task: TaskRecord): TaskFragment {
  const cached = taskCache.get(task)
  if (cached && cached.status === task.status && cached.state === task.state) return cached
  const fragment = { status: task.status, state: task.state, json: Buffer.from(renderTask(task)), scalars: cached?.scalars ?? commonScalars(task.resources) }
  taskCache.set(task, fragment)
  return fragment
}

function commonScalars(resources: Resources): readonly [number, number, number, number] | undefined {
  const out: [number, number, number, number] = [0, 0, 0, 0]
  for (const r of resources.items) {
    const i = r.type === 'SCALAR' ? COMMON_SCALARS.indexOf(r.name as (typeof COMMON_SCALARS)[number]) : -1
    if (i < 0) return undefined
    out[i] += r.milli
  }
  return out
}

/** Mesos `json(JSON::ObjectWriter*, const Task&)`, as UTF-8. */
export function taskJson(task: TaskRecord): Buffer {
  return taskFragment(task).json
}

/**
 * The parts of a task's JSON that come from its TaskInfo and placement, which never change: a
 * status update re-renders only the state and the status.
 */
const taskStatic = new WeakMap<TaskRecord, { head: string; middle: string; extra: string }>()

function renderTask(task: TaskRecord): string {
  let parts = taskStatic.get(task)
  if (!parts) {
    const info = task.info
    let extra = ''
    if (info.labels) extra += `,"labels":${str(info.labels)}`
    if (info.container) extra += `,"container":${str(info.container)}`
    if (info.health_check) extra += `,"health_check":${str(info.health_check)}`
    if ((info as { discovery?: unknown }).discovery) extra += `,"discovery":${str((info as { discovery?: unknown }).discovery)}`
    parts = {
      head:
        `{"id":${str(info.task_id.value)},"name":${str(info.name)},"framework_id":${str(task.frameworkId)},` +
        `"executor_id":${str(info.executor?.executor_id.value ?? '')},"slave_id":${str(task.agentId)},"state":"`,
      middle: `","resources":${resourcesModel(task.resources)},"role":${str(task.role)},"statuses":[`,
      extra,
    }
    taskStatic.set(task, parts)
  }
  return `${parts.head}${task.state}${parts.middle}${str(statusJson(task.status))}]${parts.extra}}`
}

/** Mesos `json(JSON::ObjectWriter*, const Offer&)`. */
export function offerJson(offer: OfferRecord): string {
  return `{"id":${str(offer.id)},"framework_id":${str(offer.frameworkId)},"allocation_info":{"role":${str(offer.role)}},"slave_id":${str(offer.agentId)},"resources":${resourcesModel(offer.resources)}}`
}

/**
 * An agent's /master/state JSON as UTF-8, kept while nothing it shows changes (its Resources and
 * AgentInfo objects are immutable and replaced on change; offers are rare in a busy cluster and
 * bypass the cache).
 */
interface AgentCacheEntry {
  total: Resources
  used: Resources
  info: AgentRecord['info']
  pid: string
  version: string
  connected: boolean
  reregisteredAt: number | undefined
  json: Buffer
}
const agentCache = new WeakMap<AgentRecord, AgentCacheEntry>()

export function agentJson(core: MasterCore, agent: AgentRecord): string | Buffer {
  if (agent.offers.size > 0) return str(agentFields(core, agent))
  const c = agentCache.get(agent)
  if (
    c &&
    c.total === agent.total &&
    c.used === agent.used &&
    c.info === agent.info &&
    c.pid === agent.pid &&
    c.version === agent.version &&
    c.connected === agent.connected &&
    c.reregisteredAt === agent.reregisteredAt
  ) {
    return c.json
  }
  const json = Buffer.from(str(agentFields(core, agent)))
  agentCache.set(agent, { total: agent.total, used: agent.used, info: agent.info, pid: agent.pid, version: agent.version, connected: agent.connected, reregisteredAt: agent.reregisteredAt, json })
  return json
}

/** Mesos `SlaveWriter`: the agent as /master/state and /master/slaves show it. */
export function agentFields(core: MasterCore, agent: AgentRecord): Record<string, unknown> {
  const reserved: Record<string, unknown> = {}
  for (const [role, resources] of agent.total.reservations()) reserved[role] = new ResourceSummary().add(resources).toObject()
  const out: Record<string, unknown> = {
    id: agent.id,
    hostname: agent.info.hostname,
    port: agent.info.port ?? 5051,
    attributes: attributesModel(agent.info.attributes),
    pid: agent.pid,
    registered_time: secs(agent.registeredAt),
  }
  if (agent.reregisteredAt !== undefined) out.reregistered_time = secs(agent.reregisteredAt)
  Object.assign(out, {
    resources: new ResourceSummary().add(agent.total).toObject(),
    used_resources: new ResourceSummary().add(agent.used).toObject(),
    offered_resources: offeredOf(core, agent.offers).toObject(),
    reserved_resources: reserved,
    unreserved_resources: new ResourceSummary().add(agent.total.unreserved()).toObject(),
    active: agent.connected,
    deactivated: false,
    version: agent.version,
    capabilities: [],
  })
  if (agent.info.domain) out.domain = agent.info.domain
  return out
}

/** `SlavesWriter::writeSlave`: adds the full v1 resources (/master/slaves only). */
function agentFullFields(core: MasterCore, agent: AgentRecord): Record<string, unknown> {
  const out = agentFields(core, agent)
  const reservedFull: Record<string, unknown> = {}
  for (const [role, resources] of agent.total.reservations()) reservedFull[role] = toJson(resources)
  let offered: Resources | undefined
  for (const id of agent.offers) {
    const o = core.offers.get(id)
    if (o) offered = offered ? offered.add(o.resources) : o.resources
  }
  out.reserved_resources_full = reservedFull
  out.unreserved_resources_full = toJson(agent.total.unreserved())
  out.used_resources_full = toJson(agent.used)
  out.offered_resources_full = offered ? toJson(offered) : []
  return out
}

/** Mesos `json(writer, Summary<Framework>)`, without the resources (callers add them). */
export function frameworkSummaryFields(f: FrameworkRecord): Record<string, unknown> {
  const out: Record<string, unknown> = { id: f.id, name: f.info.name }
  if (f.pid) out.pid = f.pid
  Object.assign(out, {
    capabilities: (f.info.capabilities ?? []).map(c => c.type),
    hostname: f.info.hostname ?? '',
    webui_url: f.info.webui_url ?? '',
    active: f.active,
    connected: f.connected,
    recovered: false,
  })
  return out
}

interface FrameworkSnapshot {
  readonly framework: FrameworkRecord
  readonly tasks: TaskRecord[]
  readonly completed: TaskRecord[]
}

function snapshotFrameworks(frameworks: Iterable<FrameworkRecord>): FrameworkSnapshot[] {
  return [...frameworks].map(framework => ({ framework, tasks: [...framework.tasks.values()], completed: framework.completedTasks.toArray() }))
}

/**
 * Mesos `FullFrameworkWriter`. Tasks come first and the resource sums last (JSON field order
 * carries no meaning), so used resources are summed while the tasks stream.
 */
function* fullFramework(core: MasterCore, snap: FrameworkSnapshot): JsonDocument {
  const f = snap.framework
  const info = f.info
  const head: Record<string, unknown> = {
    ...frameworkSummaryFields(f),
    user: info.user,
    failover_timeout: info.failover_timeout ?? 0,
    checkpoint: info.checkpoint ?? false,
    registered_time: secs(f.registeredAt),
    unregistered_time: f.unregisteredAt === undefined ? 0 : secs(f.unregisteredAt),
  }
  if (info.principal !== undefined) head.principal = info.principal
  if (f.reregisteredAt !== undefined) head.reregistered_time = secs(f.reregisteredAt)
  if (f.roles.length > 0 && (info.capabilities ?? []).some(c => c.type === 'MULTI_ROLE')) head.roles = f.roles
  else head.role = info.role ?? '*'
  if (info.labels) head.labels = info.labels
  head.offer_constraints = {}
  const headText = str(head)
  yield headText.slice(0, -1)
  const used = new ResourceSummary()
  const executors = new Map<string, { agentId: string; json: string }>()
  yield ',"tasks":['
  let n = 0
  for (const task of snap.tasks) {
    if (n > 0) yield ','
    const fragment = taskFragment(task)
    yield fragment.json
    if (!isTerminalState(task.state)) {
      if (fragment.scalars) used.addCommon(fragment.scalars)
      else used.add(task.resources)
    }
    if (task.executor) {
      const key = `${task.agentId}/${task.executor.executor_id.value}`
      if (!executors.has(key)) executors.set(key, { agentId: task.agentId, json: str({ ...executorFields(task, f.id), slave_id: task.agentId }) })
    }
    if (++n % TASKS_PER_PAUSE === 0) yield PAUSE
  }
  yield '],"unreachable_tasks":[],"completed_tasks":['
  n = 0
  for (const task of snap.completed) {
    if (n > 0) yield ','
    yield taskJson(task)
    if (++n % TASKS_PER_PAUSE === 0) yield PAUSE
  }
  yield '],"offers":['
  const offered = new ResourceSummary()
  n = 0
  for (const id of f.offers) {
    const offer = core.offers.get(id)
    if (!offer) continue
    if (n++ > 0) yield ','
    yield offerJson(offer)
    offered.add(offer.resources)
  }
  yield `],"executors":[${[...executors.values()].map(e => e.json).join(',')}]`
  const usedObj = used.toObject()
  const offeredObj = offered.toObject()
  const total = new ResourceSummary()
  for (const [k, v] of Object.entries(usedObj)) if (typeof v === 'number') total.addScalar(k, v)
  for (const [k, v] of Object.entries(offeredObj)) if (typeof v === 'number') total.addScalar(k, v)
  yield `,"used_resources":${str(usedObj)},"offered_resources":${str(offeredObj)},"resources":${str(total.toObject())}}`
}

/** Mesos `json(writer, ExecutorInfo)`. */
export function executorFields(task: TaskRecord, frameworkId: string): Record<string, unknown> {
  const e = task.executor!
  const out: Record<string, unknown> = {
    executor_id: e.executor_id.value,
    name: e.name ?? '',
    framework_id: frameworkId,
    command: e.command ?? {},
    resources: new ResourceSummary().toObject(),
  }
  if (e.labels) out.labels = e.labels
  if (e.type) out.type = e.type
  return out
}

// ---- documents ------------------------------------------------------------------------------

export interface MasterIdentity {
  version: string
  hostname: string
  port: number
  id: string
  pid: string
  startTime: number
  electedTime: number
  flags: Record<string, string>
  cluster?: string
  logDir?: string
}

export function masterIdentity(deps: MasterHttpDeps, core: MasterCore): MasterIdentity {
  const info = core.masterInfo()
  return {
    version: deps.version,
    hostname: info.hostname,
    port: info.port,
    id: info.id,
    pid: deps.masterPid,
    startTime: core.startedAt,
    electedTime: core.startedAt,
    flags: deps.flags,
    cluster: deps.flags.cluster,
    logDir: deps.flags.log_dir,
  }
}

export function leaderInfo(id: MasterIdentity): Record<string, unknown> {
  return { id: id.id, pid: id.pid, port: id.port, hostname: id.hostname }
}

/** `/master/state` (Mesos `ReadOnlyHandler::state`). */
export function* stateDocument(core: MasterCore, id: MasterIdentity): JsonDocument {
  const agents = [...core.agents.values()]
  const frameworks = snapshotFrameworks(core.frameworks.values())
  const completed = snapshotFrameworks(core.completedFrameworks.toArray())
  let active = 0
  for (const a of agents) if (a.connected) active++
  const head: Record<string, unknown> = {
    version: id.version,
    start_time: secs(id.startTime),
    elected_time: secs(id.electedTime),
    id: id.id,
    pid: id.pid,
    hostname: id.hostname,
    capabilities: [],
    activated_slaves: active,
    deactivated_slaves: agents.length - active,
    unreachable_slaves: core.removedAgents.size,
    leader: id.pid,
    leader_info: leaderInfo(id),
  }
  if (id.cluster) head.cluster = id.cluster
  if (id.logDir) head.log_dir = id.logDir
  head.flags = id.flags
  yield str(head).slice(0, -1)
  yield ',"slaves":['
  let n = 0
  for (const agent of agents) {
    if (n > 0) yield ','
    yield agentJson(core, agent)
    if (++n % 200 === 0) yield PAUSE
  }
  yield '],"recovered_slaves":[],"frameworks":['
  yield* frameworkList(core, frameworks)
  yield '],"completed_frameworks":['
  yield* frameworkList(core, completed)
  yield '],"orphan_tasks":[],"unregistered_frameworks":[]}'
}

/** `/master/frameworks` (optionally one `framework_id`). */
export function* frameworksDocument(core: MasterCore, frameworkId?: string): JsonDocument {
  const pick = (fs: Iterable<FrameworkRecord>): FrameworkSnapshot[] => snapshotFrameworks([...fs].filter(f => frameworkId === undefined || f.id === frameworkId))
  const active = pick(core.frameworks.values())
  const completed = pick(core.completedFrameworks.toArray())
  yield '{"frameworks":['
  yield* frameworkList(core, active)
  yield '],"completed_frameworks":['
  yield* frameworkList(core, completed)
  yield '],"unregistered_frameworks":[]}'
}

/** Comma-separated full framework objects, yielding to the event loop after each. */
function* frameworkList(core: MasterCore, frameworks: Iterable<FrameworkSnapshot>): JsonDocument {
  let n = 0
  for (const f of frameworks) {
    if (n++ > 0) yield ','
    yield* fullFramework(core, f)
    yield PAUSE
  }
}

/** `/master/slaves` (optionally one `slave_id`). */
export function* agentsDocument(core: MasterCore, agentId?: string): JsonDocument {
  const agents = [...core.agents.values()].filter(a => agentId === undefined || a.id === agentId)
  yield '{"slaves":['
  let n = 0
  for (const agent of agents) {
    if (n > 0) yield ','
    yield str(agentFullFields(core, agent))
    if (++n % 200 === 0) yield PAUSE
  }
  yield '],"recovered_slaves":[]}'
}

type StateCounts = Record<TaskState, number>
const SUMMARY_STATES = ['TASK_STAGING', 'TASK_STARTING', 'TASK_RUNNING', 'TASK_KILLING', 'TASK_FINISHED', 'TASK_KILLED', 'TASK_FAILED', 'TASK_LOST', 'TASK_ERROR', 'TASK_UNREACHABLE'] as const

function emptyCounts(): StateCounts {
  return Object.fromEntries(TASK_STATES.map(s => [s, 0])) as StateCounts
}

function pickCounts(c: StateCounts | undefined): Record<string, number> {
  const out: Record<string, number> = {}
  for (const s of SUMMARY_STATES) out[s] = c?.[s] ?? 0
  return out
}

/** `/master/state-summary` (Mesos `ReadOnlyHandler::stateSummary`). */
export function* stateSummaryDocument(core: MasterCore, id: MasterIdentity): JsonDocument {
  const agents = [...core.agents.values()]
  const frameworks = [...core.frameworks.values()]
  const byAgent = new Map<string, StateCounts>()
  const byFramework = new Map<string, StateCounts>()
  const agentFrameworks = new Map<string, Set<string>>()
  const frameworkAgents = new Map<string, Set<string>>()
  const used = new Map<string, ResourceSummary>()
  let n = 0
  for (const f of frameworks) {
    const fc = emptyCounts()
    byFramework.set(f.id, fc)
    const fa = new Set<string>()
    frameworkAgents.set(f.id, fa)
    const u = new ResourceSummary()
    used.set(f.id, u)
    const count = (task: TaskRecord): void => {
      fc[task.state]++
      let ac = byAgent.get(task.agentId)
      if (!ac) byAgent.set(task.agentId, (ac = emptyCounts()))
      ac[task.state]++
      fa.add(task.agentId)
      let af = agentFrameworks.get(task.agentId)
      if (!af) agentFrameworks.set(task.agentId, (af = new Set()))
      af.add(f.id)
    }
    for (const task of f.tasks.values()) {
      count(task)
      if (!isTerminalState(task.state)) u.add(task.resources)
      if (++n % 5000 === 0) yield PAUSE
    }
    for (const task of f.completedTasks.toArray()) count(task)
  }
  const head: Record<string, unknown> = { hostname: id.hostname }
  if (id.cluster) head.cluster = id.cluster
  yield str(head).slice(0, -1)
  yield ',"slaves":['
  n = 0
  for (const agent of agents) {
    if (n > 0) yield ','
    const fields = { ...agentFields(core, agent), ...pickCounts(byAgent.get(agent.id)), framework_ids: [...(agentFrameworks.get(agent.id) ?? [])] }
    yield str(fields)
    if (++n % 200 === 0) yield PAUSE
  }
  yield '],"frameworks":['
  n = 0
  for (const f of frameworks) {
    if (n++ > 0) yield ','
    const fields = {
      ...frameworkSummaryFields(f),
      used_resources: used.get(f.id)!.toObject(),
      offered_resources: offeredOf(core, f.offers).toObject(),
      ...pickCounts(byFramework.get(f.id)),
      slave_ids: [...(frameworkAgents.get(f.id) ?? [])],
    }
    yield str(fields)
  }
  yield ']}'
}

export interface TasksQuery {
  limit: number
  offset: number
  order: 'asc' | 'des'
  frameworkId?: string
  taskId?: string
}

/** `/master/tasks` (Mesos `ReadOnlyHandler::tasks`): sorted by the first status's timestamp. */
export function* tasksDocument(core: MasterCore, q: TasksQuery): JsonDocument {
  const tasks: TaskRecord[] = []
  for (const f of [...core.frameworks.values(), ...core.completedFrameworks.toArray()]) {
    if (q.frameworkId !== undefined && f.id !== q.frameworkId) continue
    for (const t of f.tasks.values()) if (q.taskId === undefined || t.info.task_id.value === q.taskId) tasks.push(t)
    for (const t of f.completedTasks.toArray()) if (q.taskId === undefined || t.info.task_id.value === q.taskId) tasks.push(t)
  }
  const ts = (t: TaskRecord): number => t.status.timestamp ?? 0
  tasks.sort(q.order === 'asc' ? (a, b) => ts(a) - ts(b) : (a, b) => ts(b) - ts(a))
  yield '{"tasks":['
  const end = Math.min(tasks.length, q.offset + q.limit)
  for (let i = q.offset; i < end; i++) {
    if (i > q.offset) yield ','
    yield taskJson(tasks[i]!)
    if ((i - q.offset + 1) % TASKS_PER_PAUSE === 0) yield PAUSE
  }
  yield ']}'
}

/** Roles known to the master: of frameworks, reservations, weights and quota (Mesos `knownRoles`). */
export function knownRoles(core: MasterCore): string[] {
  const roles = new Set<string>()
  for (const f of core.frameworks.values()) for (const r of f.roles) roles.add(r)
  for (const a of core.agents.values()) for (const r of a.total.reservations().keys()) roles.add(r)
  for (const r of core.operator.weights.keys()) roles.add(r)
  for (const r of core.operator.quotas.keys()) roles.add(r)
  roles.delete('*')
  return [...roles].sort()
}

function quantitiesObject(map: ReadonlyMap<string, number> | undefined): Record<string, number> {
  const out: Record<string, number> = {}
  for (const [k, v] of map ?? []) out[k] = fromMilli(v)
  return out
}

interface RoleBreakdown {
  allocated: Map<string, number>
  offered: Map<string, number>
  reserved: Map<string, number>
  frameworks: Set<string>
}

function roleBreakdowns(core: MasterCore, roles: readonly string[]): Map<string, RoleBreakdown> {
  const out = new Map<string, RoleBreakdown>(roles.map(r => [r, { allocated: new Map(), offered: new Map(), reserved: new Map(), frameworks: new Set() }]))
  const addTo = (m: Map<string, number>, resources: Resources): void => {
    for (const r of resources.items) if (r.type === 'SCALAR') m.set(r.name, (m.get(r.name) ?? 0) + r.milli)
  }
  for (const f of core.frameworks.values()) {
    for (const r of f.roles) out.get(r)?.frameworks.add(f.id)
    for (const t of f.tasks.values()) if (!isTerminalState(t.state)) addTo(out.get(t.role)?.allocated ?? new Map(), t.resources)
  }
  for (const o of core.offers.values()) addTo(out.get(o.role)?.offered ?? new Map(), o.resources)
  for (const a of core.agents.values()) for (const [role, res] of a.total.reservations()) addTo(out.get(role)?.reserved ?? new Map(), res)
  return out
}

/** `/master/roles` (Mesos `ReadOnlyHandler::roles`). */
export function rolesJson(core: MasterCore): { roles: unknown[] } {
  const roles = knownRoles(core)
  const breakdowns = roleBreakdowns(core, roles)
  return {
    roles: roles.map(name => {
      const b = breakdowns.get(name)!
      const quota = core.operator.quotas.get(name)
      const consumed = new Map(b.allocated)
      for (const [k, v] of b.reserved) consumed.set(k, Math.max(consumed.get(k) ?? 0, v))
      const resources = new Map(b.allocated)
      for (const [k, v] of b.offered) resources.set(k, (resources.get(k) ?? 0) + v)
      return {
        name,
        weight: core.operator.weights.get(name) ?? 1,
        quota: { role: name, guarantee: quantitiesObject(quota?.guarantees), limit: quantitiesObject(quota?.limits), consumed: quantitiesObject(consumed) },
        resources: quantitiesObject(resources),
        allocated: quantitiesObject(b.allocated),
        offered: quantitiesObject(b.offered),
        reserved: quantitiesObject(b.reserved),
        frameworks: [...b.frameworks],
      }
    }),
  }
}

// ---- v1 operator API (master.proto Response) --------------------------------------------------

const timeInfo = (ms: number): { nanoseconds: number } => ({ nanoseconds: Math.round(ms * 1e6) })

/** v1 `Task` (mesos.proto): ids as objects, resources as the v1 array. */
export function v1TaskJson(task: TaskRecord): string {
  const info = task.info
  const out: Record<string, unknown> = {
    name: info.name,
    task_id: info.task_id,
    framework_id: { value: task.frameworkId },
    agent_id: { value: task.agentId },
    state: task.state,
    resources: toJson(task.resources),
    statuses: [task.status],
    role: task.role,
  }
  if (info.executor) out.executor_id = info.executor.executor_id
  if (task.status.uuid) {
    out.status_update_state = task.status.state
    out.status_update_uuid = task.status.uuid
  }
  if (info.labels) out.labels = info.labels
  if (info.container) out.container = info.container
  if (info.health_check) out.health_check = info.health_check
  return str(out)
}

export function v1AgentJson(core: MasterCore, agent: AgentRecord): Record<string, unknown> {
  let offered: Resources | undefined
  for (const id of agent.offers) {
    const o = core.offers.get(id)
    if (o) offered = offered ? offered.add(o.resources) : o.resources
  }
  const out: Record<string, unknown> = {
    agent_info: { ...agent.info, resources: toJson(agent.total) },
    active: agent.connected,
    deactivated: false,
    version: agent.version,
    pid: agent.pid,
    registered_time: timeInfo(agent.registeredAt),
    total_resources: toJson(agent.total),
    allocated_resources: toJson(agent.used),
    offered_resources: offered ? toJson(offered) : [],
    capabilities: [],
  }
  if (agent.reregisteredAt !== undefined) out.reregistered_time = timeInfo(agent.reregisteredAt)
  return out
}

export function v1FrameworkJson(core: MasterCore, f: FrameworkRecord): Record<string, unknown> {
  let allocated: Resources | undefined
  for (const t of f.tasks.values()) if (!isTerminalState(t.state)) allocated = allocated ? allocated.add(t.resources) : t.resources
  const offers = [...f.offers].map(id => core.offers.get(id)).filter((o): o is OfferRecord => o !== undefined)
  let offered: Resources | undefined
  for (const o of offers) offered = offered ? offered.add(o.resources) : o.resources
  const out: Record<string, unknown> = {
    framework_info: f.info,
    active: f.active,
    connected: f.connected,
    recovered: false,
    registered_time: timeInfo(f.registeredAt),
    offers: offers.map(o => ({ id: { value: o.id }, framework_id: { value: o.frameworkId }, agent_id: { value: o.agentId }, hostname: core.agents.get(o.agentId)?.info.hostname ?? '', resources: toJson(o.resources), allocation_info: { role: o.role } })),
    allocated_resources: allocated ? toJson(allocated) : [],
    offered_resources: offered ? toJson(offered) : [],
  }
  if (f.reregisteredAt !== undefined) out.reregistered_time = timeInfo(f.reregisteredAt)
  if (f.unregisteredAt !== undefined) out.unregistered_time = timeInfo(f.unregisteredAt)
  return out
}

export function* v1GetAgents(core: MasterCore): JsonDocument {
  yield '{"agents":['
  let n = 0
  for (const agent of [...core.agents.values()]) {
    if (n > 0) yield ','
    yield str(v1AgentJson(core, agent))
    if (++n % 200 === 0) yield PAUSE
  }
  yield '],"recovered_agents":[]}'
}

export function v1GetFrameworks(core: MasterCore): unknown {
  return {
    frameworks: [...core.frameworks.values()].map(f => v1FrameworkJson(core, f)),
    completed_frameworks: core.completedFrameworks.toArray().map(f => v1FrameworkJson(core, f)),
  }
}

export function v1GetExecutors(core: MasterCore): unknown {
  const seen = new Map<string, unknown>()
  for (const f of core.frameworks.values()) {
    for (const t of f.tasks.values()) {
      if (!t.executor || isTerminalState(t.state)) continue
      const key = `${t.agentId}/${f.id}/${t.executor.executor_id.value}`
      if (!seen.has(key)) seen.set(key, { executor_info: { ...t.executor, framework_id: { value: f.id } }, agent_id: { value: t.agentId } })
    }
  }
  return { executors: [...seen.values()] }
}

export function* v1GetTasks(core: MasterCore): JsonDocument {
  const frameworks = snapshotFrameworks([...core.frameworks.values(), ...core.completedFrameworks.toArray()])
  yield '{"tasks":['
  let n = 0
  for (const f of frameworks) {
    for (const t of f.tasks) {
      if (n > 0) yield ','
      yield v1TaskJson(t)
      if (++n % TASKS_PER_PAUSE === 0) yield PAUSE
    }
  }
  yield '],"unreachable_tasks":[],"completed_tasks":['
  n = 0
  for (const f of frameworks) {
    for (const t of f.completed) {
      if (n > 0) yield ','
      yield v1TaskJson(t)
      if (++n % TASKS_PER_PAUSE === 0) yield PAUSE
    }
  }
  yield ']}'
}

export function* v1GetState(core: MasterCore): JsonDocument {
  yield '{"get_tasks":'
  yield* v1GetTasks(core)
  yield `,"get_executors":${str(v1GetExecutors(core))},"get_frameworks":${str(v1GetFrameworks(core))},"get_agents":`
  yield* v1GetAgents(core)
  yield '}'
}

export function v1GetRoles(core: MasterCore): unknown {
  const { roles } = rolesJson(core)
  return {
    roles: (roles as Array<{ name: string; weight: number; frameworks: string[]; resources: Record<string, number> }>).map(r => ({
      name: r.name,
      weight: r.weight,
      frameworks: r.frameworks.map(value => ({ value })),
      resources: Object.entries(r.resources).map(([name, value]) => ({ name, type: 'SCALAR', scalar: { value } })),
    })),
  }
}

export function v1GetWeights(core: MasterCore): unknown {
  return { weight_infos: [...core.operator.weights].map(([role, weight]) => ({ role, weight })) }
}

export function v1GetQuota(core: MasterCore): unknown {
  const scalarMap = (m: ReadonlyMap<string, number>): Record<string, { value: number }> => Object.fromEntries([...m].map(([k, v]) => [k, { value: fromMilli(v) }]))
  const configs = [...core.operator.quotas.values()].map(q => {
    const c: Record<string, unknown> = { role: q.role }
    if (q.guarantees.size > 0) c.guarantees = scalarMap(q.guarantees)
    if (q.limits.size > 0) c.limits = scalarMap(q.limits)
    return c
  })
  const infos = [...core.operator.quotas.values()].map(q => ({
    role: q.role,
    guarantee: [...q.guarantees].map(([name, v]) => ({ name, type: 'SCALAR', scalar: { value: fromMilli(v) } })),
  }))
  return { status: { infos, configs } }
}

