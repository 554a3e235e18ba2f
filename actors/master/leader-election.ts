// Leader election among masters on a lease key (DESIGN.md section 4): created with
// put-if-absent, refreshed with compare-and-set on its revision, lost when not refreshed. The
// revision is the fencing token (the epoch): a deposed leader's next refresh fails and it steps
// down. Pure logic over a LeaseStore and a Clock, so tests and the simulation drive it in
// virtual time; cluster/ provides the JetStream KV store.
import type { Clock } from '../../runtime/index.js'

export interface LeaseEntry {
  value: Uint8Array
  revision: number
}

/** The lease key's store. Every method rejects on an unavailable store; conflicts are not errors. */
export interface LeaseStore {
  /** Writes the lease if absent: its revision, or undefined if someone holds it. */
  create(value: Uint8Array): Promise<number | undefined>
  /** Compare-and-set on the revision: the new revision, or undefined if another wrote since. */
  update(value: Uint8Array, revision: number): Promise<number | undefined>
  get(): Promise<LeaseEntry | undefined>
  /** Gives the lease up (a clean stop), only if it is still at `revision`. */
  release(revision: number): Promise<void>
}

export interface LeaderInfo {
  /** The leader's master pid, where agents and schedulers send. */
  pid: string
  hostname: string
  /** Its HTTP port (redirects, the web UI). */
  port: number
}

export type ElectionState = 'contending' | 'leading' | 'standby' | 'stopped'

export interface ElectionOptions {
  store: LeaseStore
  clock: Clock
  self: LeaderInfo
  /** How long a lease lives without a refresh (the KV bucket's TTL). */
  leaseMs: number
  /** Refresh at this fraction of the lease (DESIGN: about 75 %). */
  refreshFraction?: number
  /** How often standbys read the key (a TTL expiry emits no watch event). */
  pollMs?: number
  onElected(epoch: number): void
  /** Leadership is gone: a lost CAS (`deposed`), or no successful refresh before expiry (`expired`). */
  onDeposed(reason: 'deposed' | 'expired' | 'stopped'): void
  /** Whoever leads now (undefined: nobody holds the lease), whenever that changes. */
  onLeader?(leader: LeaderInfo | undefined, epoch: number | undefined): void
  onError?(err: unknown): void
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()

export function encodeLeader(info: LeaderInfo): Uint8Array {
  return encoder.encode(JSON.stringify(info))
}

export function decodeLeader(value: Uint8Array): LeaderInfo | undefined {
  try {
    const v = JSON.parse(decoder.decode(value)) as LeaderInfo
    return typeof v?.pid === 'string' ? v : undefined
  } catch {
    return undefined
  }
}

export class LeaderElection {
  private current: ElectionState = 'contending'
  private epoch: number | undefined
  /** When the lease we hold was last written, by our clock: it must not be trusted past +leaseMs. */
  private writtenAt = 0
  private timer: unknown
  /** Steps down when the lease may be about to expire, even while a refresh is still awaited. */
  private expiryTimer: unknown
  private busy = false
  private leaderKey = ''
  private readonly refreshMs: number
  private readonly pollMs: number

  constructor(private readonly o: ElectionOptions) {
    this.refreshMs = Math.max(1, Math.floor(o.leaseMs * (o.refreshFraction ?? 0.75)))
    this.pollMs = o.pollMs ?? Math.max(1, Math.floor(o.leaseMs / 4))
  }

  get state(): ElectionState {
    return this.current
  }

  /** The revision of the lease while leading: stamp it on what the leader sends. */
  get leaderEpoch(): number | undefined {
    return this.current === 'leading' ? this.epoch : undefined
  }

  /** Re-read after every await: the state may have changed meanwhile. */
  private isStopped(): boolean {
    return this.current === 'stopped'
  }

  private isLeading(): boolean {
    return this.current === 'leading'
  }

  start(): void {
    this.current = 'contending'
    this.schedule(0)
  }

  /** Steps down (releasing the lease so a standby takes over at once) and stops contending. */
  async stop(): Promise<void> {
    const wasLeading = this.current === 'leading'
    const epoch = this.epoch
    this.current = 'stopped'
    this.o.clock.clearTimeout(this.timer)
    this.o.clock.clearTimeout(this.expiryTimer)
    if (wasLeading) {
      this.o.onDeposed('stopped')
      if (epoch !== undefined) await this.o.store.release(epoch).catch(() => {})
    }
  }

