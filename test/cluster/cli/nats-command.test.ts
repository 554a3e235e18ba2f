import t from 'tap'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { connect } from '@nats-io/transport-node'
import { Kvm } from '@nats-io/kv'
import { freePort, isPortFree, natsServerPath } from '../../../cluster/nats-server.js'
import { runCli, startCli, tempDir } from './support/cli.js'

const skip = natsServerPath() === undefined ? 'no nats-server binary (apt-get install -y nats-server)' : false

t.test('a missing nats-server binary is the install hint on one line, exit 1', async (t) => {
  const storeDir = join(tempDir(t, 'mesos-ts-nobin-'), 'store')
  const { code, stdout, stderr } = await runCli(t, ['nats', `--store_dir=${storeDir}`], { env: { NATS_SERVER_BIN: '/nonexistent' } })
  t.equal(code, 1)
  t.notOk(existsSync(storeDir), 'no store directory is made for a server that cannot start')
  t.equal(stdout, '')
  t.match(stderr, /^mesos-ts nats: nats-server not found: NATS_SERVER_BIN=\/nonexistent is not an executable file; install it with `apt-get install -y nats-server`/)
  t.equal(stderr.trimEnd().split('\n').length, 1, 'one line, no stack trace')
})

t.test('an unwritable --log_dir is one line, exit 1', async (t) => {
  const file = join(tempDir(t, 'mesos-ts-logdir-'), 'a-file')
  writeFileSync(file, '')
  const { code, stderr } = await runCli(t, ['nats', `--log_dir=${file}/logs`])
  t.equal(code, 1)
  t.match(stderr, /^mesos-ts nats: --log_dir: .*ENOTDIR.*\n$/)
})

t.test('--user without --password is a configuration error', async (t) => {
  const { code, stderr } = await runCli(t, ['nats', '--user=alice'])
  t.equal(code, 2)
  t.match(stderr, /^mesos-ts nats: --user and --password go together: set --password too \(see 'mesos-ts nats --help'\)\n$/)
})

t.test('nats: prints a URL clients can use, stops cleanly on SIGTERM and writes --log_dir', { skip }, async (t) => {
  const port = await freePort()
  const storeDir = tempDir(t, 'mesos-ts-nats-store-')
  const logDir = join(tempDir(t, 'mesos-ts-nats-logs-'), 'logs')
  const cli = startCli(t, ['nats', `--port=${port}`, `--store_dir=${storeDir}`, `--log_dir=${logDir}`])
  const [line, url] = await cli.waitForStdout(/^NATS ready: (\S+) {2}\(pass it as --master to agents and frameworks.*\)\n/m)
  t.equal(url, `nats://127.0.0.1:${port}`, line)

  const nc = await connect({ servers: url, maxReconnectAttempts: 0 })
  t.teardown(() => nc.close())
  const sub = nc.subscribe('mesos.test', { max: 1 })
  nc.publish('mesos.test', 'hello')
  for await (const msg of sub) t.equal(msg.string(), 'hello', 'pub/sub through the server')
  const kv = await new Kvm(nc).create('mesos-cli-test')
  await kv.put('k', 'v')
  t.equal((await kv.get('k'))?.string(), 'v', 'JetStream KV works')
  t.ok(existsSync(join(storeDir, 'jetstream')), 'JetStream stores under --store_dir')
  await nc.close()

  cli.child.kill('SIGTERM')
  const { code, signal } = await cli.exited()
  t.equal(signal, null)
  t.equal(code, 0, 'exit 0 after SIGTERM')
  t.ok(await isPortFree(port), 'the port is free again')
  t.notMatch(cli.stderr(), /"level":(50|60)/, 'nothing logged at error')

  const logFile = join(logDir, 'mesos-nats.log')
  t.ok(existsSync(logFile), '--log_dir holds mesos-nats.log')
  const entries = readFileSync(logFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { msg: string; level: number; name: string })
  t.ok(entries.some((e) => e.msg === 'nats-server ready'), 'the log file has the startup')
  t.ok(entries.some((e) => /received SIGTERM/.test(e.msg)), 'and the shutdown')
  t.ok(entries.every((e) => e.name === 'mesos-nats'))
})

t.test('nats: a port in use is one line naming it, exit 1', { skip }, async (t) => {
  const port = await freePort()
  const storeDir = tempDir(t, 'mesos-ts-nats-store-')
  const first = startCli(t, ['nats', `--port=${port}`, `--store_dir=${join(storeDir, 'a')}`])
  await first.waitForStdout(/^NATS ready:/m)
  const second = await runCli(t, ['nats', `--port=${port}`, `--store_dir=${join(storeDir, 'b')}`])
  t.equal(second.code, 1)
  t.match(second.stderr, new RegExp(`^mesos-ts nats: nats-server on port ${port} exited with code 1 before it was ready`, 'm'))
  t.match(second.stderr, /address already in use/)
  first.child.kill('SIGTERM')
  t.equal((await first.exited()).code, 0)
})

t.test('nats --cluster_size=3: three routed servers on consecutive ports, KV with 3 replicas', { skip }, async (t) => {
  // Three consecutive free ports: probe from a free one upwards.
  let base = 0
  for (let attempt = 0; attempt < 20 && base === 0; attempt++) {
    const p = await freePort()
    if (p + 2 <= 65535 && (await isPortFree(p + 1)) && (await isPortFree(p + 2))) base = p
  }
  t.not(base, 0, 'found three free consecutive ports')
  const storeDir = tempDir(t, 'mesos-ts-nats-cluster-')
  const cli = startCli(t, ['nats', `--port=${base}`, '--cluster_size=3', '--cluster_name=cli-test', `--store_dir=${storeDir}`])
  const [, urls] = await cli.waitForStdout(/^NATS ready: (\S+) /m, 60_000)
  t.equal(urls, [0, 1, 2].map((i) => `nats://127.0.0.1:${base + i}`).join(','), 'a comma-separated list, usable as --master')
  for (const i of [1, 2, 3]) t.ok(existsSync(join(storeDir, `cli-test-${i}`)), `member ${i} stores under --store_dir/cli-test-${i}`)

  const nc = await connect({ servers: urls.split(','), maxReconnectAttempts: 0 })
  t.teardown(() => nc.close())
  const kv = await new Kvm(nc).create('mesos-cli-r3', { replicas: 3 })
  await kv.put('leader', 'master@m1')
  t.equal((await kv.get('leader'))?.string(), 'master@m1', 'an R3 bucket works at once: the cluster was KV-ready')
  await nc.close()

  cli.child.kill('SIGINT')
  t.equal((await cli.exited()).code, 0, 'exit 0 after SIGINT')
  for (const i of [0, 1, 2]) t.ok(await isPortFree(base + i), `port ${base + i} is free again`)
})
