import type { TSchema, Static } from '@sinclair/typebox'
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler'
import { ValidationError } from './errors.js'

/**
 * Message type -> compiled body check. The schema is the single source of a message's shape:
 * its TypeScript type is `Static<typeof Schema>` and the runtime validates inbound bodies with
 * the compiled form of the same schema before any actor sees them.
 */
export class SchemaRegistry {
  private readonly checks = new Map<string, TypeCheck<TSchema>>()
  private readonly schemas = new Map<string, TSchema>()

  register<S extends TSchema>(type: string, schema: S): void {
    const existing = this.schemas.get(type)
    if (existing === schema) return
    if (existing) throw new Error(`message type '${type}' is registered twice with different schemas`)
    this.schemas.set(type, schema)
    this.checks.set(type, TypeCompiler.Compile(schema))
  }

  /** Registers every entry of a `{ TypeName: Schema }` catalogue (how actors/protocol exports them). */
  registerAll(catalogue: Record<string, TSchema>): void {
    for (const [type, schema] of Object.entries(catalogue)) this.register(type, schema)
  }

  has(type: string): boolean {
    return this.checks.has(type)
  }

  schemaOf(type: string): TSchema | undefined {
    return this.schemas.get(type)
  }

  types(): string[] {
    return [...this.schemas.keys()]
  }

  /** undefined when valid; otherwise the first error, naming the path and the reason. */
  check(type: string, body: unknown): ValidationError | undefined {
    const check = this.checks.get(type)
    if (!check) return new ValidationError(type, '', 'is an unknown message type')
    if (check.Check(body)) return undefined
    const first = check.Errors(body).First()
    return new ValidationError(type, first?.path ?? '', first ? `${first.message}` : 'does not match its schema')
  }

  /** Throws ValidationError; for code that builds messages and wants a typed body back. */
  assert<S extends TSchema>(type: string, body: unknown): Static<S> {
    const err = this.check(type, body)
    if (err) throw err
    return body as Static<S>
  }
}
