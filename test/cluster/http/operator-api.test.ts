import t from 'tap'
import { masterWorld, operatorCall } from './support/master-server-fixture.js'

t.test('read calls answer in master.proto Response shape', async t => {
  const w = await masterWorld(t)
  const fw = await w.launch('ops', 3)
  const call = async (type: string, extra: Record<string, unknown> = {}) => {
    const res = await operatorCall(w.app, { type, ...extra })
    t.equal(res.statusCode, 200, type)
    const body = res.json()
    t.equal(body.type, type)
    return body
  }
  t.same((await call('GET_HEALTH')).get_health, { healthy: true })
  t.same((await call('GET_FLAGS')).get_flags.flags, [{ name: 'port', value: '5050' }, { name: 'cluster', value: 'test' }])
  t.same((await call('GET_VERSION')).get_version, { version_info: { version: '0.1.0-test' } })
  const metrics = (await call('GET_METRICS', { get_metrics: { timeout: { nanoseconds: 1e9 } } })).get_metrics.metrics
  t.ok(metrics.some((m: any) => m.name === 'master/tasks_running' && m.value === 3))
  t.same((await call('GET_LOGGING_LEVEL')).get_logging_level, { level: 0 })
  const master = (await call('GET_MASTER')).get_master
  t.equal(master.master_info.pid, w.cluster.masterPid)
  t.type(master.start_time, 'number')
  const agents = (await call('GET_AGENTS')).get_agents.agents
  t.equal(agents.length, 2)
  t.match(agents[0], { active: true, agent_info: { hostname: String }, total_resources: Array })
  const frameworks = (await call('GET_FRAMEWORKS')).get_frameworks
  t.equal(frameworks.frameworks[0].framework_info.id.value, fw.frameworkId)
  t.equal(frameworks.frameworks[0].allocated_resources.length > 0, true)
  const tasks = (await call('GET_TASKS')).get_tasks
  t.equal(tasks.tasks.length, 3)
  t.match(tasks.tasks[0], { task_id: { value: String }, framework_id: { value: fw.frameworkId }, agent_id: { value: String }, state: 'TASK_RUNNING' })
  const state = (await call('GET_STATE')).get_state
  t.equal(state.get_tasks.tasks.length, 3)
  t.equal(state.get_agents.agents.length, 2)
  t.equal(state.get_frameworks.frameworks.length, 1)
  t.ok(Array.isArray(state.get_executors.executors))
  t.ok(Array.isArray((await call('GET_EXECUTORS')).get_executors.executors))
  t.same((await call('GET_WEIGHTS')).get_weights, { weight_infos: [] })
  t.same((await call('GET_QUOTA')).get_quota, { status: { infos: [], configs: [] } })
  t.same((await call('GET_ROLES')).get_roles, { roles: [] })
})

t.test('bad input: 400 naming the field, 415, 406, 413, 501', async t => {
  const w = await masterWorld(t, { numAgents: 1, server: { bodyLimit: 64 * 1024 } })
  const expect400 = async (payload: string, pattern: RegExp, what: string) => {
    const res = await operatorCall(w.app, payload)
    t.equal(res.statusCode, 400, what)
    t.match(res.body, pattern, what)
  }
  await expect400('{"type": "GET_HEALTH"', /Failed to parse body into JSON/, 'truncated JSON')
  await expect400('not json', /Failed to parse body into JSON/, 'malformed JSON')
  await expect400('[1,2]', /Expecting a JSON object/, 'not an object')
  await expect400('{}', /Expecting 'type' to be present/, 'no type')
  await expect400('{"type": 5}', /'type'/, 'type of the wrong type')
  await expect400('{"type": "GET_EVERYTHING"}', /unknown call type 'GET_EVERYTHING'/, 'unknown call type')
  await expect400('{"type": "UPDATE_WEIGHTS"}', /'update_weights' to be present/, 'missing arguments')
  await expect400('{"type": "UPDATE_WEIGHTS", "update_weights": {"weight_infos": [{"role": "a", "weight": "heavy"}]}}', /update_weights\.weight_infos\.0\.weight/, 'wrong type deep inside')
  await expect400('{"type": "MARK_AGENT_GONE", "mark_agent_gone": {}}', /mark_agent_gone\.agent_id/, 'missing required field')
  await expect400('{"type": "GET_METRICS", "get_metrics": {"timeout": {"nanoseconds": "soon"}}}', /get_metrics\.timeout\.nanoseconds/, 'GET_METRICS timeout')

  const noType = await w.app.inject({ method: 'POST', url: '/api/v1', payload: '{"type":"GET_HEALTH"}' })
  t.equal(noType.statusCode, 400)
  t.match(noType.body, /Content-Type/)
  const proto = await operatorCall(w.app, '{"type":"GET_HEALTH"}', { 'content-type': 'application/x-protobuf' })
  t.equal(proto.statusCode, 415)
  const accept = await operatorCall(w.app, '{"type":"GET_HEALTH"}', { accept: 'application/x-protobuf' })
  t.equal(accept.statusCode, 406)
  const huge = await operatorCall(w.app, JSON.stringify({ type: 'GET_HEALTH', padding: 'x'.repeat(100 * 1024) }))
  t.equal(huge.statusCode, 413)
  const notYet = await operatorCall(w.app, { type: 'LIST_FILES', list_files: { path: '/' } })
  t.equal(notYet.statusCode, 501)
  const nulls = await operatorCall(w.app, { type: 'GET_HEALTH', get_metrics: null })
  t.equal(nulls.statusCode, 200, 'null fields are unset, as in Mesos')
})

