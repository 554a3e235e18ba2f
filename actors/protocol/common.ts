// Shared building blocks of the protocol: ids, values, attributes, resources, labels, filters.
//
// Every schema here follows the Mesos v1 JSON shape (include/mesos/v1/mesos.proto through
// Mesos's protobuf JSON mapping): snake_case field names as in the .proto, ids as
// `{ value }` objects, enums as their names, `bytes` as base64 strings (see bytes.ts).
//
// Rules every schema in actors/protocol follows (README of this folder in one paragraph):
// - Structure, not semantics. A schema enforces what Mesos's JSON -> protobuf parser enforces:
//   field types, `required` fields, enum names. Meaning (non-empty ids, a SCALAR resource having
//   `scalar`, valid role names, ...) is checked by the receiving actor, which can then answer as
//   Mesos does (TASK_ERROR with REASON_TASK_INVALID, an Error event) instead of the runtime
//   silently dropping the message at the edge.
// - Additional properties are allowed (TypeBox's default, so no key scan on the hot path). A
//   v1 client may send fields this project does not model (e.g. `TaskInfo.discovery`), and a
//   newer peer may add fields; they are carried along unchecked. Wrong types still fail.
// - `repeated` fields are optional, as in protobuf JSON where an empty list is usually omitted:
//   read them with `?? []`. Fields `required` in the .proto are required here.
// - `null` is not "absent": bodies on the bus never carry null; the HTTP layer runs
//   stripNulls() (strip-nulls.ts) on v1 JSON before validating, as Mesos's parser treats null
//   as unset.
// - Numbers: protobuf double -> Type.Number, every integer kind (int32/uint32/int64/uint64) ->
//   Type.Integer, as numbers, never strings (Mesos writes int64 as JSON numbers). int64 values
//   are exact up to 2^53: durations up to ~104 days in nanoseconds; a TimeInfo since the epoch
//   loses sub-microsecond precision, which nothing here needs. NaN and +-Infinity are rejected
//   (TypeBox's default policy), except where Mesos documents "Infinity" (TaskInfo.limits).
// - No `pattern`/`format` keywords: 100,000 tasks and 10,000 agents go through these checks.
import {
  Type,
  type Static,
  type SchemaOptions,
  type TLiteral,
  type TUnion,
} from '@sinclair/typebox'

/**
 * A protobuf enum as in Mesos v1 JSON: a union of its value names. `values` is also exported by
 * each caller as an array (e.g. TASK_STATES) for iteration and tables.
 */
export function StringEnum<const T extends readonly string[]>(
  values: T,
  options?: SchemaOptions,
): TUnion<{ -readonly [K in keyof T]: TLiteral<T[K] & string> }> {
  return Type.Union(
    values.map((v) => Type.Literal(v)),
    options,
  ) as unknown as TUnion<{ -readonly [K in keyof T]: TLiteral<T[K] & string> }>
}

// ---- ids -------------------------------------------------------------------------------------

// Mesos's ids are all `{ value: string }`; they stay distinct schemas so that error paths and
// generated docs name them, but their TS types are structurally the same.
const idSchema = (title: string) => Type.Object({ value: Type.String() }, { title })

export const FrameworkID = idSchema('FrameworkID')
export type FrameworkID = Static<typeof FrameworkID>
export const OfferID = idSchema('OfferID')
export type OfferID = Static<typeof OfferID>
export const AgentID = idSchema('AgentID')
export type AgentID = Static<typeof AgentID>
export const TaskID = idSchema('TaskID')
export type TaskID = Static<typeof TaskID>
export const ExecutorID = idSchema('ExecutorID')
export type ExecutorID = Static<typeof ExecutorID>
export const OperationID = idSchema('OperationID')
export type OperationID = Static<typeof OperationID>
export const ResourceProviderID = idSchema('ResourceProviderID')
export type ResourceProviderID = Static<typeof ResourceProviderID>

/** A container's id; `parent` is set for a nested container (a task under the default executor). */
export const ContainerID = Type.Recursive(
  (Self) => Type.Object({ value: Type.String(), parent: Type.Optional(Self) }),
  { $id: 'ContainerID' },
)
export type ContainerID = Static<typeof ContainerID>

/** Any of the `{ value }` ids above. */
export interface Id {
  value: string
}

/** Wraps a string as a Mesos id object: `id('t1')` -> `{ value: 't1' }`. */
export function id(value: string): Id {
  return { value }
}

/** Two ids (either possibly absent) name the same thing. */
export function sameId(a: Id | undefined, b: Id | undefined): boolean {
  return a !== undefined && b !== undefined && a.value === b.value
}

