import { Packr } from 'msgpackr'
import type { Envelope } from './envelope.js'

/**
 * Envelope <-> bytes with one reused msgpackr Packr. The envelope is written as a positional
 * array `[type, from, to, body, id?, replyTo?]`: `npm run bench -- codec` measured it against a
 * keyed map and msgpackr records (see bench/codec.ts), and the array is both the smallest and
 * the fastest for this shape, because no key strings are written or matched on decode.
 */
export type EnvelopeLayout = 'array' | 'map' | 'records'

export class DecodeError extends Error {
  constructor(reason: string) {
    super(reason)
    this.name = 'DecodeError'
  }
}

export class EnvelopeCodec {
  readonly layout: EnvelopeLayout
  private readonly packr: Packr

  constructor(layout: EnvelopeLayout = 'array') {
    this.layout = layout
    this.packr =
      layout === 'records'
        ? new Packr({ useRecords: true, sequential: true })
        : new Packr({ useRecords: false, mapsAsObjects: true })
  }

  encode(env: Envelope): Uint8Array {
    if (this.layout !== 'array') return this.packr.pack(env)
    const { type, from, to, body, id, replyTo } = env
    if (replyTo !== undefined) return this.packr.pack([type, from, to, body, id ?? null, replyTo])
    if (id !== undefined) return this.packr.pack([type, from, to, body, id])
    return this.packr.pack([type, from, to, body])
  }

  /** Throws DecodeError when the bytes are not an envelope; never returns a half-checked one. */
  decode(bytes: Uint8Array): Envelope {
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
}