t.test('UPDATE_WEIGHTS and UPDATE_QUOTA go through the master and show in GET_WEIGHTS, GET_QUOTA, GET_ROLES and /master/roles', async t => {
  const w = await masterWorld(t, { numAgents: 2 })
  const weights = await operatorCall(w.app, { type: 'UPDATE_WEIGHTS', update_weights: { weight_infos: [{ role: 'prod', weight: 3 }, { role: 'dev', weight: 0.5 }] } })
  t.equal(weights.statusCode, 200)
  const got = (await operatorCall(w.app, { type: 'GET_WEIGHTS' })).json().get_weights.weight_infos
  t.same(got.sort((a: any, b: any) => a.role.localeCompare(b.role)), [{ role: 'dev', weight: 0.5 }, { role: 'prod', weight: 3 }])
  const badWeight = await operatorCall(w.app, { type: 'UPDATE_WEIGHTS', update_weights: { weight_infos: [{ role: 'prod', weight: -1 }] } })
  t.equal(badWeight.statusCode, 400)
  t.match(badWeight.body, /weight_infos\[0\]\.weight/)

  const quota = await operatorCall(w.app, { type: 'UPDATE_QUOTA', update_quota: { quota_configs: [{ role: 'prod', guarantees: { cpus: { value: 2 } }, limits: { cpus: { value: 4 }, mem: { value: 1024 } } }] } })
  t.equal(quota.statusCode, 200, quota.body)
  const status = (await operatorCall(w.app, { type: 'GET_QUOTA' })).json().get_quota.status
  t.same(status.configs, [{ role: 'prod', guarantees: { cpus: { value: 2 } }, limits: { cpus: { value: 4 }, mem: { value: 1024 } } }])
  const over = await operatorCall(w.app, { type: 'UPDATE_QUOTA', update_quota: { quota_configs: [{ role: 'big', guarantees: { cpus: { value: 100 } } }] } })
  t.equal(over.statusCode, 400)
  t.match(over.body, /force/)
  const forced = await operatorCall(w.app, { type: 'UPDATE_QUOTA', update_quota: { force: true, quota_configs: [{ role: 'big', guarantees: { cpus: { value: 100 } } }] } })
  t.equal(forced.statusCode, 200)
  const inverted = await operatorCall(w.app, { type: 'UPDATE_QUOTA', update_quota: { quota_configs: [{ role: 'x', guarantees: { cpus: { value: 2 } }, limits: { cpus: { value: 1 } } }] } })
  t.equal(inverted.statusCode, 400)
  const roles = (await w.app.inject({ method: 'GET', url: '/master/roles' })).json().roles
  const prod = roles.find((r: any) => r.name === 'prod')
  t.equal(prod.weight, 3)
  t.same(prod.quota.guarantee, { cpus: 2 })
  t.same(prod.quota.limit, { cpus: 4, mem: 1024 })
  t.same(roles.map((r: any) => r.name), ['big', 'dev', 'prod'])
  const v1roles = (await operatorCall(w.app, { type: 'GET_ROLES' })).json().get_roles.roles
  t.equal(v1roles.length, 3)
})

