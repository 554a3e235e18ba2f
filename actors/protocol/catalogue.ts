// What a message catalogue is and how catalogues combine. A catalogue maps each message type
// name (the envelope's `type`, which is also the XState event type) to the schema of its body;
// the runtime's SchemaRegistry.registerAll() takes one as is.
import type { Static, TSchema } from '@sinclair/typebox'
import type { MessageEvent } from '../../runtime/index.js'

export type Catalogue = Readonly<Record<string, TSchema>>

/** The body type of message `T` in catalogue `C`. */
export type BodyOf<C extends Catalogue, T extends keyof C> = Static<C[T]>

/**
 * The XState events an actor receives for the messages of catalogue `C`, as the runtime
 * delivers them: a union discriminated by `type`, e.g.
 * `CatalogueEvent<Pick<typeof AgentMessages, 'RegisterAgent' | 'Pong'>>`.
 */
export type CatalogueEvent<C extends Catalogue> = {
  [T in keyof C & string]: MessageEvent<T, Static<C[T]>>
}[keyof C & string]

/** Two catalogues define the same message type with different schemas. */
export class CatalogueConflictError extends Error {
  readonly code = 'CATALOGUE_CONFLICT'
  readonly messageType: string
  constructor(messageType: string) {
    super(
      `message type '${messageType}' is defined twice with different schemas; ` +
        'rename one, or share one schema object between the catalogues',
    )
    this.name = 'CatalogueConflictError'
    this.messageType = messageType
  }
}

type UnionToIntersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void
  ? I
  : never

/**
 * One catalogue holding every entry of `catalogues`. A type name may appear in several only
 * with the very same schema object (a message relayed along a path, e.g. StatusUpdate from
 * executor to agent to master), the rule SchemaRegistry enforces too; anything else throws
 * CatalogueConflictError, so a clash fails at module load rather than at the first message.
 */
export function mergeCatalogues<const C extends readonly Catalogue[]>(
  ...catalogues: C
): Readonly<UnionToIntersection<C[number]>> {
  const merged: Record<string, TSchema> = {}
  for (const catalogue of catalogues) {
    for (const [type, schema] of Object.entries(catalogue)) {
      const existing = merged[type]
      if (existing !== undefined && existing !== schema) throw new CatalogueConflictError(type)
      merged[type] = schema
    }
  }
  return Object.freeze(merged) as Readonly<UnionToIntersection<C[number]>>
}
