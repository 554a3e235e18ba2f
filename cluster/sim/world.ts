// A whole cluster in one process on the sim transport and one SimClock: masters, agents (with the
// emulated executor) and framework schedulers, each a "process" with its own Runtime and
// transport endpoint under a node name (`m1`, `a1`, `f1`). A process can crash (its endpoint
// vanishes from the network, its runtime stops) and be started again as a fresh runtime under the
// same node name, as a restarted host would be. Every random choice comes from the seed.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { EnvelopeCodec, Prng, flushMicrotasks, type Clock, Runtime, SchemaRegistry, SimClock, SimNetwork, silentLogger, type ActorHandle, type Pid, type SimTransport } from '../../runtime/index.js'
import { ProtocolMessages, type StatusUpdateAcknowledgementBody, type StatusUpdateBody, type TaskState } from '../../actors/protocol/index.js'
import { LeaderElection, MemoryLeaseStore, MemoryRegistryStore, loadRegistry, masterMachine, type MasterCore } from '../../actors/master/index.js'
import { StaticMasterDetector } from '../../actors/scheduler/index.js'
import { MemoryCheckpointStore, agentMachine, readCheckpoint, type AgentCore } from '../../actors/agent/index.js'
import { executorSpawner } from '../../actors/executor/index.js'
import { parseResources, toJson, type Resources } from '../../actors/resources/index.js'
import type { HierarchicalAllocator } from '../../actors/allocator/index.js'
import { SimFramework } from './sim-framework.js'
import { SimLeaseStore, SimRegistryStore } from './sim-kv.js'
import { MessageRing, TapTransport, mayBeFrom, mayBeType } from './tap-transport.js'
import { DEFAULT_TIMINGS, type SimTimings } from './timings.js'

export interface WorldOptions {
  seed: number
  agents: number
  frameworks: number
  /** Master processes contending for the lease (default 1). */
  masters?: number
  timings?: SimTimings
  /** Messages kept for failure reports. */
  ringSize?: number
}

/** A stream of random numbers of its own for each purpose, all from the one seed. */
export function derivedPrng(seed: number, purpose: string): Prng {
  let h = (seed ^ 0x5bd1e995) >>> 0
  for (let i = 0; i < purpose.length; i++) h = Math.imul(h ^ purpose.charCodeAt(i), 0x01000193) >>> 0
  return new Prng(h)
}

/**
 * Compiling the protocol's schemas is the dearest part of starting a runtime; every runtime of
 * every world in this process shares one registry (registering the same schema again is a no-op).
 */
const registry = new SchemaRegistry()
registry.registerAll(ProtocolMessages)

/** One simulated process: a runtime on its own endpoint, which can crash and come back. */
abstract class SimNode {
  runtime: Runtime | undefined
  endpoint: SimTransport | undefined
  /** Starts so far; the runtime's incarnation carries it. */
  generation = 0

  constructor(
    protected readonly world: World,
    readonly node: string,
  ) {}

  get up(): boolean {
    return this.runtime !== undefined
  }

  /** This run of the process, as the tap labels what it sends (`a2#1`). */
  get incarnation(): string {
    return `${this.node}#${this.generation}`
  }

  protected boot(): Runtime {
    this.generation++
    const w = this.world
    this.endpoint = w.net.endpoint(this.node)
    const transport = new TapTransport(this.endpoint, w.ring, () => w.clock.now(), this.incarnation, (label, bytes) => w.published(this.node, label, bytes))
    this.runtime = new Runtime({
      transport,
      node: this.node,
      clock: w.clock,
      logger: w.logger,
      linkPingIntervalMs: w.timings.linkPingIntervalMs,
      linkTimeoutMs: w.timings.linkTimeoutMs,
      incarnation: `${this.node}.${this.generation}`,
      registry,
    })
    return this.runtime
  }

  /** The process dies: its subscriptions vanish at once, in-flight messages to it are lost. */
  crash(): void {
    if (!this.runtime) return
    this.endpoint!.crash()
    this.beforeClose()
    void this.runtime.close()
    this.runtime = undefined
    this.endpoint = undefined
  }

  protected beforeClose(): void {}
}

export class MasterNode extends SimNode {
  core: MasterCore | undefined
  handle: ActorHandle | undefined
  readonly pid: Pid
  /** This process's contention for the lease (on the world's clock, dead with the process). */
  election: LeaderElection | undefined

  constructor(world: World, node: string) {
    super(world, node)
    this.pid = `master@${node}`
  }

  /** Leading with a live master actor: the lease revision it holds. */
  get leaseRevision(): number | undefined {
    return this.handle ? this.election?.leaderEpoch : undefined
  }

