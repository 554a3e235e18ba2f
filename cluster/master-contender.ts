// A master process: with the JetStream registry it contends for leadership on the lease key and
// hosts the master actor only while it leads (a new actor per term, which first takes the
// registry's fence and loads the registry: see actors/master/registry-store.ts); with the
// in-memory registry it is the one master, at `master@master`.
import { NatsTransport, Runtime, TransportError, type ActorHandle, type Logger, type Pid } from '../runtime/index.js'
import { ProtocolMessages } from '../actors/protocol/index.js'
import {
  MemoryRegistryStore,
  RegistryFencedError,
  loadRegistry,
  masterMachine,
  type MasterCore,
  type MasterOptions,
  type RecoveredRegistry,
  type RegistryFence,
  type RegistryStore,
} from '../actors/master/index.js'
import type { LeaderInfo } from '../actors/master/leader-election.js'
import { connect, type NatsConnection } from '@nats-io/transport-node'
import { LeaseKeeper } from './lease-keeper.js'
import { JetStreamRegistryStore, registryBucket } from './jetstream-registry-store.js'
import { leaseBucket } from './lease-detector.js'
import { MASTER_PID, nodeNameFor } from './node-names.js'

export interface ContenderOptions {
  servers: string[]
  prefix: string
  registry: 'jetstream' | 'in_memory'
  leaseMs: number
  /** How often a standby reads the lease key (default 100 ms). */
  leasePollMs?: number
  replicas: number
  hostname: string
  port: number
  masterOptions: Partial<MasterOptions>
  log: Logger
  /** Told of every term's start (its epoch) and end. */
  onTerm?(event: { type: 'elected'; epoch: number } | { type: 'deposed'; reason: string }): void
  /** Overrides the registry store (tests); default: JetStream KV, or memory with in_memory. */
  registryStore?: RegistryStore
}

export class ContenderError extends TransportError {}

export class MasterContender {
  private handle: ActorHandle | undefined
  private currentCore: MasterCore | undefined
  private leaderInfo: LeaderInfo | undefined
  /** The lease, kept by a worker thread (cluster/lease-keeper.ts); none with the in-memory registry. */
  private keeper: LeaseKeeper | undefined
  /** Counts terms, so a term that ended while its registry was loading does not start serving. */
  private term = 0
  /** A term began (elected) and has not ended: stepDown() ends it once, whoever tells first. */
  private inTerm = false

  private constructor(
    readonly runtime: Runtime,
    readonly masterPid: Pid,
    private readonly o: ContenderOptions,
    private readonly registry: RegistryStore,
    private readonly registryConnection: NatsConnection | undefined,
  ) {}

  static async start(o: ContenderOptions): Promise<MasterContender> {
    const node = o.registry === 'jetstream' ? nodeNameFor(o.hostname, `m${o.port}`) : MASTER_PID.split('@')[1]!
    const transport = await NatsTransport.connect({ servers: o.servers, name: `mesos-ts master ${node}` })
    const runtime = new Runtime({ transport, node, prefix: o.prefix, logger: o.log })
    runtime.registerMessages(ProtocolMessages)
    let registry = o.registryStore
    if (!registry && o.registry === 'in_memory') registry = new MemoryRegistryStore()
    let registryConnection: NatsConnection | undefined
    if (!registry) {
      try {
        // Its own connection: the server ingests one connection's publishes in order, so a lease
        // refresh queued behind a batch of 10,000 registry puts could arrive after the lease expired.
        registryConnection = await connect({ servers: o.servers, name: `mesos-ts master ${node} registry` })
        registry = await JetStreamRegistryStore.open(registryConnection, { bucket: registryBucket(o.prefix), replicas: o.replicas, follow: { servers: o.servers } })
      } catch (err) {
        await registryConnection?.close()
        await runtime.close()
        throw new ContenderError(
          `cannot open the registry in NATS JetStream KV (${(err as Error).message}): start nats-server with JetStream (-js; 'mesos-ts nats' does), or run a single master with --registry=in_memory`,
        )
      }
    }
    const contender = new MasterContender(runtime, `master@${node}`, o, registry, registryConnection)
    if (o.registry === 'in_memory') {
      await contender.lead(0)
      contender.leaderInfo = { pid: contender.masterPid, hostname: o.hostname, port: o.port }
      return contender
    }
    try {
      // Its own thread and its own connection: on the runtime's connection a refresh waited behind
      // every message queued in both directions (100,000 RunTasks out, as many status updates
      // in), and on the main thread behind every GC pause and long batch; at 10,000 agents either
      // cost the leader its lease mid-burst.
      contender.keeper = await LeaseKeeper.start({
        servers: o.servers,
        connectionName: `mesos-ts master ${node} lease`,
        bucket: leaseBucket(o.prefix),
        leaseMs: o.leaseMs,
        replicas: o.replicas,
        self: { pid: contender.masterPid, hostname: o.hostname, port: o.port },
        pollMs: o.leasePollMs,
        // Refresh at half the lease, not 75 %: when the refresh still ran on the main thread, a
        // leader whose refresh was due 750 ms before expiry lost its 3 s lease in each of 4 failover
        // bench runs. On the worker the stalls are gone but NATS itself slows under a launch burst;
        // 75 % was not measured there, and 1.5 s of slack costs one small KV write per lease.
        refreshFraction: 0.5,
        clock: runtime.clock,
        onElected: epoch => void contender.lead(epoch),
        onDeposed: reason => contender.stepDown(reason),
        onLeader: leader => {
          // Others are pointed (HTTP redirects) at a leader only once it serves: before, it is
          // still recovering its registry and would turn them away.
          const serving = leader?.serving ? leader : undefined
          if (serving?.pid === contender.leaderInfo?.pid) return
          contender.leaderInfo = serving
          o.log.info({ leader: serving?.pid }, serving ? `leading master: ${serving.pid}` : leader ? `master ${leader.pid} leads, not yet serving` : 'no leading master')
        },
        onWarn: message => o.log.warn({ err: message }, `leader lease: ${message}`),
        onCrash: err => {
          o.log.error({ err: err.message }, `the leader lease worker failed (${err.message}): this master no longer contends`)
          contender.stepDown('lease worker failed')
        },
      })
    } catch (err) {
      await registryConnection?.close()
      await runtime.close()
      throw new ContenderError(
        `cannot open the leader lease in NATS JetStream KV (${(err as Error).message}): start nats-server with JetStream (-js; 'mesos-ts nats' does), or run a single master with --registry=in_memory`,
      )
    }
    return contender
  }

