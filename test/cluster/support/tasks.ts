// Task processes and sandboxes of `mesos-ts agent` processes, read from their --work_dir, for
// integration tests that check a task's process outlives (or not) its agent or master.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

export const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))

/** Waits (real time: these are real processes) until `cond` holds, or throws naming `what`. */
export async function until(what: string, cond: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(50)
  }
}

/** True while the process runs (a zombie counts as gone). */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1')
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0]
    return state !== 'Z' && state !== 'X'
  } catch {
    return false
  }
}

/** The wrapper pid the launcher recorded for a task's run, under <work>/meta. */
export function forkedPid(work: string, task: string): number | undefined {
  const slaves = join(work, 'meta', 'slaves')
  if (!existsSync(slaves)) return undefined
  for (const agent of readdirSync(slaves)) {
    const fws = join(slaves, agent, 'frameworks')
    if (agent === 'latest' || !existsSync(fws)) continue
    for (const fw of readdirSync(fws)) {
      const runs = join(fws, fw, 'executors', task, 'runs')
      if (!existsSync(runs)) continue
      for (const run of readdirSync(runs)) {
        const file = join(runs, run, 'pids', 'forked.pid')
        if (existsSync(file)) return Number(readFileSync(file, 'utf8').trim())
      }
    }
  }
  return undefined
}

/** `<work>/slaves/*\/frameworks/*\/executors/<task>/runs/latest`, if the task ran there. */
export function sandboxOf(work: string, task: string): string | undefined {
  const slaves = join(work, 'slaves')
  for (const agent of existsSync(slaves) ? readdirSync(slaves) : []) {
    const fws = join(slaves, agent, 'frameworks')
    for (const fw of existsSync(fws) ? readdirSync(fws) : []) {
      const p = join(fws, fw, 'executors', task, 'runs', 'latest')
      if (existsSync(p)) return p
    }
  }
  return undefined
}

/** SIGKILLs the process group of every recorded run of these tasks (teardown of checkpointed tasks). */
export function killTasks(works: string[], tasks: string[]): void {
  for (const work of works) {
    for (const task of tasks) {
      const pid = forkedPid(work, task)
      if (pid === undefined) continue
      try {
        process.kill(-pid, 'SIGKILL')
      } catch {
        // Gone.
      }
    }
  }
}