  start(): void {
    const rt = this.boot()
    const w = this.world
    this.core = undefined
    // Timers of a crashed process never fire: the lease is not released, it expires.
    const clock: Clock = {
      now: () => w.clock.now(),
      setTimeout: (fn, ms) => w.clock.setTimeout(() => this.runtime === rt && fn(), ms),
      clearTimeout: h => w.clock.clearTimeout(h),
    }
    this.election = new LeaderElection({
      store: w.lease,
      clock,
      self: { pid: this.pid, hostname: this.node, port: 5050 },
      leaseMs: w.timings.leaseMs,
      pollMs: Math.max(100, Math.floor(w.timings.leaseMs / 6)),
      refreshFraction: 0.5,
      onElected: epoch => {
        if (this.runtime === rt) void this.lead(rt, epoch)
      },
      onDeposed: () => {
        if (this.runtime === rt) this.stepDown()
      },
    })
    this.election.start()
  }

  /**
   * As cluster/master-contender.ts does for a term: take the registry's fence, load the registry,
   * and only then spawn the master actor; a store that fails makes it resign (the election
   * retries). The world then points agents and schedulers at it (the detector's job).
   */
  private async lead(rt: Runtime, epoch: number): Promise<void> {
    const w = this.world
    const store = w.registry
    const term = ++this.term
    let fence, recovered
    try {
      fence = await store.fence(epoch)
      recovered = await loadRegistry(store, w.logger)
    } catch {
      if (this.runtime === rt && term === this.term) this.election?.resign()
      return
    }
    if (this.runtime !== rt || term !== this.term || this.election?.leaderEpoch === undefined) return
    this.handle = rt.spawn(masterMachine, {
      name: 'master',
      input: {
        options: { ...w.timings.master, seed: w.seed, idPrefix: `${this.node}g${this.generation}t${term}`, recovering: false, epoch },
        onCore: (c: MasterCore) => (this.core = c),
        registry: {
          store,
          fence,
          recovered,
          // A later term took the registry: stop acting at once, contend again.
          onFenced: () => {
            if (this.runtime === rt && term === this.term) this.election?.resign()
          },
        },
      },
    })
    w.elected(this, epoch)
  }

  /** Terms started by this process (a term that ended while loading does not serve). */
  private term = 0

  private stepDown(): void {
    this.term++
    this.handle?.stop()
    this.handle = undefined
    this.core = undefined
  }

  /**
   * The allocator child of the master actor (for the master/allocator agreement check). The
   * master hands it its ops in batches; read between clock advances, every batch has arrived.
   */
  allocator(): HierarchicalAllocator | undefined {
    const child = (this.handle?.getSnapshot() as { children?: Record<string, { getSnapshot(): { context: { allocator: HierarchicalAllocator } } }> } | undefined)?.children?.allocator
    return child?.getSnapshot().context.allocator
  }

  protected override beforeClose(): void {
    this.term++
    this.core = undefined
    this.handle = undefined
    this.election = undefined
  }
}

export class AgentNode extends SimNode {
  handle: ActorHandle | undefined
  readonly total: Resources
  readonly workDir: string
  readonly random: Prng
  /** The host's disk: what checkpointing frameworks leave there survives the agent process. */
  readonly checkpoint = new MemoryCheckpointStore()
  /**
   * Incarnations whose checkpoint this one recovered, itself included: an update one of them
   * checkpointed is still this process's to deliver. A fresh start (nothing recovered) is alone.
   */
  lineage: string[] = []
  /** The agent id this incarnation recovered (undefined: it started afresh). */
  recoveredId: string | undefined

  constructor(world: World, node: string, resources: string, workDir: string) {
    super(world, node)
    this.total = parseResources(resources)
    this.workDir = workDir
    this.random = derivedPrng(world.seed, `agent:${node}`)
  }

  get pid(): Pid {
    return `agent@${this.node}`
  }

  start(): void {
    const rt = this.boot()
    const recovered = readCheckpoint(this.checkpoint, false, this.world.logger)
    this.recoveredId = recovered?.agentInfo.id?.value
    this.lineage = recovered ? [...this.lineage, this.incarnation] : [this.incarnation]
    this.handle = rt.spawn(agentMachine, {
      name: 'agent',
      input: {
        checkpoint: this.checkpoint,
        recovered,
        masterPid: this.world.leaderPid ?? this.world.masters[0]!.pid,
        ...(this.world.leaderPid === undefined ? {} : { masterEpoch: this.world.latestTerm?.epoch }),
        info: { hostname: this.node, port: 5051, resources: toJson(this.total) },
        workDir: this.workDir,
        executor: 'emulated',
        spawnExecutor: executorSpawner(rt),
        flags: this.world.timings.agent,
        random: () => this.random.next(),
      },
    })
  }

