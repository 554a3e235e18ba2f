// The machines the runtime benchmark hosts: as small as an actor can be, so the figures
// measure the runtime (codec, validation, transport, XState dispatch), not domain logic.
import { setup } from 'xstate'
import { Type } from '@sinclair/typebox'
import type { ActorPort, MessageEvent } from '../../runtime/index.js'

export const BenchMessages = {
  Tick: Type.Object({ seq: Type.Integer() }),
  Done: Type.Object({ count: Type.Integer() }),
  Echo: Type.Object({ seq: Type.Integer() }),
}

interface CounterInput {
  port: ActorPort
  /** Send Done to `notify` when this many Ticks have arrived. */
  expect: number
  notify: string
}

/** Counts Ticks in a plain object (mutated, never copied) and reports when all have arrived. */
export const counterMachine = setup({
  types: {
    input: {} as CounterInput,
    context: {} as CounterInput & { counts: { ticks: number } },
    events: {} as MessageEvent<'Tick', { seq: number }>,
  },
}).createMachine({
  context: ({ input }) => ({ ...input, counts: { ticks: 0 } }),
  on: {
    Tick: {
      actions: ({ context }) => {
        if (++context.counts.ticks === context.expect) context.port.send(context.notify, 'Done', { count: context.counts.ticks })
      },
    },
  },
})

/** Answers every Echo request with an Echo reply. */
export const echoMachine = setup({
  types: { input: {} as { port: ActorPort }, context: {} as { port: ActorPort }, events: {} as MessageEvent<'Echo', { seq: number }> },
}).createMachine({
  context: ({ input }) => ({ port: input.port }),
  on: { Echo: { actions: ({ context, event }) => context.port.reply(event, 'Echo', event.body) } },
})

/** Receives Done and resolves whoever waits for it (the benchmark driver). */
export function doneMachine() {
  return setup({
    types: {
      input: {} as { port: ActorPort; onDone: (count: number) => void },
      context: {} as { onDone: (count: number) => void },
      events: {} as MessageEvent<'Done', { count: number }>,
    },
  }).createMachine({
    context: ({ input }) => ({ onDone: input.onDone }),
    on: { Done: { actions: ({ context, event }) => context.onDone(event.body.count) } },
  })
}
