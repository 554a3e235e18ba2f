import { RuntimeError } from '../../runtime/index.js'

export type ConfigErrorCode =
  | 'UNKNOWN_FLAG'
  | 'UNKNOWN_KEY'
  | 'UNSUPPORTED_FLAG'
  | 'INVALID_VALUE'
  | 'MISSING_VALUE'
  | 'MISSING_REQUIRED'
  | 'DUPLICATE_FLAG'
  | 'DUPLICATE_KEY'
  | 'NEGATED_NON_BOOLEAN'
  | 'NEGATED_WITH_VALUE'
  | 'UNEXPECTED_ARGUMENT'
  | 'MALFORMED_LINE'
  | 'UNREADABLE_FILE'
  | 'DUPLICATE_HOST'

/** Where a setting came from, for messages and for `sources` in a parse result. */
export type FlagSource = 'command line' | 'environment' | 'config file' | 'default'

export interface ConfigErrorDetails {
  /** The flag or key as the user wrote it (without `--`), or the canonical name for a bad value. */
  key?: string
  /** The config or deploy file the problem is in. */
  file?: string
  /** 1-based line in `file`. */
  line?: number
  /** The closest known name, when the key is unknown and one is close. */
  suggestion?: string
  source?: FlagSource
  /** The offending value as given. */
  value?: string
}

/**
 * A configuration problem the operator must fix: one line that names the flag or key, where it
 * was set (file and line for a config file) and what was expected. Catch by class or `code`.
 */
export class ConfigError extends RuntimeError {
  override readonly code: ConfigErrorCode
  readonly key: string | undefined
  readonly file: string | undefined
  readonly line: number | undefined
  readonly suggestion: string | undefined
  readonly source: FlagSource | undefined
  readonly value: string | undefined
  constructor(code: ConfigErrorCode, message: string, details: ConfigErrorDetails = {}) {
    super(code, message)
    this.code = code
    this.key = details.key
    this.file = details.file
    this.line = details.line
    this.suggestion = details.suggestion
    this.source = details.source
    this.value = details.value
  }
}

/**
 * A value that does not parse as its type (`15s` for a duration). Thrown by the value parsers
 * (Duration.parse, Bytes.parse, parseMasterAddress, ...); the flag parser turns it into a
 * ConfigError that names the flag and where it was set.
 */
export class ValueError extends RangeError {
  /** What was wrong, if more can be said than "expected X". */
  readonly reason: string | undefined
  /** A corrected value, when the intent is clear (`15secs` for `15s`). */
  readonly suggestion: string | undefined
  constructor(reason?: string, suggestion?: string) {
    super(suggestion !== undefined ? `did you mean '${suggestion}'?` : (reason ?? 'invalid value'))
    this.name = 'ValueError'
    this.reason = reason
    this.suggestion = suggestion
  }
}