  /** The agent's core while its actor runs (not after a crash or a ShutdownAgent). */
  core(): AgentCore | undefined {
    if (!this.handle?.alive) return undefined
    return (this.handle.getSnapshot().context as { core: AgentCore }).core
  }

  /** Registered with an id and running: what "a live agent" means to the invariants. */
  liveAgentId(): string | undefined {
    return this.core()?.agentId
  }

  protected override beforeClose(): void {
    // The process is gone with its timers: nothing of it may fire into the simulation later.
    this.core()?.close()
    this.handle = undefined
  }
}

export class FrameworkNode extends SimNode {
  constructor(
    world: World,
    node: string,
    readonly framework: SimFramework,
  ) {
    super(world, node)
  }

  start(): void {
    const rt = this.boot()
    const detector = new StaticMasterDetector(this.world.leaderPid)
    this.world.detectors.push(detector)
    this.framework.start(rt, detector, this.world.timings.scheduler)
  }

  protected override beforeClose(): void {
    this.framework.crashed()
  }

}

export interface RelayedAck {
  readonly at: number
  readonly to: Pid
  readonly uuid: string
  readonly frameworkId: string
  readonly taskId: string
}

export interface ForwardedUpdate {
  readonly at: number
  /** The agent's incarnation (`a2#1`): an update dies with the process that held it. */
  readonly agent: string
  readonly frameworkId: string
  readonly taskId: string
  readonly state: TaskState
}

/** Virtual time between two runs of promise continuations (see World.advance). */
const ADVANCE_CHUNK_MS = 20

export class World {
  readonly seed: number
  readonly clock = new SimClock()
  readonly net: SimNetwork
  readonly ring: MessageRing
  readonly timings: SimTimings
  readonly logger = silentLogger()
  readonly masters: MasterNode[] = []
  /** The leader lease's KV key (shares the `kv-unavailable` switch with the registry). */
  readonly lease: SimLeaseStore
  /** The leading master's pid as the detector reports it (the latest term to start serving). */
  leaderPid: Pid | undefined
  /** The latest term to start serving: its lease revision and master incarnation. */
  latestTerm: { epoch: number; incarnation: string } | undefined
  /** Every scheduler instance's detector: told of each new leader. */
  readonly detectors: StaticMasterDetector[] = []
  /** Masters sending while not holding the lease, or under a revision a later term superseded. */
  readonly staleActs: string[] = []
  /** The registry's KV bucket: it outlives every master process. */
  readonly kv: MemoryRegistryStore
  /** The bucket as masters reach it, through the `kv-unavailable` switch. */
  readonly registry: SimRegistryStore
  readonly agents: AgentNode[] = []
  readonly frameworks: FrameworkNode[] = []
  /**
   * Master incarnations (`m1#2`) seen acting (sending anything), per lease revision. With one
   * master and no election yet, the revision is the master's generation: a crashed master must
   * never act again. Leader election replaces leaseRevision() with the KV lease key's revision.
   */
  readonly acting = new Map<number, Set<string>>()
  readonly workRoot: string
  /** Every StatusUpdateAcknowledgement a master relayed to an agent, in order. */
  readonly relayedAcks: RelayedAck[] = []
  /** Every status update an agent forwarded to a master, by uuid (the first forward). */
  readonly forwardedUpdates = new Map<string, ForwardedUpdate>()
  private readonly codec = new EnvelopeCodec()

  constructor(options: WorldOptions) {
    this.seed = options.seed
    this.timings = options.timings ?? DEFAULT_TIMINGS
    this.net = new SimNetwork({ seed: options.seed, clock: this.clock, minDelayMs: this.timings.minDelayMs, maxDelayMs: this.timings.maxDelayMs, trace: true })
    this.ring = new MessageRing(options.ringSize ?? 4_000)
    this.workRoot = mkdtempSync(join(tmpdir(), 'mesos-ts-sim-'))
    this.kv = new MemoryRegistryStore({ clock: this.clock, latencyMs: this.timings.registryLatencyMs })
    this.registry = new SimRegistryStore(this.kv, this.clock, derivedPrng(options.seed, 'kv'), this.timings.registryTimeoutMs)
    this.lease = new SimLeaseStore(new MemoryLeaseStore(this.clock, this.timings.leaseMs), this.registry)
    for (let i = 1; i <= (options.masters ?? 1); i++) this.masters.push(new MasterNode(this, `m${i}`))
    const shapes = derivedPrng(options.seed, 'agent-shapes')
    for (let i = 1; i <= options.agents; i++) {
      const resources = `cpus:${shapes.pick([2, 4, 8])};mem:${shapes.pick([2048, 4096, 8192])};disk:10000`
      this.agents.push(new AgentNode(this, `a${i}`, resources, join(this.workRoot, `a${i}`)))
    }
    for (let i = 1; i <= options.frameworks; i++) {
      const random = derivedPrng(options.seed, `framework:${i}`)
      const framework = new SimFramework({
        name: `fw${i}`,
        // At least one of each kind when there are two or more.
        partitionAware: i % 2 === 0,
        // Frameworks 1, 3, ... checkpoint (their tasks' updates survive an agent restart); 2, 4, ... do not.
        checkpoint: i % 2 === 1,
        random,
        failoverTimeoutSeconds: this.timings.failoverTimeoutSeconds,
        maxRunning: random.int(2, 6),
      })
      this.frameworks.push(new FrameworkNode(this, `f${i}`, framework))
    }
  }

