import t from 'tap'
import { agentUrlCandidates, findTask, type MasterState } from '../../../cluster/cli/task-locator.js'

const task = (id: string, framework: string, state = 'TASK_RUNNING') => ({ id, name: id, framework_id: framework, slave_id: 'S1', state, resources: { cpus: 0.5, mem: 128 } })
const state: MasterState = {
  slaves: [{ id: 'S1', hostname: 'slave1', port: 5051, pid: 'agent@slave1:5051' }],
  frameworks: [
    { id: 'F1', name: 'spark', tasks: [task('a', 'F1'), task('shared', 'F1')], completed_tasks: [task('done', 'F1', 'TASK_FINISHED')] },
    { id: 'F2', name: 'hadoop', tasks: [task('shared', 'F2')] },
  ],
  completed_frameworks: [{ id: 'F0', name: 'old', tasks: [], completed_tasks: [task('gone', 'F0', 'TASK_KILLED')] }],
}

t.test('findTask: by id across running, completed and finished frameworks', async (t) => {
  t.equal(findTask(state, 'a').framework.id, 'F1')
  t.equal(findTask(state, 'done').task.state, 'TASK_FINISHED')
  t.equal(findTask(state, 'gone').framework.id, 'F0')
  t.equal(findTask(state, 'shared', 'F2').framework.id, 'F2')
})

t.test('findTask: unknown and ambiguous ids say what to do', async (t) => {
  t.throws(() => findTask(state, 'nope'), { message: "no task 'nope' is known to the master (see 'mesos-ts ps --all')" })
  t.throws(() => findTask(state, 'a', 'F2'), { message: "no task 'a' in framework 'F2' is known to the master (see 'mesos-ts ps --all')" })
  t.throws(() => findTask(state, 'shared'), { message: "task id 'shared' is ambiguous: frameworks F1, F2 each have one; choose with --framework=<id>" })
})

t.test("agentUrlCandidates: an agent's own host:port; in mesos-ts local, /slave(N)/ on the master first", async (t) => {
  t.same(agentUrlCandidates('http://m:5050', state.slaves[0]), ['http://slave1:5051'])
  t.same(agentUrlCandidates('http://m:5050', { id: 'S2', hostname: 'vm', port: 5052, pid: 'agent-2@local' }), ['http://m:5050/slave(2)', 'http://vm:5052'])
})
