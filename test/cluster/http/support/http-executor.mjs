// An executor written from scratch against Mesos's v1 executor HTTP API: plain fetch and a
// RecordIO parser, no SDK. It subscribes at MESOS_AGENT_ENDPOINT, answers each LAUNCH with
// TASK_RUNNING (whose `data` carries the MESOS_* environment it was started with, base64 JSON)
// then TASK_FINISHED, and exits once both are ACKNOWLEDGED, or on SHUTDOWN. With MODE=stay it
// only reports TASK_RUNNING, and answers KILL with TASK_KILLED. Every event it gets is appended
// to `events.json` lines in its sandbox (its cwd).
import { appendFileSync } from 'node:fs'
import { randomUUID } from 'node:crypto'

const env = process.env
const url = `http://${env.MESOS_AGENT_ENDPOINT}/api/v1/executor`
const ids = { framework_id: { value: env.MESOS_FRAMEWORK_ID }, executor_id: { value: env.MESOS_EXECUTOR_ID } }
const NAMES = ['MESOS_AGENT_ENDPOINT', 'MESOS_FRAMEWORK_ID', 'MESOS_EXECUTOR_ID', 'MESOS_SANDBOX', 'MESOS_DIRECTORY', 'MESOS_CHECKPOINT', 'MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD', 'MESOS_AGENT_ID', 'MESOS_SLAVE_ID']

const uuid = () => Buffer.from(randomUUID().replaceAll('-', ''), 'hex').toString('base64')
const b64 = value => Buffer.from(JSON.stringify(value)).toString('base64')

async function call(body) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...ids, ...body }) })
  if (res.status !== 202) throw new Error(`${body.type} answered ${res.status}: ${await res.text()}`)
}

async function update(taskId, state, data) {
  const status = { task_id: taskId, state, source: 'SOURCE_EXECUTOR', uuid: uuid() }
  if (data !== undefined) status.data = data
  await call({ type: 'UPDATE', update: { status } })
}

/** RecordIO: `<decimal length>\n<that many bytes of JSON>`, repeated. */
async function* records(body) {
  let buffer = Buffer.alloc(0)
  for await (const chunk of body) {
    buffer = Buffer.concat([buffer, Buffer.from(chunk)])
    for (;;) {
      const nl = buffer.indexOf(10)
      if (nl < 0) break
      const length = Number(buffer.subarray(0, nl).toString('latin1'))
      if (buffer.length < nl + 1 + length) break
      yield JSON.parse(buffer.subarray(nl + 1, nl + 1 + length).toString('utf8'))
      buffer = buffer.subarray(nl + 1 + length)
    }
  }
}

const res = await fetch(url, {
  method: 'POST',
  headers: { 'content-type': 'application/json', accept: 'application/json' },
  body: JSON.stringify({ ...ids, type: 'SUBSCRIBE', subscribe: {} }),
})
if (res.status !== 200) {
  console.error(`SUBSCRIBE answered ${res.status}: ${await res.text()}`)
  process.exit(2)
}
let acks = 0
for await (const event of records(res.body)) {
  appendFileSync('events.json', `${JSON.stringify(event)}\n`)
  if (event.type === 'LAUNCH') {
    const taskId = event.launch.task.task_id
    const seen = Object.fromEntries(NAMES.map(n => [n, env[n]]))
    await update(taskId, 'TASK_RUNNING', b64(seen))
    if (env.MODE === 'stay') continue
    await call({ type: 'MESSAGE', message: { data: b64({ hello: 'framework' }) } })
    await update(taskId, 'TASK_FINISHED')
  } else if (event.type === 'KILL') {
    await update(event.kill.task_id, 'TASK_KILLED')
  } else if (event.type === 'ACKNOWLEDGED') {
    if (++acks === 2 && env.MODE !== 'stay') process.exit(0)
  } else if (event.type === 'SHUTDOWN' || event.type === 'ERROR') {
    process.exit(0)
  }
}
