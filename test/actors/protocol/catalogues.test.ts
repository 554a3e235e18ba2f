import t from 'tap'
import type { TSchema } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import { EnvelopeCodec, SchemaRegistry, ValidationError } from '../../../runtime/index.js'
import {
  AgentMessages,
  CatalogueConflictError,
  ExecutorMessages,
  ProtocolMessages,
  SCHEDULER_CALLS,
  SCHEDULER_EVENTS,
  SchedulerMessages,
  mergeCatalogues,
} from '../../../actors/protocol/index.js'
import { Type } from '@sinclair/typebox'
import { examples, taskStatus } from './support/examples.js'

const catalogues = { AgentMessages, SchedulerMessages, ExecutorMessages } as const

const clone = <T>(v: T): T => structuredClone(v)

/** The first error's path, or undefined when the value is valid. */
function firstErrorPath(schema: TSchema, value: unknown): string | undefined {
  const check = TypeCompiler.Compile(schema)
  if (check.Check(value)) return undefined
  return check.Errors(value).First()?.path ?? '(no path)'
}

t.test('every catalogue compiles with TypeCompiler', async (t) => {
  for (const [name, catalogue] of Object.entries(catalogues)) {
    for (const [type, schema] of Object.entries(catalogue)) {
      t.doesNotThrow(() => TypeCompiler.Compile(schema), `${name}.${type}`)
    }
  }
})

t.test('message type lists', async (t) => {
  t.same(Object.keys(AgentMessages).sort(), [
    'AgentRegistered', 'AgentReregistered', 'CheckpointResources', 'ExecutorToFrameworkMessage',
    'ExitedExecutor', 'FrameworkToExecutorMessage', 'KillTask', 'Ping', 'Pong', 'ReconcileTasks',
    'RegisterAgent', 'ReregisterAgent', 'RunTask', 'RunTaskGroup', 'ShutdownAgent',
    'ShutdownExecutor', 'ShutdownFramework', 'StatusUpdate', 'StatusUpdateAcknowledgement',
    'UnregisterAgent', 'UpdateAgent', 'UpdateFramework',
  ])
  t.same(Object.keys(SchedulerMessages).sort(), [
    'Accept', 'Acknowledge', 'Decline', 'Error', 'Failure', 'FrameworkMessage', 'Heartbeat', 'Kill',
    'Message', 'Offers', 'Reconcile', 'Request', 'Rescind', 'Revive', 'Shutdown', 'Subscribe',
    'Subscribed', 'Suppress', 'Teardown', 'Update',
  ])
  t.same(Object.keys(ExecutorMessages).sort(), [
    'ExecutorRegistered', 'ExecutorReregistered', 'ExecutorToFrameworkMessage',
    'FrameworkToExecutorMessage', 'KillTask', 'ReconnectExecutor', 'RegisterExecutor',
    'ReregisterExecutor', 'RunTask', 'RunTaskGroup', 'ShutdownExecutor', 'StatusUpdate',
    'StatusUpdateAcknowledgement',
  ])
})

t.test('no type name is defined twice with different schemas', async (t) => {
  const seen = new Map<string, { schema: TSchema; where: string }>()
  const shared: string[] = []
  for (const [name, catalogue] of Object.entries(catalogues)) {
    for (const [type, schema] of Object.entries(catalogue)) {
      const prev = seen.get(type)
      if (prev) {
        t.equal(schema, prev.schema, `${type} in ${prev.where} and ${name} is one schema object`)
        shared.push(type)
      } else {
        seen.set(type, { schema, where: name })
      }
    }
  }
  // Exactly the relayed messages are shared, and only between agent and executor catalogues.
  t.same(shared.sort(), [
    'ExecutorToFrameworkMessage', 'FrameworkToExecutorMessage', 'KillTask', 'RunTask', 'RunTaskGroup',
    'ShutdownExecutor', 'StatusUpdate', 'StatusUpdateAcknowledgement',
  ])
  t.equal(Object.keys(ProtocolMessages).length, seen.size)
  for (const [type, { schema }] of seen) t.equal(ProtocolMessages[type as keyof typeof ProtocolMessages], schema, type)
  t.ok(Object.isFrozen(ProtocolMessages))
})

