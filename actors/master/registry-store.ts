// The master's persistent registry (Mesos's registrar over the replicated log; here JetStream
// KV, DESIGN.md section 4): admitted agents, frameworks with their failover timeouts, quota and
// weights, one key per entity so 10,000 agents are 10,000 small values, not one giant one.
// This file holds the store interface, the keys and the entry codec; no NATS here (cluster/
// implements the JetStream store, memory-registry-store.ts the in-memory one).
//
// Fencing. KV has no multi-key transaction, so every term of leadership takes a fence key in
// the registry itself: a new leader, once elected on the lease (revision = epoch), writes the
// `fence` key with compare-and-set on the revision it read. From then on every write of the term
// (put or delete) is conditional on the registry's whole history: the JetStream store makes each
// one expect the stream's last message to be the term's own previous write (headers
// Nats-Expected-Last-Sequence and Nats-Expected-Last-Msg-Id, in JetStream since 2.2), the first
// one the term's fence write. Only the leader writes the registry, so its chain is unbroken
// while it leads; a successor's fence write breaks it, and every write the deposed leader makes
// after that, including puts already in flight, is refused by the server entry by entry (there
// is no window left between a check and a write: the check is part of each write). It then
// fails with RegistryFencedError and steps down. One of its own writes failing (a timeout, a
// server dying mid-batch) breaks its chain too: then the store looks at the stream's last
// message and the fence key, and carries on if the fence is still this term's.
// On an R3 stream the server checks these headers when each replica applies the write, in raft
// order, so every replica agrees on what was refused; the reads that decide whether the fence
// is still this term's go to the stream leader, never to a possibly lagging replica.
import { Type, type Static, type TSchema } from '@sinclair/typebox'
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler'
import { AgentInfo, FrameworkInfo } from '../protocol/index.js'

/** One write of a batch: a put, or a delete when `value` is undefined. */
export interface RegistryWrite {
  readonly key: string
  readonly value: Uint8Array | undefined
}

export interface RegistryEntry {
  readonly key: string
  readonly value: Uint8Array
}

/** A term's hold on the registry: what `fence` returned; `revision` moves on as the term writes. */
export interface RegistryFence {
  readonly epoch: number
  revision: number
}

export interface RegistryStore {
  /** Takes the registry for a new term (see the fencing note above); rejects if another term took it meanwhile. */
  fence(epoch: number): Promise<RegistryFence>
  /** Every entry but the fence key. */
  load(): Promise<RegistryEntry[]>
  /**
   * Applies the batch in order (a key appears at most once) under `fence`. Rejects with
   * RegistryFencedError when a later term took the registry, with another error when the store
   * is unavailable (then some of the batch may have been applied: writes are idempotent puts).
   */
  write(batch: readonly RegistryWrite[], fence: RegistryFence): Promise<void>
}

export class RegistryError extends Error {
  override name = 'RegistryError'
}

/** A later leader took the registry: this master must stop acting as leader. */
export class RegistryFencedError extends RegistryError {
  override name = 'RegistryFencedError'
  constructor(readonly epoch: number, detail: string) {
    super(`registry write refused: a later leader took the registry (this master's epoch ${epoch}; ${detail})`)
  }
}

/** An entry that cannot be decoded: names its key; the rest of the registry is unaffected. */
export class RegistryCorruptError extends RegistryError {
  override name = 'RegistryCorruptError'
  constructor(readonly key: string, readonly reason: string) {
    super(`registry entry '${key}' is corrupt: ${reason}`)
  }
}

export const FENCE_KEY = 'fence'

// ---- keys -------------------------------------------------------------------------------------

// KV keys allow [-/_=.a-zA-Z0-9] with '.' separating tokens; ids and roles are user input
// (FrameworkID, hierarchical roles `a/b`), so anything beyond [A-Za-z0-9_-] goes base64url
// behind a '=' marker.
const PLAIN = /^[A-Za-z0-9_-]+$/

function encodeToken(s: string): string {
  return PLAIN.test(s) ? s : `=${Buffer.from(s, 'utf8').toString('base64url')}`
}

function decodeToken(t: string): string {
  return t.startsWith('=') ? Buffer.from(t.slice(1), 'base64url').toString('utf8') : t
}

