// The JSON examples of Mesos's docs/scheduler-http-api.md and docs/executor-http-api.md (as
// published, tabs and all), mapped onto our messages the way the HTTP layer will map them
// (SCHEDULER_CALLS / SCHEDULER_EVENTS), validate unchanged after stripNulls.
import t from 'tap'
import type { TSchema } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import {
  ExecutorInfo,
  FrameworkInfo,
  ProtocolMessages,
  SCHEDULER_CALLS,
  SCHEDULER_EVENTS,
  TaskGroupInfo,
  TaskInfo,
  TaskStatus,
  stripNulls,
} from '../../../actors/protocol/index.js'

function errorPath(schema: TSchema, value: unknown): string | undefined {
  const check = TypeCompiler.Compile(schema)
  return check.Check(value) ? undefined : (check.Errors(value).First()?.path ?? '(no path)')
}

type Json = Record<string, any>

/** A v1 scheduler Call -> [our message type, body], as SCHEDULER_CALLS describes. */
function fromCall(call: Json): [keyof typeof ProtocolMessages, unknown] {
  const { type, field } = SCHEDULER_CALLS[call.type as keyof typeof SCHEDULER_CALLS]
  if (type === 'Subscribe') return [type, call.subscribe]
  return [type, field === null ? { framework_id: call.framework_id } : { framework_id: call.framework_id, ...call[field] }]
}

/** A v1 scheduler Event -> [our message type, body]. */
function fromEvent(event: Json): [keyof typeof ProtocolMessages, unknown] {
  const entry = Object.entries(SCHEDULER_EVENTS).find(([, e]) => e.type === event.type)
  if (!entry) throw new Error(`unmapped event ${event.type}`)
  const [type, { field }] = entry
  return [type as keyof typeof ProtocolMessages, field === null ? {} : event[field]]
}

// ---- docs/scheduler-http-api.md ----------------------------------------------------------------

const SUBSCRIBE = `{
   "type"		: "SUBSCRIBE",
   "subscribe"	: {
      "framework_info"	: {
        "user" :  "foo",
        "name" :  "Example HTTP Framework",
        "roles": ["test1", "test2"],
        "capabilities" : [{"type": "MULTI_ROLE"}]
      },
      "suppressed_roles" : ["test2"],
      "offer_constraints" : {
        "role_constraints": {
          "test1": {
            "groups": [{
              "attribute_constraints": [{
                "selector": {"attribute_name": "foo"},
                "predicate": {"exists": {}}
              }]
            }]
          }
        }
      }
   }
}`

const SUBSCRIBED = `{
 "type"			: "SUBSCRIBED",
 "subscribed"	: {
     "framework_id"               : {"value":"12220-3440-12532-2345"},
     "heartbeat_interval_seconds" : 15
  }
}`

const TEARDOWN = `{
  "framework_id"	: {"value" : "12220-3440-12532-2345"},
  "type"			: "TEARDOWN"
}`

const ACCEPT = `{
  "framework_id": {"value": "12220-3440-12532-2345"},
  "type": "ACCEPT",
  "accept": {
    "offer_ids": [
      {"value": "12220-3440-12532-O12"}
    ],
    "operations": [
      {
        "type": "LAUNCH",
        "launch": {
          "task_infos": [
            {
              "name": "My Task",
              "task_id": {"value": "12220-3440-12532-my-task"},
              "agent_id": {"value": "12220-3440-12532-S1233"},
              "executor": {
                "command": {
                  "shell": true,
                  "value": "sleep 1000"
                },
                "executor_id": {"value": "12214-23523-my-executor"}
              },
              "resources": [
                {
                  "allocation_info": {"role": "engineering"},
                  "name": "cpus",
                  "role": "*",
                  "type": "SCALAR",
                  "scalar": {"value": 1.0}
				        }, {
                  "allocation_info": {"role": "engineering"},
                  "name": "mem",
                  "role": "*",
                  "type": "SCALAR",
                  "scalar": {"value": 128.0}
				        }
              ],
              "limits": {
                "cpus": "Infinity",
                "mem": 512.0
              }
            }
          ]
        }
      }
    ],
    "filters": {"refuse_seconds": 5.0}
  }
}`

