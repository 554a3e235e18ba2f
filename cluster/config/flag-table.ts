// The declarative flag tables: each command lists its flags once (name, type, default, help,
// checks), and both the parser and the --help text read that one table. The TypeScript type of a
// parsed command line is derived from the table, so `flags.agent_ping_timeout` is a Duration and
// `flags.resources` is `string | undefined` without anyone writing an interface by hand.

import type { Bytes } from './bytes.js'
import type { Duration } from './duration.js'

/**
 * Returns undefined when the value is acceptable, else what was expected
 * (`'a host:port or nats:// URL'`), which becomes `--flag: expected <that>, got '<value>'`.
 */
export type Check<T> = (value: T) => string | undefined

interface FlagCommon {
  readonly help: string
  /** Older names still accepted with a deprecation warning, as Mesos keeps `slave_*` names. */
  readonly aliases?: readonly string[]
  /** A heading in --help (`Logging`, `NATS`, ...); flags without one are listed under the command. */
  readonly group?: string
  /** Replaces the type in --help's `--name=<placeholder>`. */
  readonly placeholder?: string
  /** Parsing fails when a required flag is set nowhere. */
  readonly required?: boolean
}

export interface StringFlag extends FlagCommon {
  readonly kind: 'string'
  readonly default?: string
  readonly validate?: Check<string>
}

/** A filesystem path. Unlike other values, `file://...` is not read: the path is the value. */
export interface PathFlag extends FlagCommon {
  readonly kind: 'path'
  readonly default?: string
  readonly validate?: Check<string>
}

export interface IntFlag extends FlagCommon {
  readonly kind: 'int'
  readonly default?: number
  readonly min?: number
  readonly max?: number
  readonly validate?: Check<number>
}

export interface NumberFlag extends FlagCommon {
  readonly kind: 'number'
  readonly default?: number
  readonly min?: number
  readonly max?: number
  readonly validate?: Check<number>
}

/** `--name`, `--name=true|false|1|0`, `--no-name`; always has a default, as in Mesos. */
export interface BoolFlag extends FlagCommon {
  readonly kind: 'bool'
  readonly default: boolean
}

/** Written as Mesos writes it: the default is the text an operator would type (`'15secs'`). */
export interface DurationFlag extends FlagCommon {
  readonly kind: 'duration'
  readonly default?: string
  readonly min?: string
  readonly max?: string
  readonly validate?: Check<Duration>
}

export interface BytesFlag extends FlagCommon {
  readonly kind: 'bytes'
  readonly default?: string
  readonly min?: string
  readonly max?: string
  readonly validate?: Check<Bytes>
}

export interface EnumFlag<V extends string = string> extends FlagCommon {
  readonly kind: 'enum'
  readonly values: readonly V[]
  readonly default?: NoInfer<V>
  /** Accept `info` for `INFO`; the parsed value is always spelled as in `values`. */
  readonly caseInsensitive?: boolean
}

/** Comma-separated (`posix/cpu,posix/mem`); the default is written the same way. */
export interface ListFlag extends FlagCommon {
  readonly kind: 'list'
  readonly default?: string
  /** Checks each item. */
  readonly validateItem?: Check<string>
}

/** On, off, or on with a value: `--nats` (true), `--no-nats` (false), `--nats=nats://h:4222`. */
export interface SwitchFlag extends FlagCommon {
  readonly kind: 'switch'
  readonly default: boolean | string
  readonly validate?: Check<string>
}

/** The config file location (`--config`, `MESOS_CONFIG`): read before the other flags. */
export interface ConfigFileFlag extends FlagCommon {
  readonly kind: 'config'
  readonly default?: string
}

/** Any other type: `parse` throws a ValueError for text it rejects; `expected` describes good text. */
export interface CustomFlag<T = unknown> extends FlagCommon {
  readonly kind: 'custom'
  readonly parse: (text: string) => T
  readonly expected: string
  /** Text, parsed like a given value. */
  readonly default?: string
}

export type AnyFlag =
  | StringFlag
  | PathFlag
  | IntFlag
  | NumberFlag
  | BoolFlag
  | DurationFlag
  | BytesFlag
  | EnumFlag
  | ListFlag
  | SwitchFlag
  | ConfigFileFlag
  | CustomFlag

export type FlagKind = AnyFlag['kind']

export type FlagTable = Readonly<Record<string, AnyFlag>>

/** The parsed type of one flag. */
export type FlagValue<F> = F extends { kind: 'int' | 'number' }
  ? number
  : F extends { kind: 'bool' }
    ? boolean
    : F extends { kind: 'duration' }
      ? Duration
      : F extends { kind: 'bytes' }
        ? Bytes
        : F extends { kind: 'enum'; values: readonly (infer V)[] }
          ? V
          : F extends { kind: 'list' }
            ? string[]
            : F extends { kind: 'switch' }
              ? boolean | string
              : F extends { kind: 'custom'; parse: (text: string) => infer T }
                ? T
                : string

/** The parsed flags of a table: a flag with a default (or required) is always set. */
export type Flags<T extends FlagTable> = {
  -readonly [K in keyof T]: T[K] extends { default: unknown } | { required: true } ? FlagValue<T[K]> : FlagValue<T[K]> | undefined
}

type Options<F extends AnyFlag> = Omit<F, 'kind'>

/**
 * Builders that keep the literal shape of each entry (whether it has a default, its enum
 * values), which is what lets Flags<T> type the parse result.
 */
export const flag = {
  string: <const O extends Options<StringFlag>>(o: O) => ({ ...o, kind: 'string' as const }),
  path: <const O extends Options<PathFlag>>(o: O) => ({ ...o, kind: 'path' as const }),
  int: <const O extends Options<IntFlag>>(o: O) => ({ ...o, kind: 'int' as const }),
  number: <const O extends Options<NumberFlag>>(o: O) => ({ ...o, kind: 'number' as const }),
  bool: <const O extends Options<BoolFlag>>(o: O) => ({ ...o, kind: 'bool' as const }),
  duration: <const O extends Options<DurationFlag>>(o: O) => ({ ...o, kind: 'duration' as const }),
  bytes: <const O extends Options<BytesFlag>>(o: O) => ({ ...o, kind: 'bytes' as const }),
  enum: <const V extends string, const O extends Omit<Options<EnumFlag<V>>, 'values'>>(values: readonly V[], o: O) => ({ ...o, values, kind: 'enum' as const }),
  list: <const O extends Options<ListFlag>>(o: O) => ({ ...o, kind: 'list' as const }),
  switch: <const O extends Options<SwitchFlag>>(o: O) => ({ ...o, kind: 'switch' as const }),
  config: <const O extends Options<ConfigFileFlag>>(o: O) => ({ ...o, kind: 'config' as const }),
  custom: <T, const O extends Options<CustomFlag<T>>>(o: O & { parse: (text: string) => T }) => ({ ...o, kind: 'custom' as const }),
}

/** The same table with every flag under one --help heading. */
export function inGroup<const T extends FlagTable>(group: string, table: T): T {
  const out: Record<string, AnyFlag> = {}
  for (const [name, spec] of Object.entries(table)) out[name] = { ...spec, group }
  return out as unknown as T
}

/** The table without some flags (a `local` cluster has no agent `--master`). */
export function without<const T extends FlagTable, const K extends keyof T & string>(table: T, ...names: K[]): Omit<T, K> {
  const out: Record<string, AnyFlag> = { ...table }
  for (const name of names) delete out[name]
  return out as unknown as Omit<T, K>
}
