// The actor that stands for one v1 HTTP scheduler subscription inside the master's runtime, so
// that an HTTP framework is, to the master, a pid like any native framework's: the proxy sends
// Subscribe as itself, the master links to it and sends it every event, and the proxy writes
// those events to the subscription's RecordIO stream in Mesos's v1 JSON form. When the stream
// closes (the client went away, or was dropped as a slow consumer) the proxy stops; the master
// hears `exited` for its pid and starts the framework's failover timeout, as Mesos does when
// an HTTP subscription connection breaks (scheduler-http-api.md, "Disconnections").
import { setup } from 'xstate'
import type { ActorPort, ExitedEvent, Pid } from '../../runtime/index.js'
import {
  SCHEDULER_EVENTS,
  type SchedulerMessageType,
  type SubscribeBody,
} from '../../actors/protocol/index.js'
import type { MasterToFrameworkEvent } from '../../actors/scheduler/index.js'

/** Where the proxy writes v1 events: the subscription's RecordIO stream (or a test's recorder). */
export interface EventStream {
  /** Queues one record; false once the stream is closed or was dropped. */
  write(record: unknown): boolean
  /** Ends the stream after what is queued. Idempotent. */
  end(): void
}

/** A validated v1 call, as a message to the master (built by scheduler-api.ts). */
export interface ProxiedCall {
  type: SchedulerMessageType
  body: unknown
}

export interface SchedulerProxyInput {
  port: ActorPort
  masterPid: Pid
  subscribe: SubscribeBody
  stream: EventStream
  streamId: string
}

interface ProxyContext {
  readonly port: ActorPort
  readonly masterPid: Pid
  readonly subscribe: SubscribeBody
  readonly stream: EventStream
  readonly streamId: string
  frameworkId: string | undefined
}

type MasterEvent = MasterToFrameworkEvent

export type SchedulerProxyEvent =
  | MasterEvent
  | ExitedEvent
  /** A call that passed validation in the HTTP handler, to forward to the master. */
  | { type: 'http.call'; call: ProxiedCall }
  /** The stream is over (client closed it, or it was dropped as a slow consumer). */
  | { type: 'http.closed'; reason: string }

type EventType = keyof typeof SCHEDULER_EVENTS

/**
 * Our event message -> the v1 Event JSON Mesos writes: `{ type, [field]: body }`, e.g.
 * `Offers { offers }` -> `{ type: 'OFFERS', offers: { offers } }`; HEARTBEAT has no field.
 */
export function toV1Event(type: EventType, body: unknown): Record<string, unknown> {
  const mapping = SCHEDULER_EVENTS[type]
  return mapping.field === null ? { type: mapping.type } : { type: mapping.type, [mapping.field]: body }
}

function write(context: ProxyContext, type: EventType, body: unknown): void {
  // A false return means the stream is gone; its close listener tells this actor to stop.
  context.stream.write(toV1Event(type, body))
}

const forward = ({ context, event }: { context: ProxyContext; event: MasterEvent }): void => {
  write(context, event.type, event.body)
}

export const schedulerProxyMachine = setup({
  types: {
    input: {} as SchedulerProxyInput,
    context: {} as ProxyContext,
    events: {} as SchedulerProxyEvent,
  },
  guards: {
    fromMaster: ({ context, event }) => 'from' in event && event.from === context.masterPid,
  },
}).createMachine({
  id: 'http-scheduler',
  context: ({ input }) => ({
    port: input.port,
    masterPid: input.masterPid,
    subscribe: input.subscribe,
    stream: input.stream,
    streamId: input.streamId,
    frameworkId: input.subscribe.framework_info.id?.value,
  }),
  entry: ({ context }) => {
    // Watch the master: if it goes, the stream ends and the client resubscribes elsewhere.
    context.port.link(context.masterPid)
    context.port.send(context.masterPid, 'Subscribe', context.subscribe)
  },
  initial: 'subscribing',
  on: {
    'http.call': {
      actions: ({ context, event }) => context.port.send(context.masterPid, event.call.type, event.call.body),
    },
    'http.closed': {
      target: '.closed',
      actions: ({ context, event }) =>
        context.port.log.info(
          { framework: context.frameworkId, stream: context.streamId, reason: event.reason },
          `HTTP scheduler stream ${context.streamId} of framework ${context.frameworkId ?? '(unsubscribed)'} closed (${event.reason})`,
        ),
    },
    exited: {
      guard: ({ context, event }) => event.pid === context.masterPid,
      target: '.closed',
      actions: ({ context, event }) =>
        context.port.log.warn({ stream: context.streamId, reason: event.reason }, `master ${event.pid} exited (${event.reason}): closing the HTTP scheduler stream`),
    },
  },
  states: {
    /** Subscribe sent; the stream starts with SUBSCRIBED or ERROR (scheduler-http-api.md). */
    subscribing: {
      on: {
        Subscribed: {
          guard: 'fromMaster',
          target: 'subscribed',
          actions: ({ context, event }) => {
            context.frameworkId = event.body.framework_id.value
            write(context, 'Subscribed', event.body)
            // Mesos's heartbeater sends its first HEARTBEAT right after SUBSCRIBED
            // (src/master/framework.cpp Framework::heartbeat, no initial delay).
            write(context, 'Heartbeat', {})
          },
        },
        Error: { guard: 'fromMaster', target: 'closed', actions: forward },
      },
    },
    subscribed: {
      on: {
        Subscribed: { guard: 'fromMaster', actions: forward },
        Offers: { guard: 'fromMaster', actions: forward },
        Rescind: { guard: 'fromMaster', actions: forward },
        Update: { guard: 'fromMaster', actions: forward },
        FrameworkMessage: { guard: 'fromMaster', actions: forward },
        Failure: { guard: 'fromMaster', actions: forward },
        Heartbeat: { guard: 'fromMaster', actions: forward },
        // The master ended the subscription (e.g. "Framework failed over"): Mesos sends ERROR
        // on the old connection and closes it (Master::failoverFramework).
        Error: { guard: 'fromMaster', target: 'closed', actions: forward },
        'http.call': [
          {
            // Mesos's TEARDOWN removes the framework and closes its connection.
            guard: ({ event }) => event.call.type === 'Teardown',
            target: 'closed',
            actions: ({ context, event }) => context.port.send(context.masterPid, event.call.type, event.call.body),
          },
          { actions: ({ context, event }) => context.port.send(context.masterPid, event.call.type, event.call.body) },
        ],
      },
    },
    /** Final: the runtime stops the actor, and the master sees this pid exit. */
    closed: {
      type: 'final',
      entry: ({ context }) => context.stream.end(),
    },
  },
})