export type RegistryKind = 'agents' | 'frameworks' | 'quota' | 'weights'
const KINDS: readonly RegistryKind[] = ['agents', 'frameworks', 'quota', 'weights']

export function registryKey(kind: RegistryKind, id: string): string {
  return `${kind}.${encodeToken(id)}`
}

export function parseRegistryKey(key: string): { kind: RegistryKind; id: string } | undefined {
  const dot = key.indexOf('.')
  const kind = key.slice(0, dot) as RegistryKind
  if (dot < 0 || !KINDS.includes(kind)) return undefined
  return { kind, id: decodeToken(key.slice(dot + 1)) }
}

// ---- entries ----------------------------------------------------------------------------------

export const AgentEntry = Type.Object({
  id: Type.String({ minLength: 1 }),
  info: AgentInfo,
  pid: Type.String(),
  version: Type.String(),
  /** ms since the epoch */
  registered_at: Type.Number(),
  /** Set when the agent was marked unreachable (missed pings, or did not reregister after a failover). */
  unreachable_at: Type.Optional(Type.Number()),
  /** Set when the operator marked it gone: refused for good. */
  gone_at: Type.Optional(Type.Number()),
})
export type AgentEntry = Static<typeof AgentEntry>

export const FrameworkEntry = Type.Object({
  id: Type.String({ minLength: 1 }),
  /** Carries failover_timeout, roles and capabilities. */
  info: FrameworkInfo,
  pid: Type.String(),
  registered_at: Type.Number(),
})
export type FrameworkEntry = Static<typeof FrameworkEntry>

/** Quantities in thousandths, as OperatorState holds them. */
export const QuotaEntry = Type.Object({
  role: Type.String({ minLength: 1 }),
  guarantees: Type.Record(Type.String(), Type.Number()),
  limits: Type.Record(Type.String(), Type.Number()),
})
export type QuotaEntry = Static<typeof QuotaEntry>

export const WeightEntry = Type.Object({ role: Type.String({ minLength: 1 }), weight: Type.Number({ exclusiveMinimum: 0 }) })
export type WeightEntry = Static<typeof WeightEntry>

export interface RegistryEntities {
  agents: AgentEntry
  frameworks: FrameworkEntry
  quota: QuotaEntry
  weights: WeightEntry
}

const CHECKS: { [K in RegistryKind]: TypeCheck<TSchema> } = {
  agents: TypeCompiler.Compile(AgentEntry),
  frameworks: TypeCompiler.Compile(FrameworkEntry),
  quota: TypeCompiler.Compile(QuotaEntry),
  weights: TypeCompiler.Compile(WeightEntry),
}

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

/** JSON, so an operator can read an entry with `nats kv get`. */
export function encodeEntry<K extends RegistryKind>(kind: K, id: string, entry: RegistryEntities[K]): RegistryWrite {
  return { key: registryKey(kind, id), value: encoder.encode(JSON.stringify(entry)) }
}

export function deleteEntry(kind: RegistryKind, id: string): RegistryWrite {
  return { key: registryKey(kind, id), value: undefined }
}

export type DecodedEntry = { [K in RegistryKind]: { kind: K; id: string; entry: RegistryEntities[K] } }[RegistryKind]

/** Decodes and checks one entry; throws RegistryCorruptError naming the key and what is wrong. */
export function decodeEntry(key: string, value: Uint8Array): DecodedEntry {
  const parsed = parseRegistryKey(key)
  if (!parsed) throw new RegistryCorruptError(key, `unknown key (expected ${KINDS.map(k => `${k}.<id>`).join(', ')})`)
  let json: unknown
  try {
    json = JSON.parse(decoder.decode(value))
  } catch (err) {
    throw new RegistryCorruptError(key, `not JSON (${(err as Error).message})`)
  }
  const check = CHECKS[parsed.kind]
  if (!check.Check(json)) {
    const first = check.Errors(json).First()
    throw new RegistryCorruptError(key, first ? `${first.path || '/'}: ${first.message}` : 'does not match its schema')
  }
  const entry = json as { id?: string; role?: string }
  const own = entry.id ?? entry.role
  if (own !== parsed.id) throw new RegistryCorruptError(key, `holds '${own}', not '${parsed.id}'`)
  return { kind: parsed.kind, id: parsed.id, entry: json } as DecodedEntry
}
