// Callbacks that record what the driver told the framework, in order.
import type { SchedulerCallbacks, SchedulerDriver } from '../../../../actors/scheduler/index.js'

export interface Heard {
  callback: keyof SchedulerCallbacks
  args: unknown[]
}

/**
 * Records every callback; `extra` callbacks run after recording (a test's reactions, e.g.
 * launching on offers).
 */
export function recordingCallbacks(extra: SchedulerCallbacks = {}): { callbacks: SchedulerCallbacks; heard: Heard[]; of(name: keyof SchedulerCallbacks): unknown[][] } {
  const heard: Heard[] = []
  const names: Array<keyof SchedulerCallbacks> = ['subscribed', 'offers', 'rescind', 'update', 'message', 'failure', 'disconnected', 'error']
  const callbacks: SchedulerCallbacks = {}
  for (const name of names) {
    ;(callbacks as Record<string, unknown>)[name] = (driver: SchedulerDriver, ...args: unknown[]) => {
      heard.push({ callback: name, args })
      return (extra[name] as ((d: SchedulerDriver, ...a: unknown[]) => unknown) | undefined)?.(driver, ...args)
    }
  }
  return { callbacks, heard, of: name => heard.filter(h => h.callback === name).map(h => h.args) }
}
