import t from 'tap'
import { masterWorld } from './support/master-server-fixture.js'

t.test('classic JSON endpoints show agents, frameworks and tasks with Mesos field names', async t => {
  const w = await masterWorld(t)
  const fw = await w.launch('web', 5)

  const state = await w.app.inject({ method: 'GET', url: '/master/state' })
  t.equal(state.statusCode, 200)
  t.match(state.headers['content-type'], /application\/json/)
  const s = state.json()
  t.equal(s.version, '0.1.0-test')
  t.equal(s.pid, w.cluster.masterPid)
  t.equal(s.activated_slaves, 2)
  t.type(s.start_time, 'number')
  t.type(s.elected_time, 'number')
  t.same(s.flags, { port: '5050', cluster: 'test' })
  t.same(s.orphan_tasks, [])
  t.same(s.unregistered_frameworks, [])
  t.equal(s.slaves.length, 2)
  const agent = s.slaves[0]
  for (const key of ['id', 'pid', 'hostname', 'port', 'resources', 'used_resources', 'offered_resources', 'unreserved_resources', 'reserved_resources', 'attributes', 'registered_time', 'active', 'version']) {
    t.ok(key in agent, `slave has ${key}`)
  }
  t.same(agent.resources, { cpus: 4, gpus: 0, mem: 4096, disk: 4096, ports: '[31000-32000]' })
  t.same(agent.attributes, { rack: 'r1', zone: 'z1' })
  t.equal(s.frameworks.length, 1)
  const f = s.frameworks[0]
  t.equal(f.id, fw.frameworkId)
  t.equal(f.name, 'web')
  t.equal(f.user, 'tester')
  t.equal(f.role, '*')
  t.equal(f.active, true)
  t.equal(f.connected, true)
  t.equal(f.tasks.length, 5)
  t.match(f.used_resources, { cpus: 0.5, mem: 160 })
  const task = f.tasks.find((x: any) => x.id === 'web-0')
  t.match(task, { id: 'web-0', name: 'web-0', framework_id: fw.frameworkId, state: 'TASK_RUNNING', role: '*', resources: { cpus: 0.1, mem: 32, disk: 0, gpus: 0 } })
  t.equal(task.statuses[0].state, 'TASK_RUNNING')
  let usedCpus = 0
  for (const a of s.slaves) usedCpus += a.used_resources.cpus
  t.equal(Math.round(usedCpus * 10) / 10, 0.5, 'agents account the tasks')

  const summary = (await w.app.inject({ method: 'GET', url: '/master/state-summary' })).json()
  t.equal(summary.slaves.length, 2)
  t.equal(summary.slaves.reduce((n: number, a: any) => n + a.TASK_RUNNING, 0), 5)
  t.equal(summary.frameworks[0].TASK_RUNNING, 5)
  t.ok(summary.frameworks[0].slave_ids.length >= 1)
  t.ok(summary.slaves.some((a: any) => a.framework_ids.includes(fw.frameworkId)))

  const frameworks = (await w.app.inject({ method: 'GET', url: `/master/frameworks?framework_id=${fw.frameworkId}` })).json()
  t.equal(frameworks.frameworks.length, 1)
  t.same(frameworks.completed_frameworks, [])
  t.equal((await w.app.inject({ method: 'GET', url: '/master/frameworks?framework_id=nope' })).json().frameworks.length, 0)

  const slaves = (await w.app.inject({ method: 'GET', url: '/master/slaves' })).json()
  t.equal(slaves.slaves.length, 2)
  t.ok(Array.isArray(slaves.slaves[0].unreserved_resources_full))
  t.same(slaves.recovered_slaves, [])

  const tasks = (await w.app.inject({ method: 'GET', url: '/master/tasks?limit=2&order=asc' })).json()
  t.equal(tasks.tasks.length, 2)
  t.equal((await w.app.inject({ method: 'GET', url: '/master/tasks?task_id=web-3' })).json().tasks[0].id, 'web-3')
  const bad = await w.app.inject({ method: 'GET', url: '/master/tasks?limit=-1' })
  t.equal(bad.statusCode, 400)
  t.match(bad.body, /limit/)

  const roles = (await w.app.inject({ method: 'GET', url: '/master/roles' })).json()
  t.same(roles, { roles: [] }, "role '*' is not listed")
})

t.test('health, version, flags, redirect and 404', async t => {
  const w = await masterWorld(t, { numAgents: 1 })
  t.equal((await w.app.inject({ method: 'GET', url: '/health' })).statusCode, 200)
  t.equal((await w.app.inject({ method: 'GET', url: '/master/health' })).statusCode, 200)
  t.same((await w.app.inject({ method: 'GET', url: '/version' })).json(), { version: '0.1.0-test' })
  t.same((await w.app.inject({ method: 'GET', url: '/flags' })).json(), { flags: { port: '5050', cluster: 'test' } })
  const redirect = await w.app.inject({ method: 'GET', url: '/master/redirect' })
  t.equal(redirect.statusCode, 307)
  t.equal(redirect.headers.location, '//localhost:5050')
  t.equal((await w.app.inject({ method: 'GET', url: '/master/nothing' })).statusCode, 404)
})

