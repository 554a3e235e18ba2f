import { Packr, RESERVE_START_SPACE, Unpackr } from 'msgpackr'
import type { Envelope } from './envelope.js'
import type { Pid } from './pid.js'

/**
 * Envelope <-> bytes. Three layouts:
 *
 * - `binary` (the default): a small header written by hand, then the body in msgpack:
 *
 *       0xe0 | flags      flags: 1 = has id, 2 = has replyTo, 4 = body in msgpackr records
 *       type, from, to, [id], [replyTo]
 *                         each a length (1 byte < 0x80, or 2 bytes 0x80|hi, lo: up to 32767)
 *                         then that many bytes of UTF-8
 *       body              one msgpack value, to the end of the bytes
 *
 *   The header strings are few and repeat (a handful of types, the pids an actor talks to), so
 *   the encoder keeps their encoded bytes by string and the decoder keeps the last string it
 *   read per field, recognised by comparing the bytes: a burst decodes no header string at all.
 *   The body is packed straight after space msgpackr reserves for the header, so an envelope is
 *   still one subarray of msgpackr's buffer. Measured on the `Tick` envelope of
 *   `npm run bench -- runtime`, against `array` below, in the 1-process NATS path: msgpackr's
 *   share of the CPU profile went from 20% to 8% (see the comment on `decodeBody`).
 *   A body that holds a list of objects is written as msgpackr records (flag 4): each object
 *   shape's keys once per message, defined inline, so every message still decodes on its own (no
 *   structures are shared between messages or peers). A ReregisterAgent with 80 tasks: 53 KB as
 *   maps, 25 KB as records, decoded about 3x faster; after a master failover 10,000 of them
 *   arrive within a second. Small bodies stay maps: an inline definition costs more than the
 *   keys it saves (the runtime bench's envelopes encoded and decoded twice as slowly).
 * - `array`: `[type, from, to, body, id?, replyTo?]` in msgpack, the previous default.
 * - `map`/`records`: the envelope object as a msgpack map, for comparison.
 *
 * The first byte 0xc1 is never used by any layout: the NATS transport marks coalesced frames
 * with it.
 */
export type EnvelopeLayout = 'binary' | 'array' | 'map' | 'records'

export class DecodeError extends Error {
  constructor(reason: string) {
    super(reason)
    this.name = 'DecodeError'
  }
}

const BINARY_MARK = 0xe0
const FLAG_ID = 1
const FLAG_REPLY_TO = 2
const FLAG_RECORDS = 4
const MAX_HEADER_STRING = 0x7fff
/** msgpackr can reserve at most this many bytes in front of what it packs. */
const MAX_RESERVED = 0xff
/** Bodies up to this size are unpacked from a reused buffer (msgpackr's small-source fast paths stop at 140). */
const SMALL_BODY = 128
/** Bounds the encoder's header cache (pids of 10,000 agents fit; a flood of new ones cannot grow it). */
const HEADER_CACHE_SIZE = 20_000

/** Equal to no argument: the encoder's last-string slots start with it. */
const UNSET = Symbol('unset')

const utf8 = new TextEncoder()
const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

/** The last string read for one header field, with its bytes to recognise it next time. */
interface LastString {
  bytes: Uint8Array
  value: string
}

