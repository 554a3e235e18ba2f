import t from 'tap'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import {
  AGENT_CAPABILITY_TYPES,
  FRAMEWORK_CAPABILITY_TYPES,
  OFFER_OPERATION_TYPES,
  TASK_STATES,
  TASK_STATUS_REASONS,
  TASK_STATUS_SOURCES,
  TERMINAL_TASK_STATES,
  TaskState,
  TaskStatusReason,
  isTerminalState,
  type TaskState as TaskStateT,
} from '../../../actors/protocol/index.js'

t.test('isTerminalState matches Mesos protobuf::isTerminalState', async (t) => {
  const table: Record<TaskStateT, boolean> = {
    TASK_STAGING: false,
    TASK_STARTING: false,
    TASK_RUNNING: false,
    TASK_KILLING: false,
    TASK_FINISHED: true,
    TASK_FAILED: true,
    TASK_KILLED: true,
    TASK_ERROR: true,
    TASK_LOST: true,
    TASK_DROPPED: true,
    TASK_UNREACHABLE: false,
    TASK_GONE: true,
    TASK_GONE_BY_OPERATOR: true,
    TASK_UNKNOWN: false,
  }
  t.same([...TASK_STATES].sort(), Object.keys(table).sort(), 'the table covers every state')
  for (const state of TASK_STATES) t.equal(isTerminalState(state), table[state], state)
  t.same([...TERMINAL_TASK_STATES].sort(), TASK_STATES.filter((s) => table[s]).sort())
})

t.test('enums list exactly the Mesos names', async (t) => {
  t.equal(TASK_STATES.length, 14)
  t.equal(TASK_STATUS_REASONS.length, 35)
  t.equal(new Set(TASK_STATUS_REASONS).size, 35, 'no duplicates')
  t.ok(TASK_STATUS_REASONS.every((r) => r.startsWith('REASON_')))
  t.same([...TASK_STATUS_SOURCES], ['SOURCE_MASTER', 'SOURCE_AGENT', 'SOURCE_EXECUTOR'])
  for (const cap of ['MULTI_ROLE', 'PARTITION_AWARE', 'GPU_RESOURCES', 'REGION_AWARE', 'TASK_KILLING_STATE', 'RESERVATION_REFINEMENT']) {
    t.ok((FRAMEWORK_CAPABILITY_TYPES as readonly string[]).includes(cap), cap)
  }
  t.ok((AGENT_CAPABILITY_TYPES as readonly string[]).includes('MULTI_ROLE'))
  for (const op of ['LAUNCH', 'LAUNCH_GROUP', 'RESERVE', 'UNRESERVE', 'CREATE', 'DESTROY']) {
    t.ok((OFFER_OPERATION_TYPES as readonly string[]).includes(op), op)
  }
  const state = TypeCompiler.Compile(TaskState)
  for (const s of TASK_STATES) t.ok(state.Check(s), s)
  t.notOk(state.Check('task_running'), 'names are case-sensitive')
  t.notOk(state.Check(1), 'protobuf enum numbers are not accepted')
  const reason = TypeCompiler.Compile(TaskStatusReason)
  for (const r of TASK_STATUS_REASONS) t.ok(reason.Check(r), r)
})
