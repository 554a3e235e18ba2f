// `mesos-ts ps`'s table, as Mesos's mesos-ps prints it (framework, task, state, host, cpus, mem).

import { isTerminal, type MasterState } from './task-locator.js'

const HEADER = ['FRAMEWORK', 'TASK ID', 'NAME', 'STATE', 'HOST', 'CPUS', 'MEM'] as const

function number(n: number | undefined): string {
  if (n === undefined) return '-'
  return Number.isInteger(n) ? String(n) : String(Number(n.toFixed(2)))
}

/** The tasks as aligned columns; finished ones only when `all`. */
export function taskTable(state: MasterState, all: boolean): string {
  const hosts = new Map(state.slaves.map((a) => [a.id, a.hostname]))
  const rows: string[][] = []
  for (const framework of [...state.frameworks, ...(all ? (state.completed_frameworks ?? []) : [])]) {
    const tasks = [...framework.tasks, ...(all ? (framework.completed_tasks ?? []) : [])]
    for (const task of tasks) {
      if (!all && isTerminal(task.state)) continue
      rows.push([
        `${framework.name} (${framework.id})`,
        task.id,
        task.name,
        task.state,
        hosts.get(task.slave_id) ?? task.slave_id,
        number(task.resources?.cpus),
        task.resources?.mem === undefined ? '-' : `${number(task.resources.mem)} MB`,
      ])
    }
  }
  if (rows.length === 0) return all ? 'No tasks.\n' : 'No running tasks.\n'
  const widths = HEADER.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)))
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ')
  return `${[line(HEADER), ...rows.map(line)].join('\n')}\n`
}
