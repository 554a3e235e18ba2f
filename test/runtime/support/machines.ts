// Small XState machines the runtime tests host: they exercise the runtime, not a domain.
import { setup } from 'xstate'
import { Type } from '@sinclair/typebox'
import type { ActorPort, ExitedEvent, MessageEvent } from '../../../runtime/index.js'

export const TestMessages = {
  Ping: Type.Object({ n: Type.Integer() }),
  Pong: Type.Object({ n: Type.Integer() }),
  Tick: Type.Object({ seq: Type.Integer() }),
  Boom: Type.Object({}),
  Echo: Type.Object({ text: Type.String() }),
  Watch: Type.Object({ pid: Type.String() }),
}

type Ping = MessageEvent<'Ping', { n: number }>
type Pong = MessageEvent<'Pong', { n: number }>
type Tick = MessageEvent<'Tick', { seq: number }>
type Boom = MessageEvent<'Boom', Record<string, never>>
type Echo = MessageEvent<'Echo', { text: string }>
type Watch = MessageEvent<'Watch', { pid: string }>

export interface RecorderContext {
  port: ActorPort
  /** Everything the machine received, in order (tests assert on it). */
  seen: Array<{ type: string; from?: string; body?: unknown; pid?: string; reason?: string }>
  /** Mutated in place (large or hot state lives in plain objects, never copied per event). */
  counts: { ticks: number }
}

/**
 * Answers Ping with Pong and Echo requests with a reply, counts Ticks, throws on Boom,
 * links to whatever a Watch names, and records every event it sees.
 */
export const recorderMachine = setup({
  types: {
    context: {} as RecorderContext,
    events: {} as Ping | Pong | Tick | Boom | Echo | Watch | ExitedEvent,
    input: {} as { port: ActorPort },
  },
}).createMachine({
  id: 'recorder',
  context: ({ input }) => ({ port: input.port, seen: [], counts: { ticks: 0 } }),
  on: {
    Ping: {
      actions: [
        ({ context, event }) => context.seen.push({ type: event.type, from: event.from, body: event.body }),
        ({ context, event }) => context.port.send(event.from, 'Pong', { n: event.body.n }),
      ],
    },
    Pong: { actions: ({ context, event }) => context.seen.push({ type: event.type, from: event.from, body: event.body }) },
    // Ticks only count: the throughput benchmark sends millions, so no per-event allocation.
    Tick: {
      actions: ({ context }) => {
        context.counts.ticks++
      },
    },
    Echo: { actions: ({ context, event }) => context.port.reply(event, 'Echo', { text: event.body.text.toUpperCase() }) },
    Boom: {
      actions: () => {
        throw new Error('boom requested')
      },
    },
    Watch: {
      actions: [
        ({ context, event }) => context.seen.push({ type: event.type, body: event.body }),
        ({ context, event }) => context.port.link(event.body.pid),
      ],
    },
    exited: { actions: ({ context, event }) => context.seen.push({ type: 'exited', pid: event.pid, reason: event.reason }) },
  },
})