t.test('mergeCatalogues rejects a name with two different schemas', async (t) => {
  const a = { Ping: Type.Object({ connected: Type.Boolean() }) }
  const b = { Ping: Type.Object({ connected: Type.Boolean() }) }
  t.throws(() => mergeCatalogues(a, b), CatalogueConflictError)
  try {
    mergeCatalogues(a, b)
  } catch (err) {
    t.equal((err as CatalogueConflictError).messageType, 'Ping')
    t.equal((err as CatalogueConflictError).code, 'CATALOGUE_CONFLICT')
  }
  t.same(Object.keys(mergeCatalogues(a, { ...a })), ['Ping'], 'the same object twice is fine')
})

t.test('the runtime registry takes every catalogue, separately or merged', async (t) => {
  const separate = new SchemaRegistry()
  for (const catalogue of Object.values(catalogues)) separate.registerAll(catalogue)
  t.equal(separate.types().length, Object.keys(ProtocolMessages).length)
  const merged = new SchemaRegistry()
  merged.registerAll(ProtocolMessages)
  merged.registerAll(AgentMessages) // re-registering the same schemas is a no-op
  t.equal(merged.check('Update', examples.Update), undefined)
  const err = merged.check('Update', { status: { ...taskStatus, state: 'TASK_SLEEPING' } })
  t.type(err, ValidationError)
  t.equal(err?.path, '/status/state')
})

t.test('a valid example of each message passes', async (t) => {
  t.same(Object.keys(examples).sort(), Object.keys(ProtocolMessages).sort(), 'one example per message type')
  for (const [type, schema] of Object.entries(ProtocolMessages)) {
    const body = examples[type as keyof typeof examples]
    t.equal(firstErrorPath(schema, body), undefined, type)
  }
})

t.test('examples survive the msgpack envelope codec unchanged and still validate', async (t) => {
  const codec = new EnvelopeCodec()
  for (const [type, schema] of Object.entries(ProtocolMessages)) {
    const body = examples[type as keyof typeof examples]
    const env = codec.decode(codec.encode({ type, from: 'a@n1', to: 'b@n2', body }))
    t.equal(firstErrorPath(schema, env.body), undefined, type)
    t.same(env.body, body, `${type} round-trips`)
  }
})

