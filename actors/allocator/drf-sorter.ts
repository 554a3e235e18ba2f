import { Quantities } from '../resources/index.js'
import { ScalarIndex, addInto, isZero, subtractInto, type ScalarVector } from './scalar-vector.js'
import { SortedBlocks, type Block, type BlockEntry } from './sorted-blocks.js'

/**
 * The cluster's total scalar quantities, shared by the role sorter and every framework sorter
 * (Mesos adds each agent to all of them). A version number tells a sorter its shares are stale.
 */
export class SorterTotal {
  readonly index = new ScalarIndex()
  /** Total thousandths per resource name (by `index`). */
  readonly milli: ScalarVector = []
  version = 0

  add(q: Quantities | ScalarVector): void {
    addInto(this.milli, q instanceof Quantities ? this.index.fromQuantities(q) : q)
    this.version++
  }

  subtract(q: Quantities | ScalarVector): void {
    subtractInto(this.milli, q instanceof Quantities ? this.index.fromQuantities(q) : q)
    this.version++
  }
}

const VIRTUAL = '.'

class SorterNode implements BlockEntry {
  readonly children = new SortedBlocks<SorterNode>(before)
  block: Block<BlockEntry> | undefined = undefined
  /** Allocated thousandths per resource name (the sorter total's index). */
  readonly alloc: ScalarVector = []
  /** Allocations made to this node (Mesos's `allocation.count`): the first tie-breaker. */
  count = 0
  /** The (share, count) this node is positioned by in its parent's `children`. */
  share = 0
  sortCount = 0
  /** Active client leaves in this subtree (1 or 0 for a leaf). */
  activeLeaves = 0
  active = false
  pending = false

  constructor(
    public name: string,
    public path: string,
    public parent: SorterNode | undefined,
    public kind: 'leaf' | 'internal',
  ) {}

  /** The client a leaf stands for: a virtual leaf `eng/.` stands for `eng`. */
  clientPath(): string {
    return this.name === VIRTUAL ? this.parent!.path : this.path
  }
}

function before(a: SorterNode, b: SorterNode): boolean {
  if (a.share !== b.share) return a.share < b.share
  if (a.sortCount !== b.sortCount) return a.sortCount < b.sortCount
  return a.path < b.path
}

/**
 * Weighted Dominant Resource Fairness over a tree of clients (Mesos's DRFSorter). A client's
 * share is max over resources of allocation / cluster total, divided by its weight; ties go to the
 * client with fewer allocations, then to the smaller name. With `hierarchical`, client names are
 * role paths (`eng/frontend`): siblings compete by their subtree's allocation, and a role that has
 * both its own frameworks and sub-roles competes with its children through a virtual leaf `eng/.`
 * of weight 1, as in Mesos.
 *
 * Shares are kept incrementally: an allocation change repositions only the changed nodes (binary
 * search in the parent's sorted children) instead of re-sorting per agent as Mesos does; only a
 * change of the cluster total (agents added or removed) re-sorts everything, once, lazily.
 * Repositioning is deferred to the next traversal, so a traversal sees the order as it was when
 * it began: the same snapshot semantics as Mesos's `sort()` returning a vector.
 */
export class DrfSorter {
  private readonly root = new SorterNode('', '', undefined, 'internal')
  private readonly leaves = new Map<string, SorterNode>()
  private readonly weights = new Map<string, number>()
  private readonly pendingNodes: SorterNode[] = []
  private totalVersion = -1

  constructor(
    private readonly total: SorterTotal,
    private readonly hierarchical: boolean,
  ) {}

  contains(client: string): boolean {
    return this.leaves.has(client)
  }

  get size(): number {
    return this.leaves.size
  }

  clients(): IterableIterator<string> {
    return this.leaves.keys()
  }

