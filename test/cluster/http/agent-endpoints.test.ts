// The agent's HTTP endpoints against a real master and agents (`/slave(N)/` on the master's
// server, as `mesos-ts local` serves them): state with sandbox directories, flags, health,
// metrics, monitor/statistics, the files API on a real task's sandbox, the agent's v1 operator
// calls, and their error statuses.
import t from 'tap'
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { agentWorld, post, TASK_RESOURCES } from './support/agent-server-fixture.js'

t.test('state, files, statistics and the operator API of an agent running real tasks', async t => {
  const w = await agentWorld(t, { numAgents: 2 })
  const a1 = `${w.url}/slave(1)`
  w.run({ name: 'done', task_id: { value: 'done' }, resources: TASK_RESOURCES, command: { value: 'echo hello-sandbox; echo oops >&2' } })
  w.run({ name: 'long', task_id: { value: 'long' }, resources: TASK_RESOURCES, command: { value: 'sleep 600' } })
  await w.waitFor('done', 'TASK_FINISHED')
  await w.waitFor('long', 'TASK_RUNNING')
  const core = w.cluster.agentCore(1)!
  await w.until('the finished task to be acknowledged', () => [...core.frameworks.values()].some(f => f.completed.length > 0) || undefined)

  const state = await (await fetch(`${a1}/state`)).json()
  t.equal(state.id, core.agentId)
  t.equal(state.pid, w.cluster.agentPids[0])
  t.equal(state.version, '0.1.0-test')
  t.same(state.flags, { work_dir: w.workDir })
  t.match(state.resources, { cpus: 4, mem: 4096, disk: 4096, ports: '[31000-32000]' })
  t.equal(state.frameworks.length, 1)
  const fw = state.frameworks[0]
  t.match(fw, { id: w.framework.frameworkId(), name: 'agent-http', user: 'tester', role: '*', checkpoint: false })
  const running = fw.executors.find((e: any) => e.id === 'long')
  t.match(running, { id: 'long', type: 'COMMAND', container: String, resources: { cpus: 0.1, mem: 32 }, tasks: [{ id: 'long', state: 'TASK_RUNNING', framework_id: fw.id, slave_id: core.agentId }] })
  t.match(running.directory, /\/slaves\/.+\/frameworks\/.+\/executors\/long\/runs\/[^/]+$/)
  const done = fw.completed_executors.find((e: any) => e.id === 'done')
  t.match(done, { id: 'done', completed_tasks: [{ id: 'done', state: 'TASK_FINISHED' }] })
  t.match(done.directory, /\/executors\/done\/runs\/latest$/)
  t.same((await (await fetch(`${w.url}/slave(2)/state`)).json()).frameworks, [], 'agent 2 runs nothing')
  t.equal((await fetch(`${a1}/state.json`)).status, 200)

  // The sandbox, through the files API, at the directory /state gave.
  const listing = await (await fetch(`${a1}/files/browse?path=${encodeURIComponent(done.directory)}`)).json()
  const names = listing.map((f: any) => f.path.split('/').pop())
  t.ok(names.includes('stdout') && names.includes('stderr'), `stdout and stderr listed (${names})`)
  t.match(listing.find((f: any) => f.path.endsWith('/stdout')), { path: `${done.directory}/stdout`, size: 14, mode: /^-rw/, nlink: 1, mtime: Number, uid: String, gid: String })
  t.same(await (await fetch(`${a1}/files/read?path=${encodeURIComponent(`${done.directory}/stdout`)}&offset=0`)).json(), { data: 'hello-sandbox\n', offset: 0 })
  t.same(await (await fetch(`${a1}/files/read?path=${encodeURIComponent(`${done.directory}/stdout`)}&offset=-1`)).json(), { data: '', offset: 14 }, 'offset=-1 gives the size')
  t.same(await (await fetch(`${a1}/files/read?path=${encodeURIComponent(`${done.directory}/stdout`)}&offset=6&length=3`)).json(), { data: 'sandbox'.slice(0, 3), offset: 6 })
  t.same(await (await fetch(`${a1}/files/read?path=${encodeURIComponent(`${done.directory}/stdout`)}&offset=100`)).json(), { data: '', offset: 100 })
  const virtual = `/frameworks/${fw.id}/executors/done/runs/latest/stdout`
  t.same(await (await fetch(`${a1}/files/read?path=${encodeURIComponent(virtual)}&offset=0`)).json(), { data: 'hello-sandbox\n', offset: 0 }, "Mesos's virtual path")
  const download = await fetch(`${a1}/files/download?path=${encodeURIComponent(`${done.directory}/stdout`)}`)
  t.equal(download.status, 200)
  t.equal(download.headers.get('content-disposition'), 'attachment; filename=stdout')
  t.equal(download.headers.get('content-type'), 'application/octet-stream')
  t.equal(await download.text(), 'hello-sandbox\n')

  // The files API refuses what is not in a sandbox of this agent.
  const sandbox = running.directory as string
  symlinkSync('/etc', join(sandbox, 'etc-link'))
  symlinkSync(join(done.directory, 'stdout'), join(sandbox, 'other-sandbox-stdout'))
  mkdirSync(join(sandbox, 'sub'))
  writeFileSync(join(sandbox, 'sub', 'file.json'), '{"a":1}')
  const status = async (endpoint: string, path: string, extra = '') => (await fetch(`${a1}/files/${endpoint}?path=${encodeURIComponent(path)}${extra}`)).status
  for (const endpoint of ['browse', 'read', 'download']) {
    t.equal(await status(endpoint, `${sandbox}/../../../../../../../../etc`), 403, `${endpoint}: '..' is refused`)
    t.equal(await status(endpoint, `${sandbox}/sub/../stdout`), 403, `${endpoint}: any '..' is refused`)
    t.equal(await status(endpoint, '/etc/passwd'), 403, `${endpoint}: an absolute path outside`)
    t.equal(await status(endpoint, 'stdout'), 403, `${endpoint}: a relative path`)
    t.equal(await status(endpoint, `${sandbox}/etc-link/passwd`), 403, `${endpoint}: a symlink out of the sandbox`)
    t.equal(await status(endpoint, `${sandbox}/other-sandbox-stdout`), 403, `${endpoint}: a symlink into another sandbox`)
    t.equal(await status(endpoint, join(w.workDir, 'agents', '1', 'meta')), 403, `${endpoint}: the meta directory`)
    t.equal(await status(endpoint, join(w.workDir, 'agents', '2', 'slaves')), 403, `${endpoint}: another agent's work dir`)
    t.equal(await status(endpoint, `${sandbox}/missing`), 404, `${endpoint}: missing file`)
    t.equal(await status(endpoint, `/frameworks/${fw.id}/executors/nope/runs/latest`), 404, `${endpoint}: missing sandbox`)
    t.equal(await status(endpoint, ''), 400, `${endpoint}: no path`)
  }
  const outside = await fetch(`${a1}/files/read?path=/etc/passwd&offset=0`)
  t.match(await outside.text(), /is inaccessible/)
  t.equal(await status('read', sandbox, '&offset=0'), 400, 'read of a directory')
  t.equal(await status('download', sandbox), 400, 'download of a directory')
  t.equal(await status('read', `${sandbox}/stdout`, '&offset=abc'), 400, 'offset not a number')
  t.equal(await status('read', `${sandbox}/stdout`, '&offset=-2'), 400, 'offset below -1')
  t.equal(await status('read', `${sandbox}/stdout`, '&offset=0&length=x'), 400, 'length not a number')
  t.equal(await status('read', `${sandbox}/stdout`, '&offset=0&length=-5'), 400, 'length below -1')
  t.equal((await fetch(`${a1}/files/download?path=${encodeURIComponent(`${sandbox}/sub/file.json`)}`)).headers.get('content-type'), 'application/json')
  writeFileSync(join(sandbox, 'big.log'), 'x'.repeat(100_000))
  const big = await (await fetch(`${a1}/files/read?path=${encodeURIComponent(`${sandbox}/big.log`)}&offset=0`)).json()
  t.equal(big.data.length, 16 * 4096, 'one read is capped at 16 pages, as Mesos')
  t.equal((await (await fetch(`${a1}/files/read?path=${encodeURIComponent(`${sandbox}/big.log`)}&offset=99990&length=-1`)).json()).data, 'x'.repeat(10))
  t.same(
    (await (await fetch(`${a1}/files/browse?path=${encodeURIComponent(sandbox)}`)).json()).map((f: any) => [f.path.split('/').pop(), f.mode[0]]).filter((e: string[]) => e[0] !== 'stdout' && e[0] !== 'stderr'),
    [['big.log', '-'], ['etc-link', 'l'], ['other-sandbox-stdout', 'l'], ['sub', 'd']],
    'links are listed as links (their targets are not described)',
  )
  t.equal((await fetch(`${a1}/files/browse?path=/etc`, { method: 'POST' })).status, 405)

  // monitor/statistics: the running task's process group, from /proc.
  const stats = await (await fetch(`${a1}/monitor/statistics`)).json()
  const long = stats.find((s: any) => s.executor_id === 'long')
  t.match(long, { framework_id: fw.id, executor_id: 'long', source: 'long', statistics: { timestamp: Number, cpus_limit: 0.1, mem_limit_bytes: 32 * 1024 * 1024, cpus_user_time_secs: Number, cpus_system_time_secs: Number } })
  t.ok(long.statistics.mem_rss_bytes > 0, 'the task uses memory')
  t.ok(long.statistics.processes >= 1, 'the task has processes')

  // flags, health, metrics.
  t.same(await (await fetch(`${a1}/flags`)).json(), { flags: { work_dir: w.workDir } })
  const health = await fetch(`${a1}/health`)
  t.equal(health.status, 200)
  t.equal(await health.text(), '')
  const metrics = await (await fetch(`${a1}/metrics/snapshot`)).json()
  t.equal(metrics['slave/registered'], 1)
  t.ok(metrics['slave/tasks_finished'] >= 1)
  t.equal(metrics['slave/tasks_running'], 1)
  t.type(metrics['slave/uptime_secs'], 'number')
  t.match(await (await fetch(`${a1}/metrics/prometheus`)).text(), /^mesos_slave_registered 1$/m)
  t.same(await (await fetch(`${a1}/version`)).json(), { version: '0.1.0-test' })
  for (const path of ['/state', '/flags', '/health', '/metrics/snapshot', '/monitor/statistics']) {
    const res = await fetch(`${a1}${path}`, { method: 'POST' })
    t.equal(res.status, 405, `POST ${path}: 405`)
    t.equal(res.headers.get('allow'), 'GET, HEAD')
  }
  t.equal((await fetch(`${w.url}/slave(9)/state`)).status, 404, 'no agent 9')
  t.equal((await fetch(`${a1}/nope`)).status, 404)

  // The agent's v1 operator API.
  const api = `${a1}/api/v1`
  const call = async (body: unknown) => {
    const res = await post(api, body)
    t.equal(res.status, 200, `${(body as { type: string }).type}: 200`)
    return res.json()
  }
  t.same(await call({ type: 'GET_HEALTH' }), { type: 'GET_HEALTH', get_health: { healthy: true } })
  t.same(await call({ type: 'GET_FLAGS' }), { type: 'GET_FLAGS', get_flags: { flags: [{ name: 'work_dir', value: w.workDir }] } })
  t.same(await call({ type: 'GET_VERSION' }), { type: 'GET_VERSION', get_version: { version_info: { version: '0.1.0-test' } } })
  t.ok((await call({ type: 'GET_METRICS', get_metrics: { timeout: { nanoseconds: 1e9 } } })).get_metrics.metrics.some((m: any) => m.name === 'slave/registered' && m.value === 1))
  t.same(await call({ type: 'GET_LOGGING_LEVEL' }), { type: 'GET_LOGGING_LEVEL', get_logging_level: { level: 0 } })
  const tasks = (await call({ type: 'GET_TASKS' })).get_tasks
  t.same(tasks.launched_tasks.map((x: any) => x.task_id.value), ['long'])
  t.same(tasks.completed_tasks.map((x: any) => x.task_id.value), ['done'])
  t.same(tasks.queued_tasks, [])
  t.same((await call({ type: 'GET_EXECUTORS' })).get_executors.executors.map((e: any) => e.executor_info.executor_id.value), ['long'])
  t.same((await call({ type: 'GET_FRAMEWORKS' })).get_frameworks.frameworks.map((f: any) => f.framework_info.name), ['agent-http'])
  const st = (await call({ type: 'GET_STATE' })).get_state
  t.ok(st.get_tasks && st.get_executors && st.get_frameworks, 'GET_STATE has tasks, executors, frameworks')
  t.match((await call({ type: 'GET_AGENT' })).get_agent, { agent_info: { id: { value: core.agentId }, hostname: String } })
  const containers = (await call({ type: 'GET_CONTAINERS' })).get_containers.containers
  t.match(containers, [{ framework_id: { value: fw.id }, executor_id: { value: 'long' }, container_id: { value: String }, resource_statistics: { cpus_limit: 0.1 } }])
  const list = (await (await post(api, { type: 'LIST_FILES', list_files: { path: done.directory } })).json()).list_files.file_infos
  t.ok(list.some((f: any) => f.path === `${done.directory}/stdout` && f.size === 14 && typeof f.mode === 'number'))
  const readFile = (await call({ type: 'READ_FILE', read_file: { path: `${done.directory}/stdout`, offset: 6 } })).read_file
  t.same(readFile, { size: 14, data: Buffer.from('sandbox\n').toString('base64') })

  const errors: Array<[unknown, number, RegExp, Record<string, string>?]> = [
    ['{"type":', 400, /Failed to parse body into JSON/],
    [[], 400, /Expecting a JSON object/],
    [{}, 400, /Expecting 'type' to be present/],
    [{ type: 5 }, 400, /'type': Expected string/],
    [{ type: 'GET_EVERYTHING' }, 400, /unknown call type 'GET_EVERYTHING'/],
    [{ type: 'LIST_FILES' }, 400, /Expecting 'list_files' to be present/],
    [{ type: 'READ_FILE', read_file: { path: 'x', offset: -1 } }, 400, /'read_file.offset'/],
    [{ type: 'GET_METRICS', get_metrics: { timeout: 'soon' } }, 400, /'get_metrics.timeout'/],
    [{ type: 'LIST_FILES', list_files: { path: '/etc' } }, 403, /is inaccessible/],
    [{ type: 'READ_FILE', read_file: { path: `${sandbox}/nope`, offset: 0 } }, 404, /does not exist/],
    [{ type: 'LAUNCH_NESTED_CONTAINER' }, 501, /not implemented by this agent/],
    [{ type: 'GET_HEALTH' }, 406, /Accept/, { accept: 'application/x-protobuf' }],
    [{ type: 'GET_HEALTH' }, 415, /Content-Type/, { 'content-type': 'application/x-protobuf' }],
  ]
  for (const [body, code, message, headers] of errors) {
    const res = await post(api, body as object, headers)
    t.equal(res.status, code, `${JSON.stringify(body)}: ${code}`)
    t.match(await res.text(), message)
  }
  t.equal((await fetch(api)).status, 405)
  t.equal((await fetch(api, { method: 'POST', body: new Uint8Array([1]) })).status, 400, 'no Content-Type')
})
