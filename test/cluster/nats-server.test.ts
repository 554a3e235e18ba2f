import t, { type Test } from 'tap'
import { spawn } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { connect, type NatsConnection } from '@nats-io/transport-node'
import { Kvm } from '@nats-io/kv'
import {
  findNatsServer,
  freePort,
  isPortFree,
  startNatsCluster,
  startNatsServer,
  type NatsServer,
} from '../../cluster/nats-server.js'
import { TransportError } from '../../runtime/index.js'

const repoRoot = resolve(import.meta.dirname, '../..')
function skipReason(): string | false {
  try {
    findNatsServer()
    return false
  } catch (err) {
    return (err as Error).message
  }
}
const skip = skipReason()

/** True while a process with this pid exists (a zombie counts until it is reaped). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** Waits for a condition about another process (it exits asynchronously); fails after `ms`. */
async function eventually(what: string, check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

function tempDir(t: Test, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

async function connectTo(t: Test, server: NatsServer, extra: { user?: string; pass?: string } = {}): Promise<NatsConnection> {
  const nc = await connect({ servers: server.url, ...extra, maxReconnectAttempts: 0 })
  t.teardown(() => nc.close())
  return nc
}

/** One message published on `pub` and received by a subscription on `sub`. */
async function roundTrip(pub: NatsConnection, sub: NatsConnection, subject: string, beforePublish?: () => Promise<void>): Promise<string> {
  const subscription = sub.subscribe(subject, { max: 1 })
  await sub.flush()
  await beforePublish?.()
  pub.publish(subject, 'hello')
  await pub.flush()
  for await (const msg of subscription) return msg.string()
  throw new Error('subscription closed without a message')
}

t.test('a missing binary fails with the install hint', async (t) => {
  const env = { ...process.env, NATS_SERVER_BIN: '/nonexistent' }
  t.throws(() => findNatsServer(env), { name: 'TransportError', code: 'TRANSPORT', message: /NATS_SERVER_BIN=\/nonexistent.*apt-get install -y nats-server/ })
  await t.rejects(startNatsServer({ env }), TransportError)
  await t.rejects(startNatsServer({ env }), { message: /apt-get install -y nats-server/ })

  const empty = tempDir(t, 'mesos-ts-nobin-')
  t.throws(() => findNatsServer({ NATS_SERVER_BIN: empty }), { message: /is not an executable file/ }, 'a directory is not a binary')
})

t.test('the binary is found on PATH before the system directories', async (t) => {
  const dir = tempDir(t, 'mesos-ts-path-')
  const fake = join(dir, 'nats-server')
  writeFileSync(fake, '#!/bin/sh\nexit 0\n')
  chmodSync(fake, 0o755)
  t.equal(findNatsServer({ PATH: `/nonexistent-dir:${dir}` }), fake)
  writeFileSync(join(dir, 'not-executable'), '')
  t.equal(findNatsServer({ NATS_SERVER_BIN: fake }), fake)
})

t.test('a server that never gets ready fails with its last log lines, and is killed', async (t) => {
  const dir = tempDir(t, 'mesos-ts-slow-')
  const fake = join(dir, 'nats-server')
  const pidFile = join(dir, 'pid')
  writeFileSync(fake, `#!/bin/sh\necho $$ > ${pidFile}\necho "starting up slowly" >&2\nexec sleep 60\n`)
  chmodSync(fake, 0o755)
  await t.rejects(startNatsServer({ bin: fake, readyTimeoutMs: 300 }), {
    name: 'TransportError',
    message: /was not ready within 300 ms; last log lines:\nstarting up slowly/,
  })
  const pid = Number(readFileSync(pidFile, 'utf8'))
  await eventually('the unready server is gone', () => !alive(pid))
})

t.test('start, publish and subscribe, stop frees the port and removes the store dir', { skip }, async (t) => {
  const server = await startNatsServer()
  t.teardown(() => server.stop())
  t.match(server.url, /^nats:\/\/127\.0\.0\.1:\d+$/)
  t.ok(server.running)
  t.ok(alive(server.pid))
  t.ok(existsSync(join(server.storeDir, 'jetstream')), 'JetStream keeps its store under the temp dir')

  const nc = await connectTo(t, server)
  t.equal(await roundTrip(nc, nc, 'greeting'), 'hello')
  await nc.close()

  const { port, storeDir, pid } = server
  await server.stop()
  t.notOk(server.running)
  t.ok(await isPortFree(port), 'the client port is free again')
  t.notOk(existsSync(storeDir), 'the temp store dir is removed')
  await eventually('the server process is gone', () => !alive(pid))
  await server.stop()
  t.pass('stop() twice is harmless')
  await t.rejects(server.restart(), { name: 'ClosedError' })
})

t.test('kill() crashes the server; restart() brings it back on the same port with its JetStream data', { skip }, async (t) => {
  const server = await startNatsServer({ monitorPort: true })
  t.teardown(() => server.stop())
  const first = await connect({ servers: server.url, maxReconnectAttempts: 0 })
  const kv = await new Kvm(first).create('crash-test')
  await kv.put('answer', '42')
  await first.close()

  const { pid, port, storeDir } = server
  await server.kill()
  t.notOk(server.running)
  t.ok(existsSync(storeDir), 'kill() keeps the store dir')

  await server.restart()
  t.ok(server.running)
  t.not(server.pid, pid, 'a new process')
  t.equal(server.port, port, 'the same port')
  const nc = await connectTo(t, server)
  const entry = await (await new Kvm(nc).open('crash-test')).get('answer')
  t.equal(entry?.string(), '42', 'the KV value survived the crash')

  await server.restart()
  t.ok(server.running, 'restart() of a running server stops it first')
})

t.test('an explicit port that is taken fails with the server log, without retrying elsewhere', { skip }, async (t) => {
  const first = await startNatsServer()
  t.teardown(() => first.stop())
  await t.rejects(startNatsServer({ port: first.port }), {
    name: 'TransportError',
    message: new RegExp(`port ${first.port} exited with code \\d+ before it was ready; last log lines:\\n[^]*address already in use`),
  })
})

t.test('a bad config file fails with the server log', { skip }, async (t) => {
  await t.rejects(startNatsServer({ configFile: '/nonexistent/nats.conf' }), {
    name: 'TransportError',
    message: /before it was ready; last log lines:\n[^]*nonexistent\/nats\.conf/,
  })
})

t.test('user and password are required when set', { skip }, async (t) => {
  const server = await startNatsServer({ user: 'mesos', password: 's3cret' })
  t.teardown(() => server.stop())
  t.equal(server.user, 'mesos')
  await t.rejects(connect({ servers: server.url, maxReconnectAttempts: 0 }), 'anonymous connect is refused')
  const nc = await connectTo(t, server, { user: 'mesos', pass: 's3cret' })
  t.equal(await roundTrip(nc, nc, 'auth.ok'), 'hello')
})

t.test('a config file and monitoring port are honoured', { skip }, async (t) => {
  const dir = tempDir(t, 'mesos-ts-natsconf-')
  const conf = join(dir, 'nats.conf')
  writeFileSync(conf, 'max_payload: 65536\n')
  const server = await startNatsServer({ configFile: conf, monitorPort: true })
  t.teardown(() => server.stop())
  const varz = (await (await fetch(`${server.monitorUrl}/varz`)).json()) as { max_payload: number; port: number }
  t.equal(varz.max_payload, 65536)
  t.equal(varz.port, server.port)
})

t.test('servers we start tolerate a slow consumer longer than nats-server does by default; a bad deadline is refused', { skip }, async (t) => {
  const server = await startNatsServer({ monitorPort: true, jetstream: false })
  t.teardown(() => server.stop())
  const varz = (await (await fetch(`${server.monitorUrl}/varz`)).json()) as { max_pending: number; write_deadline: number }
  t.equal(varz.max_pending, 512 * 1024 * 1024)
  t.equal(varz.write_deadline, 60e9, 'in nanoseconds')
  const tuned = await startNatsServer({ monitorPort: true, jetstream: false, maxPendingBytes: 128 * 1024 * 1024, writeDeadline: '15s' })
  t.teardown(() => tuned.stop())
  const tunedVarz = (await (await fetch(`${tuned.monitorUrl}/varz`)).json()) as { max_pending: number; write_deadline: number }
  t.equal(tunedVarz.max_pending, 128 * 1024 * 1024)
  t.equal(tunedVarz.write_deadline, 15e9)
  await t.rejects(startNatsServer({ jetstream: false, writeDeadline: 'soon' }), { message: /writeDeadline 'soon' is not a duration/ })
})

t.test('a 3-server cluster forms; server 1 reaches a subscriber on server 3; R3 KV works', { skip }, async (t) => {
  const cluster = await startNatsCluster(3)
  t.teardown(() => cluster.stop())
  t.equal(cluster.servers.length, 3)
  t.equal(new Set(cluster.urls).size, 3)
  const [s1, s2, s3] = cluster.servers

  const nc1 = await connectTo(t, s1)
  const nc3 = await connectTo(t, s3)
  // Interest crosses the route asynchronously: publish once server 1 knows of the subscription.
  t.equal(await roundTrip(nc1, nc3, 'across.routes', () => s1.waitForInterest('across.routes')), 'hello')

  const kv = await new Kvm(nc1).create('replicated', { replicas: 3 })
  // The stream's interest reaches server 1 over the routes a moment after the create returns.
  await s1.waitForInterest('$KV.replicated.k')
  await kv.put('k', 'v')
  const onS3 = await new Kvm(nc3).open('replicated')
  t.equal((await onS3.get('k'))?.string(), 'v', 'a value written through server 1 is read through server 3')

  // Losing one member keeps the quorum: writes still succeed. It rejoins after a restart.
  await s2.kill()
  t.notOk(s2.running)
  await cluster.waitFormed()
  await s1.waitForInterest('$KV.replicated.k')
  await kv.put('k', 'v2')
  t.equal((await onS3.get('k'))?.string(), 'v2', 'writes go on with 2 of 3 servers')
  await s2.restart()
  await cluster.waitFormed()
  const nc2 = await connectTo(t, s2)
  t.equal(await roundTrip(nc1, nc2, 'rejoined', () => s1.waitForInterest('rejoined')), 'hello', 'the restarted member is routed again')

  const dirs = cluster.servers.map((s) => s.storeDir)
  const ports = cluster.servers.map((s) => s.port)
  await cluster.stop()
  for (const dir of dirs) t.notOk(existsSync(dir))
  for (const port of ports) t.ok(await isPortFree(port))
})

/** A child process that starts a server, reports it, then dies the way `how` says. */
async function crashChild(t: Test, how: 'exit' | 'throw' | 'SIGTERM' | 'SIGKILL'): Promise<void> {
  const dir = tempDir(t, 'mesos-ts-crash-')
  const script = join(dir, 'child.mts')
  writeFileSync(
    script,
    [
      `import { startNatsServer } from ${JSON.stringify(join(repoRoot, 'cluster/nats-server.ts'))}`,
      `const server = await startNatsServer()`,
      `process.stdout.write(JSON.stringify({ pid: server.pid, port: server.port, storeDir: server.storeDir }) + '\\n')`,
      how === 'exit' ? `process.exit(3)` : how === 'throw' ? `throw new Error('crash')` : `setInterval(() => {}, 60_000)`,
    ].join('\n'),
  )
  const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
  let stdout = ''
  const report = await new Promise<{ pid: number; port: number; storeDir: string }>((resolve, reject) => {
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk
      if (stdout.includes('\n')) resolve(JSON.parse(stdout.split('\n')[0]))
    })
    void exited.then(({ code }) => reject(new Error(`child exited (${code}) before reporting: ${stdout}`)))
  })
  t.teardown(() => {
    if (alive(report.pid)) process.kill(report.pid, 'SIGKILL')
  })
  t.ok(alive(report.pid), 'the server runs while the child does')
  if (how === 'SIGTERM' || how === 'SIGKILL') child.kill(how)
  const end = await exited
  if (how === 'SIGTERM' || how === 'SIGKILL') t.equal(end.signal, how, 'the child dies of the signal as usual')
  else t.not(end.code, 0)
  await eventually('the orphaned server is gone and its dir removed', async () => (await isPortFree(report.port)) && !existsSync(report.storeDir))
  t.pass('the orphaned server is gone and its temp dir removed')
}

t.test('a test process that exits leaves no server behind', { skip }, (t) => crashChild(t, 'exit'))
t.test('a test process that throws leaves no server behind', { skip }, (t) => crashChild(t, 'throw'))
t.test('a test process killed by SIGTERM leaves no server behind', { skip }, (t) => crashChild(t, 'SIGTERM'))
t.test('a test process killed by SIGKILL leaves no server behind', { skip }, (t) => crashChild(t, 'SIGKILL'))

t.test('freePort returns a bindable port', async (t) => {
  const port = await freePort()
  t.ok(port > 0 && port < 65536)
  t.ok(await isPortFree(port))
})