t.test('typical invalid bodies fail with a path', async (t) => {
  const cases: Array<[type: keyof typeof ProtocolMessages, mutate: (b: any) => void, path: string]> = [
    // wrong enum values
    ['Update', (b) => { b.status.state = 'RUNNING' }, '/status/state'],
    ['Update', (b) => { b.status.reason = 'REASON_BORED' }, '/status/reason'],
    ['Update', (b) => { b.status.source = 'SOURCE_SCHEDULER' }, '/status/source'],
    ['Subscribe', (b) => { b.framework_info.capabilities = [{ type: 'TELEPORT' }] }, '/framework_info/capabilities/0/type'],
    ['Accept', (b) => { b.operations[1].type = 'LAUNCH_ALL' }, '/operations/1/type'],
    ['Offers', (b) => { b.offers[0].resources[0].type = 'TEXT' }, '/offers/0/resources/0/type'],
    ['RegisterAgent', (b) => { b.agent.attributes[0].type = 'STRING' }, '/agent/attributes/0/type'],
    // missing required fields
    ['RegisterAgent', (b) => { delete b.version }, '/version'],
    ['RegisterAgent', (b) => { delete b.agent.hostname }, '/agent/hostname'],
    ['RunTask', (b) => { delete b.task.task_id }, '/task/task_id'],
    ['RunTask', (b) => { delete b.framework.user }, '/framework/user'],
    ['Accept', (b) => { delete b.offer_ids }, '/offer_ids'],
    ['Acknowledge', (b) => { delete b.uuid }, '/uuid'],
    ['Offers', (b) => { delete b.offers[0].hostname }, '/offers/0/hostname'],
    ['StatusUpdate', (b) => { delete b.update.timestamp }, '/update/timestamp'],
    ['Kill', (b) => { delete b.framework_id }, '/framework_id'],
    ['Ping', (b) => { delete b.connected }, '/connected'],
    ['Offers', (b) => { delete b.offers[0].resources[1].name }, '/offers/0/resources/1/name'],
    ['Error', (b) => { delete b.message }, '/message'],
    // wrong types
    ['Ping', (b) => { b.connected = 'yes' }, '/connected'],
    ['Offers', (b) => { b.offers[0].resources[0].scalar.value = '1.5' }, '/offers/0/resources/0/scalar/value'],
    ['Offers', (b) => { b.offers[0].resources[2].ranges.range[0].begin = 1.5 }, '/offers/0/resources/2/ranges/range/0/begin'],
    ['Decline', (b) => { b.filters.refuse_seconds = '5' }, '/filters/refuse_seconds'],
    ['Decline', (b) => { b.offer_ids = { value: 'o1' } }, '/offer_ids'],
    ['Kill', (b) => { b.task_id = 'task-1' }, '/task_id'],
    ['Kill', (b) => { b.task_id = { value: 7 } }, '/task_id/value'],
    ['Acknowledge', (b) => { b.uuid = new Uint8Array(16) }, '/uuid'],
    ['Subscribe', (b) => { b.framework_info.roles = 'prod' }, '/framework_info/roles'],
    ['Subscribe', (b) => { b.framework_info.failover_timeout = null }, '/framework_info/failover_timeout'],
    ['Subscribed', (b) => { b.heartbeat_interval_seconds = Number.POSITIVE_INFINITY }, '/heartbeat_interval_seconds'],
    ['RunTask', (b) => { b.task.limits.cpus = '2' }, '/task/limits/cpus'],
    ['RegisterAgent', (b) => { b.agent.port = 5051.5 }, '/agent/port'],
    ['Update', (b) => { b.status.container_status.container_id.parent.value = 1 }, '/status/container_status/container_id/parent/value'],
  ]
  for (const [type, mutate, path] of cases) {
    const body = clone(examples[type]) as any
    mutate(body)
    t.equal(firstErrorPath(ProtocolMessages[type], body), path, `${type}: ${path}`)
  }
  for (const type of Object.keys(ProtocolMessages) as Array<keyof typeof ProtocolMessages>) {
    for (const bad of [null, 'x', 42, []]) {
      t.equal(firstErrorPath(ProtocolMessages[type], bad), '', `${type} rejects ${JSON.stringify(bad)} as a body`)
    }
  }
})

t.test('additional properties are allowed at every level', async (t) => {
  const body = clone(examples.Accept) as any
  body.future_field = 1
  body.operations[1].launch.task_infos[0].discovery = { visibility: 'FRAMEWORK' }
  body.operations[1].launch.task_infos[0].resources[0].future = { x: 1 }
  t.equal(firstErrorPath(ProtocolMessages.Accept, body), undefined)
})

t.test('the v1 mapping tables name real message types in the right direction', async (t) => {
  for (const [callType, { type, field }] of Object.entries(SCHEDULER_CALLS)) {
    t.ok(type in SchedulerMessages, `${callType} -> ${type}`)
    if (field !== null) t.equal(field, callType.toLowerCase(), `${callType} nests under its lowercase name`)
  }
  for (const [type, { type: eventType, field }] of Object.entries(SCHEDULER_EVENTS)) {
    t.ok(type in SchedulerMessages, type)
    if (field !== null) t.equal(field, eventType.toLowerCase(), `${eventType} nests under its lowercase name`)
  }
  const calls = new Set(Object.values(SCHEDULER_CALLS).map((c) => c.type as string))
  const events = new Set(Object.keys(SCHEDULER_EVENTS))
  t.same([...calls].filter((c) => events.has(c)), [], 'no type is both a call and an event')
  t.same(Object.keys(SchedulerMessages).filter((m) => !calls.has(m) && !events.has(m)), [], 'every scheduler message is mapped')
})