/**
 * Deep equality of decoded message values (primitives, arrays, plain objects); a key whose value
 * is undefined counts as absent, as it does on the wire. node's isDeepStrictEqual was measured at
 * 20 µs per AgentInfo, a fifth of a failover's reregistration cost at 10,000 agents.
 */
export function samePlainValue(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false
    for (let i = 0; i < a.length; i++) if (!samePlainValue(a[i], b[i])) return false
    return true
  }
  if (Array.isArray(b)) return false
  const x = a as Record<string, unknown>
  const y = b as Record<string, unknown>
  let defined = 0
  for (const k in x) {
    if (x[k] === undefined) continue
    defined++
    if (!samePlainValue(x[k], y[k])) return false
  }
  for (const k in y) if (y[k] !== undefined) defined--
  return defined === 0
}

// ---- time ------------------------------------------------------------------------------------

/** Time since the epoch in nanoseconds (int64; see the number note at the top). */
export const TimeInfo = Type.Object({ nanoseconds: Type.Integer() }, { title: 'TimeInfo' })
export type TimeInfo = Static<typeof TimeInfo>

/** A duration in nanoseconds (int64). */
export const DurationInfo = Type.Object({ nanoseconds: Type.Integer() }, { title: 'DurationInfo' })
export type DurationInfo = Static<typeof DurationInfo>

/** Maintenance window: from `start`, for `duration` (infinite when absent). */
export const Unavailability = Type.Object({
  start: TimeInfo,
  duration: Type.Optional(DurationInfo),
})
export type Unavailability = Static<typeof Unavailability>

// ---- addresses -------------------------------------------------------------------------------

export const Parameter = Type.Object({ key: Type.String(), value: Type.String() })
export type Parameter = Static<typeof Parameter>

export const Parameters = Type.Object({ parameter: Type.Optional(Type.Array(Parameter)) })
export type Parameters = Static<typeof Parameters>

/** A network address: hostname, ip, or both, and a port. */
export const Address = Type.Object({
  hostname: Type.Optional(Type.String()),
  ip: Type.Optional(Type.String()),
  port: Type.Integer(),
})
export type Address = Static<typeof Address>

/** A URL split as Mesos does (Offer.url points at the agent's HTTP API). */
export const URL = Type.Object({
  scheme: Type.String(),
  address: Address,
  path: Type.Optional(Type.String()),
  query: Type.Optional(Type.Array(Parameter)),
  fragment: Type.Optional(Type.String()),
})
export type URL = Static<typeof URL>

// ---- labels ----------------------------------------------------------------------------------

export const Label = Type.Object({ key: Type.String(), value: Type.Optional(Type.String()) })
export type Label = Static<typeof Label>

/** `{ labels: [{ key, value }] }`, the v1 JSON shape (a wrapper object, not a bare array). */
export const Labels = Type.Object({ labels: Type.Optional(Type.Array(Label)) })
export type Labels = Static<typeof Labels>

// ---- values: scalars, ranges, sets, text -----------------------------------------------------

export const VALUE_TYPES = ['SCALAR', 'RANGES', 'SET', 'TEXT'] as const
export const ValueType = StringEnum(VALUE_TYPES)
export type ValueType = Static<typeof ValueType>

export const Scalar = Type.Object({ value: Type.Number() })
export type Scalar = Static<typeof Scalar>

/** An inclusive range of integers, e.g. ports 31000-32000 is `{ begin: 31000, end: 32000 }`. */
export const Range = Type.Object({ begin: Type.Integer(), end: Type.Integer() })
export type Range = Static<typeof Range>

export const Ranges = Type.Object({ range: Type.Optional(Type.Array(Range)) })
export type Ranges = Static<typeof Ranges>

/** Mesos's Value.Set (named ValueSet here so it does not shadow the JS Set). */
export const ValueSet = Type.Object({ item: Type.Optional(Type.Array(Type.String())) })
export type ValueSet = Static<typeof ValueSet>

/** Mesos's Value.Text. */
export const ValueText = Type.Object({ value: Type.String() })
export type ValueText = Static<typeof ValueText>

/**
 * An agent attribute (`rack:r1;zone:z2;ssd:true` on the agent's command line). Which of
 * text/scalar/ranges/set is set follows `type`; the agent's attribute parser guarantees it.
 */
export const Attribute = Type.Object(
  {
    name: Type.String(),
    type: ValueType,
    scalar: Type.Optional(Scalar),
    ranges: Type.Optional(Ranges),
    set: Type.Optional(ValueSet),
    text: Type.Optional(ValueText),
  },
  { title: 'Attribute' },
)
export type Attribute = Static<typeof Attribute>

// ---- resources -------------------------------------------------------------------------------

