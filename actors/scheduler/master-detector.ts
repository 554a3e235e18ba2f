// How a scheduler finds the leading master. Today one is named up front (StaticMasterDetector);
// leader election through NATS JetStream KV (DESIGN.md section 4) will add a detector that
// watches the lease key and implements the same interface, so the SDK does not change.
import type { Pid } from '../../runtime/index.js'

/** Tells the scheduler which master leads, and when that changes (Mesos's MasterDetector). */
export interface MasterDetector {
  /** The leading master's pid now, or undefined while none is known. */
  current(): Pid | undefined
  /**
   * Calls `listener` after every change of leader (undefined: the leader is gone and no new one
   * is known yet). Returns a function that stops the calls.
   */
  onChange(listener: (master: Pid | undefined) => void): () => void
  /**
   * The leader's term (lease epoch), where the detector knows it. A master re-elected keeps its
   * pid: a new epoch of the same pid is a change too, and onChange reports it.
   */
  currentEpoch?(): number | undefined
}

/**
 * A detector that knows one master, given at construction. `appoint()` changes it by hand (a
 * test's master failover, or a CLI that was told of a new master).
 */
export class StaticMasterDetector implements MasterDetector {
  private master: Pid | undefined
  private epoch: number | undefined
  private readonly listeners = new Set<(master: Pid | undefined) => void>()

  constructor(master: Pid | undefined) {
    this.master = master
  }

  current(): Pid | undefined {
    return this.master
  }

  onChange(listener: (master: Pid | undefined) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  currentEpoch(): number | undefined {
    return this.epoch
  }

  /** Makes `master` the leader (undefined: none), of term `epoch` if known, and tells every listener, if either changed. */
  appoint(master: Pid | undefined, epoch?: number): void {
    if (master === this.master && epoch === this.epoch) return
    this.master = master
    this.epoch = epoch
    for (const listener of [...this.listeners]) listener(master)
  }
}
