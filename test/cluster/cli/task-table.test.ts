import t from 'tap'
import type { MasterState } from '../../../cluster/cli/task-locator.js'
import { taskTable } from '../../../cluster/cli/task-table.js'

const task = (id: string, state = 'TASK_RUNNING') => ({ id, name: id, framework_id: 'F', slave_id: 'S1', state, resources: { cpus: 0.5, mem: 128 } })
const state: MasterState = {
  slaves: [{ id: 'S1', hostname: 'slave1', port: 5051, pid: 'agent@slave1:5051' }],
  frameworks: [
    { id: 'F1', name: 'spark', tasks: [task('a'), task('shared')], completed_tasks: [task('done', 'TASK_FINISHED')] },
    { id: 'F2', name: 'hadoop', tasks: [task('shared')] },
  ],
  completed_frameworks: [{ id: 'F0', name: 'old', tasks: [], completed_tasks: [task('gone', 'TASK_KILLED')] }],
}

t.test('taskTable: running tasks, or all with --all', async (t) => {
  const running = taskTable(state, false).split('\n')
  t.equal(running[0], 'FRAMEWORK    TASK ID  NAME    STATE         HOST    CPUS  MEM')
  t.equal(running[1], 'spark (F1)   a        a       TASK_RUNNING  slave1  0.5   128 MB')
  t.equal(running.length, 5, 'three tasks, a header and the final newline')
  t.match(taskTable(state, true), /old \(F0\) +gone +gone +TASK_KILLED/)
  t.equal(taskTable({ slaves: [], frameworks: [] }, false), 'No running tasks.\n')
})