export class EnvelopeCodec {
  readonly layout: EnvelopeLayout
  private readonly packr: Packr
  /** Encoded header strings (length prefix + UTF-8) by string. */
  private readonly headerBytes = new Map<string, Uint8Array>()
  // The last string encoded per field, checked before the map: a burst repeats them, and
  // comparing a string to itself is cheaper than hashing it into a map.
  private typeText: unknown = UNSET
  private typeBytes: Uint8Array = new Uint8Array(0)
  private fromText: unknown = UNSET
  private fromBytes: Uint8Array = new Uint8Array(0)
  private toText: unknown = UNSET
  private toBytes: Uint8Array = new Uint8Array(0)
  private readonly lastType: LastString = { bytes: new Uint8Array(0), value: '' }
  private readonly lastFrom: LastString = { bytes: new Uint8Array(0), value: '' }
  private readonly lastTo: LastString = { bytes: new Uint8Array(0), value: '' }
  private readonly lastReplyTo: LastString = { bytes: new Uint8Array(0), value: '' }
  /** Where decodeBinary is in the header. */
  private at = 0
  /** Reused msgpackr options for unpacking a range of a larger buffer. */
  private readonly range = { start: 0, end: 0 }
  private viewBuffer: ArrayBufferLike | undefined
  private view: Uint8Array = new Uint8Array(0)
  private readonly scratch = new Uint8Array(SMALL_BODY)
  private readonly smallUnpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, copyBuffers: true })
  /**
   * The binary layout's bodies. A separate instance from the maps one: in a records decoder the
   * bytes 0x40-0x7f may name a record, in a maps decoder they are integers.
   */
  private readonly recordsPackr = new Packr({ useRecords: true, mapsAsObjects: true })
  private readonly smallRecordsUnpackr = new Unpackr({ useRecords: true, mapsAsObjects: true, copyBuffers: true })

  constructor(layout: EnvelopeLayout = 'binary') {
    this.layout = layout
    this.packr =
      layout === 'records'
        ? new Packr({ useRecords: true, sequential: true })
        : new Packr({ useRecords: false, mapsAsObjects: true })
  }

  encode(env: Envelope): Uint8Array {
    if (this.layout === 'binary') return this.encodeBinary(env.type, env.from, env.to, env.body, env.id, env.replyTo)
    if (this.layout !== 'array') return this.packr.pack(env)
    const { type, from, to, body, id, replyTo } = env
    if (replyTo !== undefined) return this.packr.pack([type, from, to, body, id ?? null, replyTo])
    if (id !== undefined) return this.packr.pack([type, from, to, body, id])
    return this.packr.pack([type, from, to, body])
  }

  /** encode() of the envelope these fields make, without making it (the runtime's send path). */
  encodeMessage(type: string, from: Pid, to: Pid, body: unknown, id?: string, replyTo?: Pid): Uint8Array {
    if (this.layout === 'binary') return this.encodeBinary(type, from, to, body, id, replyTo)
    const env: Envelope = { type, from, to, body }
    if (id !== undefined) env.id = id
    if (replyTo !== undefined) env.replyTo = replyTo
    return this.encode(env)
  }

  /** Throws DecodeError when the bytes are not an envelope; never returns a half-checked one. */
  decode(bytes: Uint8Array): Envelope {
    if (this.layout === 'binary') return this.decodeBinary(bytes, 0, bytes.length)
    return this.decodeMsgpack(bytes)
  }

  /** decode(buffer.subarray(start, end)), without making the subarray (see RangeHandler). */
  decodeRange(buffer: Uint8Array, start: number, end: number): Envelope {
    if (this.layout === 'binary') return this.decodeBinary(buffer, start, end)
    return this.decodeMsgpack(buffer.subarray(start, end))
  }

  private decodeMsgpack(bytes: Uint8Array): Envelope {
    let raw: unknown
    try {
      raw = this.packr.unpack(bytes)
    } catch (err) {
      throw new DecodeError(`undecodable msgpack (${(err as Error).message})`)
    }
    let env: Envelope
    if (this.layout === 'array') {
      if (!Array.isArray(raw) || raw.length < 4 || raw.length > 6) {
        throw new DecodeError('not an envelope (expected [type, from, to, body, id?, replyTo?])')
      }
      env = { type: raw[0], from: raw[1], to: raw[2], body: raw[3] }
      if (raw.length > 4 && raw[4] !== null) env.id = raw[4]
      if (raw.length > 5 && raw[5] !== null) env.replyTo = raw[5]
    } else {
      if (raw === null || typeof raw !== 'object') throw new DecodeError('not an envelope (expected a map)')
      env = raw as Envelope
    }
    if (typeof env.type !== 'string' || env.type.length === 0) throw new DecodeError('envelope type is not a string')
    if (typeof env.from !== 'string') throw new DecodeError('envelope from is not a string')
    if (typeof env.to !== 'string') throw new DecodeError('envelope to is not a string')
    if (env.id !== undefined && typeof env.id !== 'string') throw new DecodeError('envelope id is not a string')
    if (env.replyTo !== undefined && typeof env.replyTo !== 'string') throw new DecodeError('envelope replyTo is not a string')
    return env
  }

  // --- binary layout -------------------------------------------------------------------------

  private encodeBinary(typeText: string, fromText: Pid, toText: Pid, body: unknown, idText: string | undefined, replyToText: Pid | undefined): Uint8Array {
    let type = this.typeBytes
    if (typeText !== this.typeText) {
      type = this.typeBytes = this.headerString('type', typeText)
      this.typeText = typeText
    }
    if (type.length === 1) throw new TypeError('envelope type is empty')
    let from = this.fromBytes
    if (fromText !== this.fromText) {
      from = this.fromBytes = this.headerString('from', fromText)
      this.fromText = fromText
    }
    let to = this.toBytes
    if (toText !== this.toText) {
      to = this.toBytes = this.headerString('to', toText)
      this.toText = toText
    }
    const records = repeatsShapes(body)
    let flags = records ? FLAG_RECORDS : 0
    let size = 1 + type.length + from.length + to.length
    let id: Uint8Array | undefined
    let replyTo: Uint8Array | undefined
    if (idText !== undefined) {
      // Request ids are unique: encoded each time, never cached.
      id = lengthPrefixed('id', idText)
      flags |= FLAG_ID
      size += id.length
    }
    if (replyToText !== undefined) {
      replyTo = this.headerString('replyTo', replyToText)
      flags |= FLAG_REPLY_TO
      size += replyTo.length
    }
    let out: Uint8Array
    const packr = records ? this.recordsPackr : this.packr
    if (size <= MAX_RESERVED) {
      out = packr.pack(body, RESERVE_START_SPACE | size)
    } else {
      const packed = packr.pack(body)
      out = new Uint8Array(size + packed.length)
      out.set(packed, size)
    }
    out[0] = BINARY_MARK | flags
    let at = copyInto(out, 1, type)
    at = copyInto(out, at, from)
    at = copyInto(out, at, to)
    if (id !== undefined) at = copyInto(out, at, id)
    if (replyTo !== undefined) copyInto(out, at, replyTo)
    return out
  }

  private headerString(field: string, s: string): Uint8Array {
    let bytes = this.headerBytes.get(s)
    if (bytes === undefined) {
      bytes = lengthPrefixed(field, s)
      if (this.headerBytes.size >= HEADER_CACHE_SIZE) this.headerBytes.clear()
      this.headerBytes.set(s, bytes)
    }
    return bytes
  }

  private decodeBinary(src: Uint8Array, start: number, end: number): Envelope {
    if (!(start >= 0 && end <= src.length && start <= end)) throw new DecodeError(`range [${start}, ${end}) is outside the ${src.length} bytes`)
    const mark = src[start]
    if (end - start < 5 || mark === undefined || (mark & 0xf8) !== BINARY_MARK) {
      if (mark === 0xc1) throw new DecodeError('not an envelope (0xc1 marks a coalesced frame)')
      throw new DecodeError('not an envelope (expected a binary envelope header)')
    }
    this.at = start + 1
    const type = this.headerField(src, end, this.lastType, 'type')
    if (type.length === 0) throw new DecodeError('envelope type is empty')
    const from = this.headerField(src, end, this.lastFrom, 'from')
    const to = this.headerField(src, end, this.lastTo, 'to')
    // Request ids are unique: never worth remembering.
    const id = (mark & FLAG_ID) !== 0 ? this.headerField(src, end, undefined, 'id') : undefined
    const replyTo = (mark & FLAG_REPLY_TO) !== 0 ? this.headerField(src, end, this.lastReplyTo, 'replyTo') : undefined
    if (this.at >= end) throw new DecodeError('envelope has no body')
    const env: Envelope = { type, from, to, body: this.decodeBody(src, this.at, end, (mark & FLAG_RECORDS) !== 0) }
    if (id !== undefined) env.id = id
    if (replyTo !== undefined) env.replyTo = replyTo
    return env
  }

  /** Reads one length-prefixed header string at `this.at` (never past `end`) and moves past it. */
  private headerField(src: Uint8Array, end: number, last: LastString | undefined, field: string): string {
    let at = this.at
    if (at >= end) throw new DecodeError(`envelope ${field} is missing`)
    let n = src[at++]!
    if (n >= 0x80) {
      if (at >= end) throw new DecodeError(`envelope ${field} is missing`)
      n = ((n & 0x7f) << 8) | src[at++]!
    }
    if (at + n > end) throw new DecodeError(`envelope ${field} runs past the end`)
    this.at = at + n
    return last === undefined ? decodeString(src, at, n, field) : readString(src, at, n, last, field)
  }

  /**
   * Where the body's bytes are handed to msgpackr matters more than the unpacking itself.
   * msgpackr gives every source a DataView (and a property holding it), so a subarray per
   * message costs a DataView per message; and it picks its string strategy by the absolute end
   * offset in the source, so a range deep inside a NATS frame is treated as a big document
   * (native string extraction per map key instead of its key cache). A small body is therefore
   * copied to the start of one reused buffer (with copyBuffers on, so no decoded Uint8Array
   * points into it); a large one is read in place, as a range of one view over its whole
   * underlying buffer (one DataView per buffer, not per message).
   */
  private decodeBody(src: Uint8Array, at: number, end: number, records: boolean): unknown {
    const n = end - at
    try {
      if (n <= SMALL_BODY) {
        const scratch = this.scratch
        for (let i = 0; i < n; i++) scratch[i] = src[at + i]!
        return (records ? this.smallRecordsUnpackr : this.smallUnpackr).unpack(scratch, n)
      }
      const buffer = src.buffer
      if (buffer !== this.viewBuffer) {
        this.viewBuffer = buffer
        this.view = new Uint8Array(buffer)
      }
      const range = this.range
      range.start = src.byteOffset + at
      range.end = src.byteOffset + end
      return (records ? this.recordsPackr : this.packr).unpack(this.view, range)
    } catch (err) {
      throw new DecodeError(`undecodable msgpack body (${(err as Error).message})`)
    }
  }
}