t.test('RESERVE_RESOURCES offers the reservation only to its role; UNRESERVE gives it back', async t => {
  const w = await masterWorld(t, { numAgents: 1, resources: 'cpus:2;mem:1024;disk:1024' })
  const agentId = [...w.cluster.masterCore.agents.keys()][0]!
  const reserved = [
    { name: 'cpus', type: 'SCALAR', scalar: { value: 1 }, reservations: [{ type: 'DYNAMIC', role: 'prod', principal: 'ops' }] },
    { name: 'mem', type: 'SCALAR', scalar: { value: 512 }, reservations: [{ type: 'DYNAMIC', role: 'prod', principal: 'ops' }] },
  ]
  const res = await operatorCall(w.app, { type: 'RESERVE_RESOURCES', reserve_resources: { agent_id: { value: agentId }, resources: reserved } })
  t.equal(res.statusCode, 202, res.body)
  const agent = (await w.app.inject({ method: 'GET', url: '/master/state' })).json().slaves[0]
  t.match(agent.reserved_resources, { prod: { cpus: 1, mem: 512 } })
  t.match(agent.unreserved_resources, { cpus: 1, mem: 512 })
  t.match(agent.resources, { cpus: 2, mem: 1024 })

  // A framework in role '*' never sees the reservation; one in 'prod' does.
  const star = await w.launch('star', 10)
  t.ok(star.updates.every(u => u.state === 'TASK_RUNNING'))
  const tasks = (await operatorCall(w.app, { type: 'GET_TASKS' })).json().get_tasks.tasks
  t.equal(tasks.length, 10, 'ten 0.1-cpu tasks fit in the unreserved cpu')
  const prodTask = reserved.map(r => ({ ...r, scalar: { value: r.name === 'cpus' ? 0.1 : 32 } }))
  const prod = await w.launch('prod', 10, { role: 'prod' }, prodTask)
  t.equal(prod.updates.filter(u => u.state === 'TASK_RUNNING').length, 10, 'prod runs on its reservation')

  const bad = await operatorCall(w.app, { type: 'RESERVE_RESOURCES', reserve_resources: { agent_id: { value: agentId }, resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 1 } }] } })
  t.equal(bad.statusCode, 400)
  t.match(bad.body, /dynamically reserved/)
  const noAgent = await operatorCall(w.app, { type: 'RESERVE_RESOURCES', reserve_resources: { agent_id: { value: 'nope' }, resources: reserved } })
  t.equal(noAgent.statusCode, 400)
  t.match(noAgent.body, /No agent found/)
  const inUse = await operatorCall(w.app, { type: 'UNRESERVE_RESOURCES', unreserve_resources: { agent_id: { value: agentId }, resources: reserved } })
  t.equal(inUse.statusCode, 409, 'prod tasks use the reservation')
  await operatorCall(w.app, { type: 'TEARDOWN', teardown: { framework_id: { value: prod.frameworkId } } })
  const unreserve = await operatorCall(w.app, { type: 'UNRESERVE_RESOURCES', unreserve_resources: { agent_id: { value: agentId }, resources: reserved } })
  t.equal(unreserve.statusCode, 202, unreserve.body)
  const after = (await w.app.inject({ method: 'GET', url: '/master/state' })).json().slaves[0]
  t.same(after.reserved_resources, {})
})

t.test('MARK_AGENT_GONE: tasks end TASK_GONE_BY_OPERATOR (partition aware) and the agent is removed for good', async t => {
  const w = await masterWorld(t, { numAgents: 1 })
  const fw = await w.launch('pa', 2, { capabilities: [{ type: 'PARTITION_AWARE' }] })
  const agentId = [...w.cluster.masterCore.agents.keys()][0]!
  const unknown = await operatorCall(w.app, { type: 'MARK_AGENT_GONE', mark_agent_gone: { agent_id: { value: 'nope' } } })
  t.equal(unknown.statusCode, 404)
  const gone = await operatorCall(w.app, { type: 'MARK_AGENT_GONE', mark_agent_gone: { agent_id: { value: agentId } } })
  t.equal(gone.statusCode, 200, gone.body)
  const again = await operatorCall(w.app, { type: 'MARK_AGENT_GONE', mark_agent_gone: { agent_id: { value: agentId } } })
  t.equal(again.statusCode, 200, 'idempotent')
  for (let i = 0; i < 100 && fw.updates.filter(u => u.state === 'TASK_GONE_BY_OPERATOR').length < 2; i++) await new Promise(r => setTimeout(r, 10))
  t.equal(fw.updates.filter(u => u.state === 'TASK_GONE_BY_OPERATOR').length, 2)
  t.equal(w.cluster.masterCore.agents.size, 0)
  // The agent comes back with its old id: refused.
  const core = w.cluster.masterCore
  core.reregisterAgent('agent-9@elsewhere', { agent: { id: { value: agentId }, hostname: 'h', resources: [] }, version: '1' } as any)
  t.equal(core.agents.size, 0, 'a gone agent is refused on reregistration')
  const m = (await w.app.inject({ method: 'GET', url: '/metrics/snapshot' })).json()
  t.equal(m['master/tasks_gone_by_operator'], 2)
})

t.test('TEARDOWN removes the framework; 400 for an unknown one', async t => {
  const w = await masterWorld(t, { numAgents: 1 })
  const fw = await w.launch('td', 1)
  const unknown = await operatorCall(w.app, { type: 'TEARDOWN', teardown: { framework_id: { value: 'nope' } } })
  t.equal(unknown.statusCode, 400)
  t.match(unknown.body, /No framework found/)
  const res = await operatorCall(w.app, { type: 'TEARDOWN', teardown: { framework_id: { value: fw.frameworkId } } })
  t.equal(res.statusCode, 200)
  t.equal(w.cluster.masterCore.frameworks.size, 0)
})