t.test('wrong methods get 405 with Allow', async t => {
  const w = await masterWorld(t, { numAgents: 1 })
  for (const url of ['/master/state', '/master/state-summary', '/master/frameworks', '/master/slaves', '/master/tasks', '/master/roles', '/health', '/version', '/flags']) {
    const res = await w.app.inject({ method: 'DELETE', url })
    t.equal(res.statusCode, 405, url)
    t.equal(res.headers.allow, 'GET, HEAD', url)
  }
  for (const url of ['/api/v1', '/master/teardown']) {
    const res = await w.app.inject({ method: 'GET', url })
    t.equal(res.statusCode, 405, url)
    t.equal(res.headers.allow, 'POST', url)
  }
})

t.test('a master that is not leading redirects with 307, or says 503 when no leader is known', async t => {
  const w = await masterWorld(t, { numAgents: 1, leader: { hostname: 'm2.example', port: 5050 } })
  const res = await w.app.inject({ method: 'GET', url: '/master/state?jsonp=x' })
  t.equal(res.statusCode, 307)
  t.equal(res.headers.location, '//m2.example:5050/master/state?jsonp=x')
  const api = await w.app.inject({ method: 'POST', url: '/api/v1', headers: { 'content-type': 'application/json' }, payload: '{"type":"GET_HEALTH"}' })
  t.equal(api.statusCode, 307)
  t.equal(api.headers.location, '//m2.example:5050/api/v1')
  t.equal((await w.app.inject({ method: 'GET', url: '/master/redirect' })).headers.location, '//m2.example:5050')
  t.equal((await w.app.inject({ method: 'GET', url: '/health' })).statusCode, 200, 'a standby is healthy')

  const none = await masterWorld(t, { numAgents: 1, leader: null })
  const r503 = await none.app.inject({ method: 'GET', url: '/master/state' })
  t.equal(r503.statusCode, 503)
  t.match(r503.body, /No leader elected/)
})

t.test('/master/teardown removes a framework (form body), 400 without or with an unknown frameworkId', async t => {
  const w = await masterWorld(t, { numAgents: 1 })
  const fw = await w.launch('doomed', 2)
  const missing = await w.app.inject({ method: 'POST', url: '/master/teardown', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'x=1' })
  t.equal(missing.statusCode, 400)
  t.match(missing.body, /frameworkId/)
  const unknown = await w.app.inject({ method: 'POST', url: '/master/teardown', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'frameworkId=nope' })
  t.equal(unknown.statusCode, 400)
  const ok = await w.app.inject({ method: 'POST', url: '/master/teardown', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `frameworkId=${fw.frameworkId}` })
  t.equal(ok.statusCode, 200)
  const state = (await w.app.inject({ method: 'GET', url: '/master/state' })).json()
  t.equal(state.frameworks.length, 0)
  t.equal(state.completed_frameworks.length, 1)
  t.equal(state.completed_frameworks[0].completed_tasks.length, 2)
  t.equal(state.completed_frameworks[0].completed_tasks[0].state, 'TASK_KILLED')
})

t.test('/metrics/snapshot has Mesos keys; /metrics/prometheus the same in text', async t => {
  const w = await masterWorld(t, { numAgents: 2 })
  await w.launch('m', 3)
  await new Promise(r => setTimeout(r, 120))
  const m = (await w.app.inject({ method: 'GET', url: '/metrics/snapshot' })).json()
  for (const key of ['master/uptime_secs', 'master/elected', 'master/cpus_total', 'master/cpus_used', 'master/cpus_percent', 'master/mem_total', 'master/tasks_running', 'master/slaves_active', 'master/frameworks_active', 'allocator/mesos/allocation_run_ms', 'allocator/mesos/allocation_run_ms/count', 'allocator/mesos/allocation_runs', 'master/tasks_finished', 'runtime/messages_received']) {
    t.type(m[key], 'number', key)
  }
  t.equal(m['master/elected'], 1)
  t.equal(m['master/cpus_total'], 8)
  t.equal(m['master/tasks_running'], 3)
  t.equal(m['master/slaves_active'], 2)
  t.equal(m['master/frameworks_active'], 1)
  const prom = await w.app.inject({ method: 'GET', url: '/metrics/prometheus' })
  t.match(prom.headers['content-type'], /text\/plain/)
  t.match(prom.body, /^mesos_master_cpus_total 8$/m)
  t.match(prom.body, /^# TYPE mesos_master_tasks_running gauge$/m)
})