/** Resources are never TEXT (Mesos rejects it when validating resources). */
export const RESOURCE_TYPES = ['SCALAR', 'RANGES', 'SET'] as const
export const ResourceType = StringEnum(RESOURCE_TYPES)
export type ResourceType = Static<typeof ResourceType>

export const RESERVATION_TYPES = ['UNKNOWN', 'STATIC', 'DYNAMIC'] as const
export const ReservationType = StringEnum(RESERVATION_TYPES)
export type ReservationType = Static<typeof ReservationType>

/** One step of a (possibly refined) reservation; Resource.reservations is the stack of them. */
export const ReservationInfo = Type.Object({
  type: Type.Optional(ReservationType),
  role: Type.Optional(Type.String()),
  principal: Type.Optional(Type.String()),
  labels: Type.Optional(Labels),
})
export type ReservationInfo = Static<typeof ReservationInfo>

/** Which of a multi-role framework's roles a resource is allocated to. */
export const AllocationInfo = Type.Object({ role: Type.Optional(Type.String()) })
export type AllocationInfo = Static<typeof AllocationInfo>

export const VOLUME_MODES = ['RW', 'RO'] as const
export const VolumeMode = StringEnum(VOLUME_MODES)
export type VolumeMode = Static<typeof VolumeMode>

/** A volume mapped into a container; `image` and `source` are carried unchecked. */
export const Volume = Type.Object({
  mode: VolumeMode,
  container_path: Type.String(),
  host_path: Type.Optional(Type.String()),
})
export type Volume = Static<typeof Volume>

export const DISK_SOURCE_TYPES = ['UNKNOWN', 'PATH', 'MOUNT', 'BLOCK', 'RAW'] as const
export const DiskSourceType = StringEnum(DISK_SOURCE_TYPES)
export type DiskSourceType = Static<typeof DiskSourceType>

/** Persistent volumes and disk sources (Resource.DiskInfo). */
export const DiskInfo = Type.Object({
  persistence: Type.Optional(
    Type.Object({ id: Type.String(), principal: Type.Optional(Type.String()) }),
  ),
  volume: Type.Optional(Volume),
  source: Type.Optional(
    Type.Object({
      type: DiskSourceType,
      path: Type.Optional(Type.Object({ root: Type.Optional(Type.String()) })),
      mount: Type.Optional(Type.Object({ root: Type.Optional(Type.String()) })),
      vendor: Type.Optional(Type.String()),
      id: Type.Optional(Type.String()),
      metadata: Type.Optional(Labels),
      profile: Type.Optional(Type.String()),
    }),
  ),
})
export type DiskInfo = Static<typeof DiskInfo>

/**
 * A resource in the v1 JSON shape. Deliberately one flat object rather than a union keyed on
 * `type`: one pass, no backtracking, and an error path that names the bad field. That
 * `scalar`/`ranges`/`set` matches `type` is checked by actors/resources (as Mesos's
 * Resources::validate does), which also owns the arithmetic over this shape.
 *
 * `role` and `reservation` are Mesos's pre-refinement ("old") format, kept because v1 clients
 * without RESERVATION_REFINEMENT still send and expect them; `reservations` is the new one.
 */
export const Resource = Type.Object(
  {
    name: Type.String(),
    type: ResourceType,
    scalar: Type.Optional(Scalar),
    ranges: Type.Optional(Ranges),
    set: Type.Optional(ValueSet),
    role: Type.Optional(Type.String()),
    allocation_info: Type.Optional(AllocationInfo),
    reservation: Type.Optional(ReservationInfo),
    reservations: Type.Optional(Type.Array(ReservationInfo)),
    disk: Type.Optional(DiskInfo),
    revocable: Type.Optional(Type.Object({})),
    shared: Type.Optional(Type.Object({})),
    provider_id: Type.Optional(ResourceProviderID),
  },
  { title: 'Resource' },
)
export type Resource = Static<typeof Resource>

// ---- domains ---------------------------------------------------------------------------------

/** Fault domain (region and zone) of a master or an agent. */
export const DomainInfo = Type.Object({
  fault_domain: Type.Optional(
    Type.Object({
      region: Type.Object({ name: Type.String() }),
      zone: Type.Object({ name: Type.String() }),
    }),
  ),
})
export type DomainInfo = Static<typeof DomainInfo>

// ---- filters ---------------------------------------------------------------------------------

/** Mesos's default for Filters.refuse_seconds when a framework sets none. */
export const DEFAULT_REFUSE_SECONDS = 5
/** Mesos caps refuse_seconds at one year (scheduler-http-api.md, ACCEPT). */
export const MAX_REFUSE_SECONDS = 31_536_000

/** How long declined (or unused accepted) resources are not re-offered to the framework. */
export const Filters = Type.Object({ refuse_seconds: Type.Optional(Type.Number()) })
export type Filters = Static<typeof Filters>