  /** The leading master (the latest term), or the first one while none leads. */
  get master(): MasterNode {
    return this.masters.find(m => m.incarnation === this.latestTerm?.incarnation && m.handle) ?? this.masters[0]!
  }

  /** @internal a master's term started serving: the detectors tell agents and schedulers. */
  elected(master: MasterNode, epoch: number): void {
    this.latestTerm = { epoch, incarnation: master.incarnation }
    this.leaderPid = master.pid
    for (const a of this.agents) if (a.handle?.alive) a.handle.send({ type: 'NewMasterDetected', masterPid: master.pid, masterEpoch: epoch })
    for (const d of this.detectors) d.appoint(master.pid)
  }

  start(): void {
    for (const m of this.masters) m.start()
    for (const a of this.agents) a.start()
    for (const f of this.frameworks) f.start()
  }

  /**
   * Advances the clock, letting promise continuations (registry writes and their completions)
   * run every few ms of virtual time rather than after every timer: a continuation only ever runs
   * at a chunk boundary, so the run stays deterministic, at a fraction of advanceAsync's cost.
   */
  async advance(ms: number): Promise<void> {
    const target = this.clock.now() + ms
    await flushMicrotasks()
    while (this.clock.now() < target) {
      this.clock.advance(Math.min(ADVANCE_CHUNK_MS, target - this.clock.now()))
      await flushMicrotasks()
    }
  }


  /** @internal the tap's callback: a live endpoint sent a message. */
  published(node: string, label: string, bytes: Uint8Array): void {
    const master = this.masters.find(m => m.node === node)
    if (master) {
      // The master actor's own messages; not the runtime's (`$ping`, `$exited` of a stopped actor).
      if (mayBeType(bytes, '$') || !mayBeFrom(bytes, master.pid)) return
      const revision = master.leaseRevision
      if (revision === undefined) {
        this.staleActs.push(`${label} sent at ${this.clock.now()} ms without holding the lease`)
        return
      }
      const latest = this.latestTerm
      if (latest && latest.incarnation !== master.incarnation && latest.epoch > revision) {
        this.staleActs.push(`${label} sent at ${this.clock.now()} ms under lease revision ${revision}, after ${latest.incarnation} took the lease at revision ${latest.epoch}`)
      }
      let set = this.acting.get(revision)
      if (!set) this.acting.set(revision, (set = new Set()))
      set.add(label)
      if (mayBeType(bytes, 'StatusUpdateAcknowledgement')) {
        const env = this.codec.decode(bytes)
        if (env.type !== 'StatusUpdateAcknowledgement') return
        const body = env.body as StatusUpdateAcknowledgementBody
        this.relayedAcks.push({ at: this.clock.now(), to: env.to, uuid: body.uuid, frameworkId: body.framework_id.value, taskId: body.task_id.value })
      }
      return
    }
    if (mayBeType(bytes, 'StatusUpdate')) {
      const env = this.codec.decode(bytes)
      if (env.type !== 'StatusUpdate' || !this.masters.some(m => m.pid === env.to)) return
      const update = (env.body as StatusUpdateBody).update
      if (update.uuid === undefined) return
      this.forwardedUpdates.set(update.uuid, { at: this.clock.now(), agent: label, frameworkId: update.framework_id.value, taskId: update.status.task_id.value, state: update.status.state })
    }
  }

  agentById(agentId: string): AgentNode | undefined {
    return this.agents.find(a => a.liveAgentId() === agentId)
  }

  /** Stops every runtime and removes the work directories. */
  dispose(): void {
    for (const n of [...this.masters, ...this.agents, ...this.frameworks]) n.crash()
    rmSync(this.workRoot, { recursive: true, force: true })
  }
}
