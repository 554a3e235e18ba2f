/**
 * Errors of the resource model, caught by class (or `code`), never by message text.
 */

/** Text or JSON that is not a valid resource list; names the offending token and where it starts. */
export class ResourceParseError extends Error {
  readonly code = 'RESOURCE_PARSE'
  /** The piece of input at fault (`cpus:abc`, `[5-1]`, `$[0].scalar.value`). */
  readonly token: string
  /** Character offset of `token` in the text input; -1 for JSON input (the token is then a path). */
  readonly offset: number
  readonly reason: string

  constructor(reason: string, token: string, offset: number) {
    const where = offset >= 0 ? ` at offset ${offset}` : ''
    super(`invalid resources: ${reason}: '${token}'${where}`)
    this.name = 'ResourceParseError'
    this.token = token
    this.offset = offset
    this.reason = reason
  }
}

/** Arithmetic that Mesos forbids (subtracting what is not there, mixing types under one name). */
export class ResourceError extends Error {
  readonly code = 'RESOURCE'
  constructor(message: string) {
    super(message)
    this.name = 'ResourceError'
  }
}
