// Leader election among masters on a lease key (DESIGN.md section 4): created with
// put-if-absent, refreshed with compare-and-set on its revision, lost when not refreshed. The
// revision is the fencing token (the epoch): a deposed leader's next refresh fails and it steps
// down. A standby does not wait for the store to expire a dead leader's key (nats-server's bucket
// TTL, then a poll): it takes over by observation, with compare-and-set on a revision it has seen
// unchanged for a whole lease (see contend()). Pure logic over a LeaseStore and a Clock, so tests
// and the simulation drive it in virtual time; cluster/ provides the JetStream KV store.
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
  /**
   * Set once the leader has fenced and recovered its registry and its master actor runs: agents
   * and frameworks go to a leader only then (before, their reregistrations would be dropped and
   * retried with backoff, costing seconds of failover).
   */
  serving?: boolean
  /**
   * The term's lease epoch (the revision its lease began at), once it serves. A re-elected master
   * keeps its pid, so agents tell its terms apart by this (they stamp it on what they send).
   */
  epoch?: number
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
  /**
   * How often standbys read the key (default 100 ms: one cheap single-key get). A dead leader is
   * replaced at most one poll after a lease of seeing its revision unchanged.
   */
  pollMs?: number
  onElected(epoch: number): void
  /** Leadership is gone: a lost CAS (`deposed`), or no successful refresh before expiry (`expired`). */
  onDeposed(reason: 'deposed' | 'expired' | 'stopped'): void
  /** Whoever leads now (undefined: nobody holds the lease), whenever that changes. */
  onLeader?(leader: LeaderInfo | undefined, epoch: number | undefined): void
  /**
   * The instant (this election's clock) until which this process may act as leader, each time it
   * moves: on election and every refresh; undefined once it must stop. For a process that checks
   * its lease somewhere other than in these callbacks (a main thread reading a shared deadline).
   */
  onLease?(deadline: number | undefined): void
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
  /** The lease revision a standby sees and when (its clock) it first read it: see contend(). */
  private observed: { revision: number; at: number } | undefined
  /** This term's master serves (serve()); `servingWritten`: the lease value says so. */
  private serving = false
  /** The revision this term's lease began at (refreshes move `epoch`, not this). */
  private termEpoch: number | undefined
  private servingWritten = false
  private readonly refreshMs: number
  private readonly pollMs: number

  constructor(private readonly o: ElectionOptions) {
    this.refreshMs = Math.max(1, Math.floor(o.leaseMs * (o.refreshFraction ?? 0.75)))
    this.pollMs = o.pollMs ?? 100
  }

  get state(): ElectionState {
    return this.current
  }

  /** The revision of the lease while leading: stamp it on what the leader sends. */
  get leaderEpoch(): number | undefined {
    return this.current === 'leading' ? this.epoch : undefined
  }

  /**
   * The lease deadline by this election's clock while leading: stop acting at this instant unless
   * a refresh moved it (undefined when not leading).
   */
  get deadline(): number | undefined {
    return this.isLeading() ? this.writtenAt + this.o.leaseMs - this.margin() : undefined
  }

  /**
   * This term's master has recovered and runs: write `serving: true` into the lease at once (an
   * extra refresh), so detectors appoint it now rather than at the next refresh.
   */
  serve(): void {
    if (!this.isLeading() || this.serving) return
    this.serving = true
    if (!this.busy) this.schedule(0)
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
      this.o.onLease?.(undefined)
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

  /**
   * Takeover by observation: a revision this standby has seen unchanged for leaseMs, counted from
   * when its first read of it returned, may be taken with compare-and-set on that revision. Safe:
   * the leader wrote that revision before the read returned, and it stops acting at (the send time
   * of that write) + leaseMs - margin by its own clock, so before first-read + leaseMs. Only the
   * two clocks' rates matter (each measures a duration from its own instant), never their offset;
   * the margin absorbs a rate difference of margin/leaseMs (100 ms in 3 s: 3 %). A refresh that
   * lands meanwhile moves the revision: the CAS fails, and the observation starts over.
   */
  private async contend(): Promise<void> {
    try {
      const existing = await this.o.store.get()
      const readAt = this.o.clock.now()
      if (this.isStopped()) return
      if (existing) {
        if (this.observed?.revision !== existing.revision) this.observed = { revision: existing.revision, at: readAt }
        if (readAt - this.observed.at < this.o.leaseMs) {
          this.standby(existing)
          return
        }
        const sentAt = this.o.clock.now()
        const revision = await this.o.store.update(this.value(), existing.revision)
        if (this.isStopped()) return
        if (revision === undefined) {
          // The leader refreshed, or another standby took it first: read who, next round.
          this.standby(existing)
          return
        }
        this.lead(revision, sentAt)
        return
      }
      this.observed = undefined
      const sentAt = this.o.clock.now()
      const revision = await this.o.store.create(this.value())
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

  private value(): Uint8Array {
    return encodeLeader({ ...this.o.self, serving: this.serving, ...(this.serving ? { epoch: this.termEpoch } : {}) })
  }

  private lead(revision: number, sentAt: number): void {
    this.current = 'leading'
    this.epoch = revision
    this.termEpoch = revision
    this.writtenAt = sentAt
    this.observed = undefined
    this.serving = false
    this.servingWritten = false
    this.armExpiry()
    this.announce({ ...this.o.self, serving: false }, revision)
    this.o.onElected(revision)
    this.schedule(this.refreshMs)
  }

  /**
   * A refresh whose request hangs (a KV request waits for its timeout, often longer than the
   * lease) must not keep this master acting past the lease: whoever takes the expired key would
   * act too. So the deadline is a timer of its own, not the refresh's answer.
   */
  private margin(): number {
    return Math.max(1, Math.min(this.pollMs, Math.floor((this.o.leaseMs - this.refreshMs) / 2)))
  }

  private armExpiry(): void {
    this.o.clock.clearTimeout(this.expiryTimer)
    const deadline = this.writtenAt + this.o.leaseMs - this.margin()
    this.o.onLease?.(deadline)
    this.expiryTimer = this.o.clock.setTimeout(() => {
      if (this.isLeading() && this.o.clock.now() >= deadline) this.stepDown('expired')
    }, Math.max(0, deadline - this.o.clock.now()))
  }

  private async refresh(): Promise<void> {
    const sentAt = this.o.clock.now()
    const serving = this.serving
    try {
      const revision = await this.o.store.update(this.value(), this.epoch!)
      if (!this.isLeading()) return
      if (revision === undefined) {
        this.stepDown('deposed')
        return
      }
      this.epoch = revision
      this.writtenAt = sentAt
      this.servingWritten = serving
      this.armExpiry()
      this.announce({ ...this.o.self, serving }, revision)
      // serve() was called while this refresh was in flight: announce it now, not a refresh later.
      this.schedule(this.serving && !this.servingWritten ? 0 : this.refreshMs)
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
    this.serving = false
    this.servingWritten = false
    this.o.onLease?.(undefined)
    this.o.onDeposed(reason)
    this.announce(undefined, undefined)
    this.schedule(this.pollMs)
  }

  /** Refreshes bump the revision every few seconds: report a change of leader (or of its serving), not each refresh. */
  private announce(leader: LeaderInfo | undefined, epoch: number | undefined): void {
    const key = leader ? `${leader.pid}|${leader.serving === true}` : ''
    if (key === this.leaderKey) return
    this.leaderKey = key
    this.o.onLeader?.(leader, epoch)
  }
}
