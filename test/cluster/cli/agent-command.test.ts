// `mesos-ts agent` serves the agent's HTTP API on --port, at the root and under /slave(1)/.
import t from 'tap'
import { freePort } from '../../../cluster/nats-server.js'
import { natsServerFor, natsSkipReason } from '../../runtime/support/nats-fixture.js'
import { startCli, tempDir } from './support/cli.js'

t.test('mesos-ts agent: /health, /state and /flags on --port', { skip: natsSkipReason }, async t => {
  const nats = await natsServerFor(t)
  // A port free a moment ago: the flag table wants 1-65535, so 0 cannot be passed on.
  const port = await freePort()
  const workDir = tempDir(t, 'mesos-ts-agent-cli-')
  const cli = startCli(t, ['agent', `--master=${nats.url}`, `--port=${port}`, `--work_dir=${workDir}`, '--ip=127.0.0.1'])
  // The log (JSON on stderr when not a TTY) says when the agent is up.
  const deadline = Date.now() + 30_000
  while (!/HTTP on port \d+/.test(cli.stderr())) {
    if (Date.now() > deadline || cli.child.exitCode !== null) throw new Error(`the agent did not come up:\n${cli.stderr()}`)
    await new Promise(r => setTimeout(r, 20))
  }
  const base = `http://127.0.0.1:${port}`
  t.equal((await fetch(`${base}/health`)).status, 200)
  const state = await (await fetch(`${base}/state`)).json()
  t.equal(state.port, port, 'the agent advertises the port it serves')
  t.equal(state.flags.work_dir, workDir)
  t.same(state.frameworks, [])
  t.equal((await (await fetch(`${base}/slave(1)/flags`)).json()).flags.port, String(port))
  const browse = await fetch(`${base}/files/browse?path=/etc`)
  t.equal(browse.status, 404, 'no sandboxes before registration')
  cli.child.kill('SIGINT')
  t.equal((await cli.exited()).code, 0)
})
