// Runs `node cluster/bin/mesos-ts.js ...` as a user would, and cleans it up in t.teardown.

import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { Test } from 'tap'

export const repoRoot = resolve(import.meta.dirname, '../../../..')
export const binPath = join(repoRoot, 'cluster/bin/mesos-ts.js')

/**
 * The environment a user's shell would give: without tap's NODE_OPTIONS (its loaders would run in
 * the CLI too) and without MESOS_* variables that would set flags.
 */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (key === 'NODE_OPTIONS' || key.startsWith('TAP') || key.startsWith('_TAPJS') || key.startsWith('MESOS_')) continue
    env[key] = value
  }
  return { ...env, ...extra }
}

export interface Cli {
  child: ChildProcess
  stdout(): string
  stderr(): string
  /** Resolves with the exit code (or 128 + signal number style string), failing after `ms`. */
  exited(ms?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** Resolves with the first match of `pattern` in stdout, failing after `ms` or on exit. */
  waitForStdout(pattern: RegExp, ms?: number): Promise<RegExpMatchArray>
}

export function startCli(t: Test, args: string[], options: { env?: Record<string, string>; command?: string[] } = {}): Cli {
  const command = options.command ?? [process.execPath, binPath]
  const child = spawn(command[0], [...command.slice(1), ...args], { cwd: repoRoot, env: cleanEnv(options.env), stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (out += chunk))
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (err += chunk))
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('close', (code, signal) => resolve({ code, signal }))
  })
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      // Killing the CLI closes its nats-server watchdogs' pipe: they kill the servers.
      child.kill('SIGKILL')
      await exit
    }
  })
  const describe = () => `stdout:\n${out}\nstderr:\n${err}`
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited: (ms = 30_000) =>
      withDeadline(exit, ms, () => `mesos-ts ${args.join(' ')} did not exit within ${ms} ms\n${describe()}`),
    waitForStdout: (pattern, ms = 30_000) =>
      withDeadline(
        new Promise<RegExpMatchArray>((resolve, reject) => {
          const check = () => {
            const m = pattern.exec(out)
            if (m !== null) {
              child.stdout?.off('data', check)
              resolve(m)
            }
          }
          child.stdout?.on('data', check)
          check()
          void exit.then(() => {
            const m = pattern.exec(out)
            if (m !== null) resolve(m)
            else reject(new Error(`mesos-ts exited before printing ${pattern}\n${describe()}`))
          })
        }),
        ms,
        () => `mesos-ts ${args.join(' ')} did not print ${pattern} within ${ms} ms\n${describe()}`,
      ),
  }
}

/** Runs the CLI to completion. */
export async function runCli(t: Test, args: string[], options: { env?: Record<string, string>; command?: string[] } = {}) {
  const cli = startCli(t, args, options)
  const { code, signal } = await cli.exited()
  return { code, signal, stdout: cli.stdout(), stderr: cli.stderr() }
}

function withDeadline<T>(promise: Promise<T>, ms: number, message: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message())), ms)
  })
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer))
}

export function tempDir(t: Test, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}