const DECLINE = `{
  "framework_id"	: {"value" : "12220-3440-12532-2345"},
  "type"			: "DECLINE",
  "decline"			: {
    "offer_ids"	: [
                   {"value" : "12220-3440-12532-O12"},
                   {"value" : "12220-3440-12532-O13"}
                  ],
    "filters"	: {"refuse_seconds" : 5.0}
  }
}`

const KILL = `{
  "framework_id"	: {"value" : "12220-3440-12532-2345"},
  "type"			: "KILL",
  "kill"			: {
    "task_id"	:  {"value" : "12220-3440-12532-my-task"},
    "agent_id"	:  {"value" : "12220-3440-12532-S1233"}
  }
}`

const SHUTDOWN = `{
  "framework_id"	: {"value" : "12220-3440-12532-2345"},
  "type"			: "SHUTDOWN",
  "shutdown"		: {
    "executor_id"	:  {"value" : "123450-2340-1232-my-executor"},
    "agent_id"		:  {"value" : "12220-3440-12532-S1233"}
  }
}`

const ACKNOWLEDGE = `{
  "framework_id"	: {"value" : "12220-3440-12532-2345"},
  "type"			: "ACKNOWLEDGE",
  "acknowledge"		: {
    "agent_id"	:  {"value" : "12220-3440-12532-S1233"},
    "task_id"	:  {"value" : "12220-3440-12532-my-task"},
    "uuid"		:  "jhadf73jhakdlfha723adf"
  }
}`

const RECONCILE = `{
  "framework_id"	: {"value" : "12220-3440-12532-2345"},
  "type"			: "RECONCILE",
  "reconcile"		: {
    "tasks"		: [
                   { "task_id"  : {"value" : "312325"},
                     "agent_id" : {"value" : "123535"}
                   }
                  ]
  }
}`

const MESSAGE = `{
  "framework_id"	: {"value" : "12220-3440-12532-2345"},
  "type"			: "MESSAGE",
  "message"			: {
    "agent_id"       : {"value" : "12220-3440-12532-S1233"},
    "executor_id"    : {"value" : "my-framework-executor"},
    "data"           : "adaf838jahd748jnaldf"
  }
}`

// The docs print the OFFERS event with the offer array directly under "offers"; per
// scheduler.proto the field is an Event.Offers message, i.e. { "offers": { "offers": [...] } }.
// The offers themselves are taken verbatim.
const OFFERS = `{
  "type"	: "OFFERS",
  "offers"	: [
    {
      "allocation_info": { "role": "engineering" },
      "id"             : {"value": "12214-23523-O235235"},
      "framework_id"   : {"value": "12124-235325-32425"},
      "agent_id"       : {"value": "12325-23523-S23523"},
      "hostname"       : "agent.host",
      "resources"      : [
                          {
                           "allocation_info": { "role": "engineering" },
                           "name"   : "cpus",
                           "type"   : "SCALAR",
                           "scalar" : {"value" : 2},
                           "role"   : "*"
                          }
                         ],
      "attributes"     : [
                          {
                           "name"   : "os",
                           "type"   : "TEXT",
                           "text"   : {"value" : "ubuntu16.04"}
                          }
                         ],
      "executor_ids"   : [
                          {"value" : "12214-23523-my-executor"}
                         ]
    }
  ]
}`

const RESCIND = `{
  "type"	: "RESCIND",
  "rescind"	: {
    "offer_id"	: { "value" : "12214-23523-O235235"}
  }
}`

// "bytes" is not a TaskStatus field (the docs mean "data"); it is carried as an unknown field.
const UPDATE = `{
  "type"	: "UPDATE",
  "update"	: {
    "status"	: {
        "task_id"	: { "value" : "12344-my-task"},
        "state"		: "TASK_RUNNING",
        "source"	: "SOURCE_EXECUTOR",
        "uuid"		: "adfadfadbhgvjayd23r2uahj",
        "bytes"		: "uhdjfhuagdj63d7hadkf"
      }
  }
}`

