// Runs `mesos-ts` commands as real OS processes for integration tests, and cleans them up.
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { Test } from 'tap'

export const BIN = fileURLToPath(new URL('../../../cluster/bin/mesos-ts.js', import.meta.url))

export interface Proc {
  readonly child: ChildProcess
  /** Everything written so far. */
  stdout(): string
  stderr(): string
  /** Resolves with the exit code (or 128+signal). */
  readonly exited: Promise<number>
  /** Waits until the output (stdout + stderr) matches, or the deadline passes. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>
}

const SIGNALS: Record<string, number> = { SIGKILL: 9, SIGTERM: 15, SIGINT: 2 }

/**
 * Children still running. A test process that ends before its teardowns ran (tap's timeout, an
 * uncaught error) would leave them behind, still holding NATS connections and ports: kill them
 * on the way out ('exit' handlers run synchronously, so SIGKILL, no waiting).
 */
const running = new Set<ChildProcess>()
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL')
})

export function mesos(t: Test, args: string[], env: NodeJS.ProcessEnv = {}): Proc {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } })
  let out = ''
  let err = ''
  child.stdout!.on('data', d => (out += d))
  child.stderr!.on('data', d => (err += d))
  running.add(child)
  const exited = new Promise<number>(resolve =>
    child.on('exit', (code, signal) => {
      running.delete(child)
      resolve(code ?? 128 + (SIGNALS[signal ?? ''] ?? 1))
    }),
  )
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
      await exited
      clearTimeout(timer)
    }
  })
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    async waitFor(pattern, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const m = (out + err).match(pattern)
        if (m) return m
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern} in mesos-ts ${args.join(' ')}:\n${out}\n${err.slice(-3000)}`)
        if (child.exitCode !== null) throw new Error(`mesos-ts ${args.join(' ')} exited with ${child.exitCode} before ${pattern}:\n${out}\n${err.slice(-3000)}`)
        await new Promise(r => setTimeout(r, 25))
      }
    },
  }
}
