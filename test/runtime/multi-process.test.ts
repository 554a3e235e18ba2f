import t from 'tap'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { NatsTransport, Runtime } from '../../runtime/index.js'
import { natsServerFor, natsSkipReason, eventually } from './support/nats-fixture.js'
import { recorderMachine, TestMessages, type RecorderContext } from './support/machines.js'

const childScript = fileURLToPath(new URL('./support/child-runtime.ts', import.meta.url))

t.test('two runtimes in two processes: ping-pong, then SIGKILL is noticed through the link', { skip: natsSkipReason }, async t => {
  const server = await natsServerFor(t)
  const child = spawn(process.execPath, ['--import', 'tsx', childScript, server.url, 'child1'], { stdio: ['ignore', 'pipe', 'inherit'] })
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve())
    child.on('exit', code => reject(new Error(`child exited early with ${code}`)))
  })

  const transport = await NatsTransport.connect({ servers: server.url })
  const rt = new Runtime({ transport, node: 'parent', linkPingIntervalMs: 100, linkTimeoutMs: 1000 })
  rt.registerMessages(TestMessages)
  t.teardown(() => rt.close())
  const me = rt.spawn(recorderMachine, { name: 'me' })
  const seen = (me.getSnapshot().context as RecorderContext).seen

  for (let n = 1; n <= 3; n++) rt.send(me.pid, 'peer@child1', 'Ping', { n })
  await eventually(() => seen.filter(e => e.type === 'Pong').length === 3, 'three pongs')
  t.same(seen.map(e => e.body), [{ n: 1 }, { n: 2 }, { n: 3 }], 'in order')

  me.send({ type: 'Watch', from: 'test@t', body: { pid: 'peer@child1' } })
  const reply = await rt.request('peer@child1', 'Echo', { text: 'linked' })
  t.same(reply.body, { text: 'LINKED' })
  t.equal(seen.filter(e => e.type === 'exited').length, 0, 'a live peer is not reported')

  child.kill('SIGKILL')
  await eventually(() => seen.some(e => e.type === 'exited'), 'exited after SIGKILL')
  t.same(seen.filter(e => e.type === 'exited'), [{ type: 'exited', pid: 'peer@child1', reason: 'unreachable' }])
})