const MESSAGE_EVENT = `{
  "type"	: "MESSAGE",
  "message"	: {
    "agent_id"		: { "value" : "12214-23523-S235235"},
    "executor_id"	: { "value" : "12214-23523-my-executor"},
    "data"			: "adfadf3t2wa3353dfadf"
  }
}`

const FAILURE = `{
  "type"	: "FAILURE",
  "failure"	: {
    "agent_id"		: { "value" : "12214-23523-S235235"},
    "executor_id"	: { "value" : "12214-23523-my-executor"},
    "status"		: 1
  }
}`

const HEARTBEAT = `{
  "type"	: "HEARTBEAT"
}`

t.test('scheduler calls from the docs validate unchanged', async (t) => {
  for (const [name, text] of Object.entries({ SUBSCRIBE, TEARDOWN, ACCEPT, DECLINE, KILL, SHUTDOWN, ACKNOWLEDGE, RECONCILE, MESSAGE })) {
    const call = stripNulls(JSON.parse(text))
    t.same(call, JSON.parse(text), `${name}: stripNulls leaves a null-free body as it is`)
    const [type, body] = fromCall(call)
    t.equal(errorPath(ProtocolMessages[type], body), undefined, `${name} -> ${type}`)
  }
})

t.test('scheduler events from the docs validate unchanged', async (t) => {
  for (const [name, text] of Object.entries({ SUBSCRIBED, RESCIND, UPDATE, MESSAGE_EVENT, FAILURE, HEARTBEAT })) {
    const [type, body] = fromEvent(stripNulls(JSON.parse(text)))
    t.equal(errorPath(ProtocolMessages[type], body), undefined, `${name} -> ${type}`)
  }
  const offers = JSON.parse(OFFERS)
  t.equal(errorPath(ProtocolMessages.Offers, { offers: offers.offers }), undefined, 'OFFERS -> Offers')
})

t.test('explicit nulls for absent optional fields are stripped before validation', async (t) => {
  const accept = JSON.parse(ACCEPT)
  const withNulls = structuredClone(accept)
  const taskInfo = withNulls.accept.operations[0].launch.task_infos[0]
  taskInfo.labels = null
  taskInfo.container = null
  taskInfo.data = null
  taskInfo.resources[0].reservations = null
  taskInfo.resources.push(null)
  withNulls.accept.operations[0].id = null
  withNulls.accept.filters = { refuse_seconds: null }
  const [type, raw] = fromCall(withNulls)
  t.equal(errorPath(ProtocolMessages[type], raw), '/operations/0/id', 'null is not absent to the schema')
  const [, body] = fromCall(stripNulls(withNulls))
  t.equal(errorPath(ProtocolMessages.Accept, body), undefined, 'valid after stripNulls')
  const expected = structuredClone(accept)
  expected.accept.filters = {}
  t.same(stripNulls(withNulls), expected, 'exactly the nulls are gone')

  const subscribe = JSON.parse(SUBSCRIBE)
  subscribe.subscribe.framework_info.id = null
  subscribe.subscribe.framework_info.failover_timeout = null
  subscribe.subscribe.framework_info.labels = null
  subscribe.framework_id = null
  const [sType, sBody] = fromCall(stripNulls(subscribe))
  t.equal(errorPath(ProtocolMessages[sType], sBody), undefined, 'SUBSCRIBE with nulls')
})

t.test('a required field sent as null is still missing after stripNulls', async (t) => {
  const kill = JSON.parse(KILL)
  kill.kill.task_id = null
  const [type, body] = fromCall(stripNulls(kill))
  t.equal(errorPath(ProtocolMessages[type], body), '/task_id')
})

// ---- docs/executor-http-api.md -----------------------------------------------------------------