  /**
   * Leadership found lost elsewhere (the registry's fence moved: a successor took over while this
   * master could not tell): step down at once and contend again as a standby.
   */
  resign(): void {
    if (this.isLeading()) this.stepDown('deposed')
  }

  private schedule(ms: number): void {
    if (this.current === 'stopped') return
    this.o.clock.clearTimeout(this.timer)
    this.timer = this.o.clock.setTimeout(() => void this.tick(), ms)
  }

  private async tick(): Promise<void> {
    if (this.current === 'stopped') return
    // A request still outstanding (a store that stopped answering): look again later, not never.
    if (this.busy) return this.schedule(this.pollMs)
    this.busy = true
    try {
      if (this.current === 'leading') await this.refresh()
      else await this.contend()
    } finally {
      this.busy = false
    }
  }

  private async contend(): Promise<void> {
    const sentAt = this.o.clock.now()
    try {
      const existing = await this.o.store.get()
      if (this.isStopped()) return
      if (existing) {
        this.standby(existing)
        return
      }
      const revision = await this.o.store.create(encodeLeader(this.o.self))
      if (this.isStopped()) return
      if (revision === undefined) {
        // Someone was faster: read who, next round.
        this.current = 'standby'
        this.schedule(0)
        return
      }
      this.lead(revision, sentAt)
    } catch (err) {
      this.o.onError?.(err)
      this.schedule(this.pollMs)
    }
  }

  private standby(entry: LeaseEntry): void {
    this.current = 'standby'
    this.announce(decodeLeader(entry.value), entry.revision)
    this.schedule(this.pollMs)
  }

  private lead(revision: number, sentAt: number): void {
    this.current = 'leading'
    this.epoch = revision
    this.writtenAt = sentAt
    this.armExpiry()
    this.announce(this.o.self, revision)
    this.o.onElected(revision)
    this.schedule(this.refreshMs)
  }

  /**
   * A refresh whose request hangs (a KV request waits for its timeout, often longer than the
   * lease) must not keep this master acting past the lease: whoever takes the expired key would
   * act too. So the deadline is a timer of its own, not the refresh's answer.
   */
  private armExpiry(): void {
    this.o.clock.clearTimeout(this.expiryTimer)
    const margin = Math.min(this.pollMs, Math.floor((this.o.leaseMs - this.refreshMs) / 2))
    const deadline = this.writtenAt + this.o.leaseMs - Math.max(1, margin)
    this.expiryTimer = this.o.clock.setTimeout(() => {
      if (this.isLeading() && this.o.clock.now() >= deadline) this.stepDown('expired')
    }, Math.max(0, deadline - this.o.clock.now()))
  }

  private async refresh(): Promise<void> {
    const sentAt = this.o.clock.now()
    try {
      const revision = await this.o.store.update(encodeLeader(this.o.self), this.epoch!)
      if (!this.isLeading()) return
      if (revision === undefined) {
        this.stepDown('deposed')
        return
      }
      this.epoch = revision
      this.writtenAt = sentAt
      this.armExpiry()
      this.announce(this.o.self, revision)
      this.schedule(this.refreshMs)
    } catch (err) {
      this.o.onError?.(err)
      if (!this.isLeading()) return
      // Store unavailable: keep trying, but stop acting before the lease can have expired.
      const left = this.writtenAt + this.o.leaseMs - this.o.clock.now()
      if (left <= this.pollMs) this.stepDown('expired')
      else this.schedule(Math.min(this.pollMs, left - this.pollMs))
    }
  }

  private stepDown(reason: 'deposed' | 'expired'): void {
    this.o.clock.clearTimeout(this.expiryTimer)
    this.current = 'standby'
    this.epoch = undefined
    this.o.onDeposed(reason)
    this.announce(undefined, undefined)
    this.schedule(this.pollMs)
  }

  private announce(leader: LeaderInfo | undefined, epoch: number | undefined): void {
    const key = leader ? `${leader.pid}#${epoch}` : ''
    // Refreshes bump the revision every few seconds: report a change of leader, not each refresh.
    const leaderPart = leader?.pid ?? ''
    if (leaderPart === this.leaderKey.split('#')[0] && key !== '' && this.leaderKey !== '') {
      this.leaderKey = key
      return
    }
    this.leaderKey = key
    this.o.onLeader?.(leader, epoch)
  }
}