  add(client: string): void {
    if (this.leaves.has(client)) return
    this.flush()
    const names = this.hierarchical ? client.split('/') : [client]
    let cur = this.root
    let path = ''
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!
      path = path === '' ? name : `${path}/${name}`
      const last = i === names.length - 1
      if (cur.kind === 'leaf') this.convertToInternal(cur)
      let child: SorterNode | undefined = cur.children.find(c => c.name === name)
      if (!child) {
        child = new SorterNode(name, path, cur, last ? 'leaf' : 'internal')
        this.insertChild(cur, child)
      } else if (last && child.kind === 'internal') {
        const leaf = new SorterNode(VIRTUAL, `${path}/${VIRTUAL}`, child, 'leaf')
        this.insertChild(child, leaf)
        child = leaf
      }
      cur = child
    }
    this.leaves.set(client, cur)
  }

  /** Removes a client; its allocation must already be zero or is dropped with it. */
  remove(client: string): void {
    const leaf = this.leaves.get(client)
    if (!leaf) return
    this.flush()
    if (leaf.active) this.setActive(leaf, false)
    this.subtractAlongPath(leaf, [...leaf.alloc])
    this.leaves.delete(client)
    let parent = leaf.parent!
    this.removeChild(parent, leaf)
    while (parent !== this.root) {
      if (parent.children.size === 0) {
        const empty = parent
        parent = empty.parent!
        this.removeChild(parent, empty)
        continue
      }
      const only = parent.children.size === 1 ? parent.children.blocks[0]!.items[0]! : undefined
      if (only && only.name === VIRTUAL) {
        const virtual = only
        parent.children.remove(virtual)
        virtual.parent = undefined
        // As in Mesos, the node keeps its own allocation count (the subtree's history).
        parent.kind = 'leaf'
        parent.active = virtual.active
        this.leaves.set(parent.path, parent)
      }
      break
    }
    this.reposition(parent)
  }

  activate(client: string): void {
    const leaf = this.leaves.get(client)
    if (leaf && !leaf.active) this.setActive(leaf, true)
  }

  deactivate(client: string): void {
    const leaf = this.leaves.get(client)
    if (leaf && leaf.active) this.setActive(leaf, false)
  }

  isActive(client: string): boolean {
    return this.leaves.get(client)?.active ?? false
  }

  /** Weight of a role path (default 1). Takes effect at the next traversal. */
  updateWeight(path: string, weight: number): void {
    if (weight === 1) this.weights.delete(path)
    else this.weights.set(path, weight)
    this.totalVersion = -1
  }

  weightOf(path: string): number {
    return this.weights.size === 0 ? 1 : (this.weights.get(path) ?? 1)
  }

  /** Adds to a client's allocation (and its ancestors'), counting one allocation. */
  allocated(client: string, q: Quantities | ScalarVector): void {
    const leaf = this.leaves.get(client)
    if (!leaf) throw new Error(`sorter has no client '${client}'`)
    const v = q instanceof Quantities ? this.total.index.fromQuantities(q) : q
    for (let n: SorterNode | undefined = leaf; n && n !== this.root; n = n.parent) {
      addInto(n.alloc, v)
      n.count++
      this.markPending(n)
    }
  }

  /** Takes back part of a client's allocation. */
  unallocated(client: string, q: Quantities | ScalarVector): void {
    const leaf = this.leaves.get(client)
    if (!leaf) throw new Error(`sorter has no client '${client}'`)
    this.subtractAlongPath(leaf, q instanceof Quantities ? this.total.index.fromQuantities(q) : q)
  }

  /** A client's allocated scalar quantities (thousandths), by name. */
  allocation(client: string): Map<string, number> {
    const out = new Map<string, number>()
    const v = this.leaves.get(client)?.alloc ?? []
    for (let i = 0; i < v.length; i++) if (v[i]! > 0) out.set(this.total.index.names[i]!, v[i]!)
    return out
  }

  /** Whether a client holds anything. */
  hasAllocation(client: string): boolean {
    const leaf = this.leaves.get(client)
    return leaf !== undefined && !isZero(leaf.alloc)
  }

  /** A client's current weighted dominant share. */
  shareOf(client: string): number {
    const leaf = this.leaves.get(client)
    return leaf ? this.computeShare(leaf) : 0
  }

  /** Active clients in DRF order (a copy; the allocator walks with `forEachActive`). */
  sort(): string[] {
    const out: string[] = []
    this.forEachActive(c => {
      out.push(c)
    })
    return out
  }

  /**
   * Visits active clients in DRF order, pre-order through the tree; `visit` returns false to stop.
   * Allocation changes made while visiting take effect at the next traversal.
   */
  forEachActive(visit: (client: string) => boolean | void): void {
    this.prepare()
    this.walk(this.root, visit)
  }

  private walk(node: SorterNode, visit: (client: string) => boolean | void): boolean {
    const blocks = node.children.blocks
    for (let b = 0; b < blocks.length; b++) {
      const items = blocks[b]!.items
      for (let i = 0; i < items.length; i++) {
        const c = items[i]!
        if (c.activeLeaves === 0) continue
        if (c.kind === 'leaf') {
          if (visit(c.clientPath()) === false) return false
        } else if (!this.walk(c, visit)) return false
      }
    }
    return true
  }

  /** Applies deferred repositioning, or re-sorts everything after a total or weight change. */
  private prepare(): void {
    if (this.totalVersion !== this.total.version) {
      this.totalVersion = this.total.version
      for (const n of this.pendingNodes) n.pending = false
      this.pendingNodes.length = 0
      this.resortAll(this.root)
      return
    }
    this.flush()
  }

  private flush(): void {
    const nodes = this.pendingNodes
    if (nodes.length === 0) return
    // Repositioning marks nothing pending, so the list can be walked and cleared in place.
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i]!
      n.pending = false
      if (n.parent) this.reposition(n)
    }
    nodes.length = 0
  }

  private resortAll(node: SorterNode): void {
    const all = node.children.toArray()
    for (const c of all) {
      c.share = this.computeShare(c)
      c.sortCount = c.count
      if (c.kind === 'internal') this.resortAll(c)
    }
    node.children.rebuild(all)
  }

  private computeShare(n: SorterNode): number {
    let share = 0
    const total = this.total.milli
    const alloc = n.alloc
    const len = Math.min(total.length, alloc.length)
    for (let i = 0; i < len; i++) {
      const t = total[i]!
      if (t <= 0) continue
      const s = alloc[i]! / t
      if (s > share) share = s
    }
    return share / this.weightOf(n.path)
  }

  private markPending(n: SorterNode): void {
    if (!n.pending) {
      n.pending = true
      this.pendingNodes.push(n)
    }
  }

  /** Moves `n` to where its current share and count put it among its siblings. */
  private reposition(n: SorterNode): void {
    const parent = n.parent
    if (!parent) return
    const share = this.computeShare(n)
    if (share === n.share && n.count === n.sortCount) return
    parent.children.remove(n)
    n.share = share
    n.sortCount = n.count
    parent.children.insert(n)
  }

  private insertChild(parent: SorterNode, child: SorterNode): void {
    child.share = this.computeShare(child)
    child.sortCount = child.count
    parent.children.insert(child)
  }

  private removeChild(parent: SorterNode, child: SorterNode): void {
    parent.children.remove(child)
    child.parent = undefined
  }

  /** A client leaf gains a sub-role: it becomes internal, its own allocation moves to a virtual leaf. */
  private convertToInternal(node: SorterNode): void {
    const virtual = new SorterNode(VIRTUAL, `${node.path}/${VIRTUAL}`, node, 'leaf')
    addInto(virtual.alloc, node.alloc)
    virtual.count = node.count
    virtual.active = node.active
    virtual.activeLeaves = node.active ? 1 : 0
    node.kind = 'internal'
    node.active = false
    this.insertChild(node, virtual)
    this.leaves.set(node.path, virtual)
  }

  private setActive(leaf: SorterNode, active: boolean): void {
    leaf.active = active
    const d = active ? 1 : -1
    for (let n: SorterNode | undefined = leaf; n; n = n.parent) n.activeLeaves += d
  }

  private subtractAlongPath(leaf: SorterNode, v: readonly number[]): void {
    for (let n: SorterNode | undefined = leaf; n && n !== this.root; n = n.parent) {
      subtractInto(n.alloc, v)
      this.markPending(n)
    }
  }
}