const EXECUTOR_SUBSCRIBE = `{
  "type": "SUBSCRIBE",
  "executor_id": {
    "value": "387aa966-8fc5-4428-a794-5a868a60d3eb"
  },
  "framework_id": {
    "value": "49154f1b-8cf6-4421-bf13-8bd11dccd1f1"
  },
  "subscribe": {
    "unacknowledged_tasks": [
      {
        "name": "dummy-task",
        "task_id": {
          "value": "d40f3f3e-bbe3-44af-a230-4cb1eae72f67"
        },
        "agent_id": {
          "value": "f1c9cdc5-195e-41a7-a0d7-adaa9af07f81"
        },
        "command": {
          "value": "ls",
          "arguments": [
            "-l",
            "\\/tmp"
          ]
        }
      }
    ],
    "unacknowledged_updates": [
      {
        "framework_id": {
          "value": "49154f1b-8cf6-4421-bf13-8bd11dccd1f1"
        },
        "status": {
          "source": "SOURCE_EXECUTOR",
          "task_id": {
            "value": "d40f3f3e-bbe3-44af-a230-4cb1eae72f67"
          },
        "state": "TASK_RUNNING",
        "uuid": "ZDQwZjNmM2UtYmJlMy00NGFmLWEyMzAtNGNiMWVhZTcyZjY3Cg=="
        }
      }
    ]
  }
}`

const EXECUTOR_SUBSCRIBED = `{
  "type": "SUBSCRIBED",
  "subscribed": {
    "executor_info": {
      "executor_id": {
        "value": "387aa966-8fc5-4428-a794-5a868a60d3eb"
      },
      "command": {
        "value": "\\/path\\/to\\/executor"
      },
      "framework_id": {
        "value": "49154f1b-8cf6-4421-bf13-8bd11dccd1f1"
      }
    },
    "framework_info": {
      "user": "foo",
      "name": "my_framework"
    },
    "agent_id": {
      "value": "f1c9cdc5-195e-41a7-a0d7-adaa9af07f81"
    },
    "agent_info": {
      "host": "agenthost",
      "port": 5051
    }
  }
}`

const EXECUTOR_UPDATE = `{
  "executor_id": {
    "value": "387aa966-8fc5-4428-a794-5a868a60d3eb"
  },
  "framework_id": {
    "value": "9aaa9d0d-e00d-444f-bfbd-23dd197939a0-0000"
  },
  "type": "UPDATE",
  "update": {
    "status": {
      "executor_id": {
        "value": "387aa966-8fc5-4428-a794-5a868a60d3eb"
      },
      "source": "SOURCE_EXECUTOR",
      "state": "TASK_RUNNING",
      "task_id": {
        "value": "66724cec-2609-4fa0-8d93-c5fb2099d0f8"
      },
      "uuid": "ZDQwZjNmM2UtYmJlMy00NGFmLWEyMzAtNGNiMWVhZTcyZjY3Cg=="
    }
  }
}`

const EXECUTOR_LAUNCH = `{
  "type": "LAUNCH",
  "launch": {
    "framework_info": {
      "id": {
        "value": "49154f1b-8cf6-4421-bf13-8bd11dccd1f1"
      },
      "user": "foo",
      "name": "my_framework"
    },
    "task": {
      "name": "dummy-task",
      "task_id": {
        "value": "d40f3f3e-bbe3-44af-a230-4cb1eae72f67"
      },
      "agent_id": {
        "value": "f1c9cdc5-195e-41a7-a0d7-adaa9af07f81"
      },
      "command": {
        "value": "sleep",
        "arguments": [
          "100"
        ]
      }
    }
  }
}`

const EXECUTOR_LAUNCH_GROUP = `{
  "type": "LAUNCH_GROUP",
  "launch_group": {
    "task_group" : {
      "tasks" : [
        {
          "name": "dummy-task",
          "task_id": {
            "value": "d40f3f3e-bbe3-44af-a230-4cb1eae72f67"
          },
          "agent_id": {
            "value": "f1c9cdc5-195e-41a7-a0d7-adaa9af07f81"
          },
          "command": {
            "value": "sleep",
            "arguments": [
              "100"
            ]
          }
        }
      ]
    }
  }
}`

