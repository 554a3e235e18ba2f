// A master process: with the JetStream registry it contends for leadership on the lease key and
// hosts the master actor only while it leads (a new actor per term, which first takes the
// registry's fence and loads the registry: see actors/master/registry-store.ts); with the
// in-memory registry it is the one master, at `master@master`.
import { NatsTransport, Runtime, TransportError, type ActorHandle, type Logger, type Pid } from '../runtime/index.js'
import { ProtocolMessages } from '../actors/protocol/index.js'
import {
  MemoryRegistryStore,
  loadRegistry,
  masterMachine,
  type MasterCore,
  type MasterOptions,
  type RecoveredRegistry,
  type RegistryFence,
  type RegistryFencedError,
  type RegistryStore,
} from '../actors/master/index.js'
import { LeaderElection, type LeaderInfo } from '../actors/master/leader-election.js'
import { connect, type NatsConnection } from '@nats-io/transport-node'
import { JetStreamLeaseStore } from './jetstream-lease-store.js'
import { JetStreamRegistryStore, registryBucket } from './jetstream-registry-store.js'
import { leaseBucket } from './lease-detector.js'
import { MASTER_PID, nodeNameFor } from './node-names.js'

export interface ContenderOptions {
  servers: string[]
  prefix: string
  registry: 'jetstream' | 'in_memory'
  leaseMs: number
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
  private election: LeaderElection | undefined
  /** Counts terms, so a term that ended while its registry was loading does not start serving. */
  private term = 0

  private leaseConnection: NatsConnection | undefined

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
    let store: JetStreamLeaseStore
    try {
      // Its own connection too: on the runtime's, a refresh waits behind every message already
      // queued in both directions (100,000 RunTasks out, as many status updates in), and at 10,000
      // agents a launch burst cost the leader its lease mid-burst.
      contender.leaseConnection = await connect({ servers: o.servers, name: `mesos-ts master ${node} lease` })
      store = await JetStreamLeaseStore.open(contender.leaseConnection, { bucket: leaseBucket(o.prefix), leaseMs: o.leaseMs, replicas: o.replicas })
    } catch (err) {
      await contender.leaseConnection?.close()
      await registryConnection?.close()
      await runtime.close()
      throw new ContenderError(
        `cannot open the leader lease in NATS JetStream KV (${(err as Error).message}): start nats-server with JetStream (-js; 'mesos-ts nats' does), or run a single master with --registry=in_memory`,
      )
    }
    contender.election = new LeaderElection({
      store,
      clock: runtime.clock,
      self: { pid: contender.masterPid, hostname: o.hostname, port: o.port },
      leaseMs: o.leaseMs,
      pollMs: Math.max(100, Math.floor(o.leaseMs / 6)),
      // Refresh at half the lease, not 75 %: on a loaded 2-core machine (load ~12) a leader whose
      // refresh was due 750 ms before expiry lost its 3 s lease in each of 4 failover bench runs,
      // twice while idle; 1.5 s of slack costs one more small KV write per lease.
      refreshFraction: 0.5,
      onElected: epoch => void contender.lead(epoch),
      onDeposed: reason => contender.stepDown(reason),
      onLeader: leader => {
        contender.leaderInfo = leader
        o.log.info({ leader: leader?.pid }, leader ? `leading master: ${leader.pid}` : 'no leading master')
      },
      onError: err => o.log.warn({ err: (err as Error).message }, 'leader lease store unavailable'),
    })
    contender.election.start()
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

  /** A term starts: take the registry's fence, load the registry, then serve (never before). */
  private async lead(epoch: number): Promise<void> {
    const term = ++this.term
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
      input: {
        // The registry says which agents may still come back; no blanket recovery window is needed.
        options: { ...this.o.masterOptions, recovering: false, idPrefix: `${nodeNameFor(this.o.hostname)}-${Date.now().toString(36)}` },
        onCore: (c: MasterCore) => (this.currentCore = c),
        registry: {
          store: this.registry,
          fence,
          recovered,
          onFenced: (err: RegistryFencedError) => {
            this.o.log.error({ err: err.message }, `${err.message}: stepping down`)
            this.resign('fenced')
          },
        },
      },
    })
    this.o.onTerm?.({ type: 'elected', epoch })
  }

  private resign(reason: string): void {
    if (this.election) this.election.resign()
    else this.stepDown(reason)
  }

  /** Leadership lost: the master actor goes at once (its watchers hear it), never to act again. */
  private stepDown(reason: string): void {
    this.term++
    this.o.log.warn({ reason }, `no longer the leading master (${reason})`)
    this.handle?.stop()
    this.handle = undefined
    this.currentCore = undefined
    this.o.onTerm?.({ type: 'deposed', reason })
  }

  async stop(): Promise<void> {
    if (this.election) await this.election.stop()
    else this.handle?.stop()
    await this.runtime.close()
    await this.registryConnection?.close()
    await this.leaseConnection?.close()
  }
}