/** Lists at least this long of objects make a body worth records. */
const RECORDS_MIN_LIST = 4

/** Whether the body (or one of its fields) is a list of objects, whose shape then repeats. Looks one level deep only: it runs per message. */
function repeatsShapes(body: unknown): boolean {
  if (typeof body !== 'object' || body === null) return false
  if (Array.isArray(body)) return isListOfObjects(body)
  for (const key in body) {
    const value = (body as Record<string, unknown>)[key]
    if (Array.isArray(value) && isListOfObjects(value)) return true
  }
  return false
}

function isListOfObjects(list: unknown[]): boolean {
  const first = list[0]
  return list.length >= RECORDS_MIN_LIST && typeof first === 'object' && first !== null && !ArrayBuffer.isView(first)
}

function lengthPrefixed(field: string, s: string): Uint8Array {
  if (typeof s !== 'string') throw new TypeError(`envelope ${field} is not a string`)
  const text = utf8.encode(s)
  const n = text.length
  if (n > MAX_HEADER_STRING) throw new RangeError(`envelope ${field} is ${n} bytes long (at most ${MAX_HEADER_STRING})`)
  const prefix = n < 0x80 ? 1 : 2
  const bytes = new Uint8Array(prefix + n)
  if (prefix === 1) bytes[0] = n
  else {
    bytes[0] = 0x80 | (n >> 8)
    bytes[1] = n & 0xff
  }
  bytes.set(text, prefix)
  return bytes
}

/** A byte loop: the strings are tens of bytes, where it beats `set`. */
function copyInto(out: Uint8Array, at: number, bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; i++) out[at++] = bytes[i]!
  return at
}

function readString(src: Uint8Array, at: number, n: number, last: LastString, field: string): string {
  const known = last.bytes
  if (known.length === n) {
    let i = 0
    while (i < n && known[i] === src[at + i]) i++
    if (i === n) return last.value
  }
  const value = decodeString(src, at, n, field)
  // A copy: `src` may be a Buffer (whose slice() is a view) over memory that gets reused.
  const bytes = new Uint8Array(n)
  for (let i = 0; i < n; i++) bytes[i] = src[at + i]!
  last.bytes = bytes
  last.value = value
  return value
}

function decodeString(src: Uint8Array, at: number, n: number, field: string): string {
  let ascii = ''
  for (let i = at; i < at + n; i++) {
    const b = src[i]!
    if (b >= 0x80) {
      try {
        return strictUtf8.decode(src.subarray(at, at + n))
      } catch {
        throw new DecodeError(`envelope ${field} is not valid UTF-8`)
      }
    }
    ascii += String.fromCharCode(b)
  }
  return ascii
}