const EXECUTOR_ACKNOWLEDGED = `{
  "type" : "ACKNOWLEDGED",
  "acknowledged" : {
    "task_id" : {"value" : "d40f3f3e-bbe3-44af-a230-4cb1eae72f67"},
    "uuid" : "ZDQwZjNmM2UtYmJlMy00NGFmLWEyMzAtNGNiMWVhZTcyZjY3Cg=="
  }
}`

t.test('executor API examples map onto our executor messages', async (t) => {
  const subscribe = stripNulls(JSON.parse(EXECUTOR_SUBSCRIBE))
  for (const task of subscribe.subscribe.unacknowledged_tasks) t.equal(errorPath(TaskInfo, task), undefined, 'unacknowledged task')
  for (const u of subscribe.subscribe.unacknowledged_updates) t.equal(errorPath(TaskStatus, u.status), undefined, 'unacknowledged update')
  // The agent turns v1 SUBSCRIBE into ReregisterExecutor, completing each update into a record.
  const reregister = {
    executor_id: subscribe.executor_id,
    framework_id: subscribe.framework_id,
    tasks: subscribe.subscribe.unacknowledged_tasks,
    updates: subscribe.subscribe.unacknowledged_updates.map((u: Json) => ({
      framework_id: subscribe.framework_id,
      executor_id: subscribe.executor_id,
      status: u.status,
      timestamp: 1_700_000_000,
      uuid: u.status.uuid,
    })),
  }
  t.equal(errorPath(ProtocolMessages.ReregisterExecutor, reregister), undefined, 'SUBSCRIBE -> ReregisterExecutor')

  const update = stripNulls(JSON.parse(EXECUTOR_UPDATE))
  const statusUpdate = {
    update: {
      framework_id: update.framework_id,
      executor_id: update.executor_id,
      status: update.update.status,
      timestamp: 1_700_000_000,
      uuid: update.update.status.uuid,
    },
  }
  t.equal(errorPath(ProtocolMessages.StatusUpdate, statusUpdate), undefined, 'UPDATE -> StatusUpdate')

  const launch = stripNulls(JSON.parse(EXECUTOR_LAUNCH))
  const runTask = { framework: launch.launch.framework_info, framework_id: launch.launch.framework_info.id, task: launch.launch.task }
  t.equal(errorPath(ProtocolMessages.RunTask, runTask), undefined, 'LAUNCH <- RunTask')

  const group = stripNulls(JSON.parse(EXECUTOR_LAUNCH_GROUP))
  t.equal(errorPath(TaskGroupInfo, group.launch_group.task_group), undefined, 'LAUNCH_GROUP task_group')

  const acked = stripNulls(JSON.parse(EXECUTOR_ACKNOWLEDGED))
  const ack = { agent_id: { value: 'a1' }, framework_id: { value: 'f1' }, ...acked.acknowledged }
  t.equal(errorPath(ProtocolMessages.StatusUpdateAcknowledgement, ack), undefined, 'ACKNOWLEDGED <- StatusUpdateAcknowledgement')

  const subscribed = stripNulls(JSON.parse(EXECUTOR_SUBSCRIBED))
  t.equal(errorPath(ExecutorInfo, subscribed.subscribed.executor_info), undefined, 'SUBSCRIBED executor_info')
  t.equal(errorPath(FrameworkInfo, subscribed.subscribed.framework_info), undefined, 'SUBSCRIBED framework_info')
  // The docs' agent_info says "host" where AgentInfo requires "hostname": a doc slip that the
  // schema catches, with the path.
  const registered = { ...subscribed.subscribed, framework_id: subscribed.subscribed.executor_info.framework_id }
  t.equal(errorPath(ProtocolMessages.ExecutorRegistered, registered), '/agent_info/hostname')
})