  /** The master's state while this process leads. */
  core(): MasterCore | undefined {
    return this.currentCore
  }

  leader(): LeaderInfo | undefined {
    return this.leaderInfo
  }

  get leading(): boolean {
    return this.handle?.alive === true
  }

  /**
   * Whether this master may still act as leader: the lease's deadline (written by the lease
   * worker, read here with one atomic load) has not passed. It turns false on time even while this
   * thread is busy and has not yet heard that the worker stepped down. The registry writes of the
   * master actor check it (leaseGuarded below), and so does every message the actor sends (the
   * runtime asks its `mayAct` before each).
   */
  leaseValid(): boolean {
    return this.keeper ? this.keeper.leaseValid() : this.o.registry === 'in_memory'
  }

  /** A term starts: take the registry's fence, load the registry, then serve (never before). */
  private async lead(epoch: number): Promise<void> {
    const term = ++this.term
    this.inTerm = true
    this.o.log.info({ epoch, pid: this.masterPid }, `elected leading master (epoch ${epoch})`)
    const started = Date.now()
    let fence: RegistryFence
    let recovered: RecoveredRegistry
    try {
      fence = await this.registry.fence(epoch)
      recovered = await loadRegistry(this.registry, this.o.log)
    } catch (err) {
      if (term !== this.term) return
      this.o.log.error({ err: (err as Error).message }, `cannot recover the registry (${(err as Error).message}): stepping down`)
      this.resign('registry unavailable')
      return
    }
    if (term !== this.term) return
    const loadMs = Date.now() - started
    this.o.log.info(
      { epoch, agents: recovered.agents.length, frameworks: recovered.frameworks.length, corrupt: recovered.errors.length, ms: loadMs },
      `recovered the registry in ${loadMs} ms: ${recovered.agents.length} agents, ${recovered.frameworks.length} frameworks`,
    )
    this.handle = this.runtime.spawn(masterMachine, {
      name: 'master',
      // Past the lease's deadline the master sends nothing, even before this thread has heard
      // that the lease worker stepped down (registry writes are checked the same way below).
      ...(this.keeper ? { mayAct: () => this.leaseValid() } : {}),
      input: {
        // The registry says which agents may still come back; no blanket recovery window is needed.
        options: { ...this.o.masterOptions, recovering: false, epoch, idPrefix: `${nodeNameFor(this.o.hostname)}-${Date.now().toString(36)}` },
        onCore: (c: MasterCore) => (this.currentCore = c),
        registry: {
          store: this.keeper ? leaseGuarded(this.registry, () => this.leaseValid()) : this.registry,
          fence,
          recovered,
          onFenced: (err: RegistryFencedError) => {
            this.o.log.error({ err: err.message }, `${err.message}: stepping down`)
            this.resign('fenced')
          },
        },
      },
    })
    // Only now may agents and frameworks come: the lease says so at once (LeaseDetector).
    this.keeper?.serve()
    this.o.onTerm?.({ type: 'elected', epoch })
  }

  /** Steps down here at once; the worker gives up the lease and contends again as a standby. */
  private resign(reason: string): void {
    this.keeper?.resign()
    this.stepDown(reason)
  }

  /** Leadership lost: the master actor goes at once (its watchers hear it), never to act again. */
  private stepDown(reason: string): void {
    if (!this.inTerm) return
    this.inTerm = false
    this.term++
    this.o.log.warn({ reason }, `no longer the leading master (${reason})`)
    this.handle?.stop()
    this.handle = undefined
    this.currentCore = undefined
    this.o.onTerm?.({ type: 'deposed', reason })
  }

  async stop(): Promise<void> {
    // The actor first, then the lease: released while the actor still ran, a standby could lead
    // before this thread heard it was no longer leader.
    this.stepDown('stopped')
    await this.keeper?.stop()
    await this.runtime.close()
    await this.registryConnection?.close()
  }
}

/**
 * The master actor's registry, refusing writes once the lease may have expired: a master whose
 * main thread stalled past its lease wakes up, and its first write must fail (RegistryFencedError
 * makes it resign) even before the worker's step-down reaches this thread.
 */
function leaseGuarded(store: RegistryStore, leaseValid: () => boolean): RegistryStore {
  return {
    fence: epoch => store.fence(epoch),
    load: () => store.load(),
    write: (batch, fence) => (leaseValid() ? store.write(batch, fence) : Promise.reject(new RegistryFencedError(fence.epoch, 'its leader lease expired'))),
  }
}
