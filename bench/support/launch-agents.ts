// The agents process of the launch benchmark: N emulated agents on one NATS runtime.
// argv: <nats url> <count> <resources>. Prints progress, then "ready" once all are registered.
import { NatsTransport, Runtime } from '../../runtime/index.js'
import { ProtocolMessages } from '../../actors/protocol/index.js'
import { agentMachine } from '../../actors/agent/index.js'
import { executorSpawner } from '../../actors/executor/index.js'
import { parseResources, toJson } from '../../actors/resources/index.js'
import { MASTER_PID } from '../../cluster/node-names.js'

const [url, countText, resourcesText] = process.argv.slice(2)
const count = Number(countText)
const rt = new Runtime({ transport: await NatsTransport.connect({ servers: url!, name: 'bench-agents' }), node: 'bench-agents', linkTimeoutMs: 60_000 })
rt.registerMessages(ProtocolMessages)
const resources = toJson(parseResources(resourcesText!))
const spawnExecutor = executorSpawner(rt)
const agents = Array.from({ length: count }, (_, i) =>
  rt.spawn(agentMachine, {
    name: `agent-${i}`,
    input: { masterPid: MASTER_PID, info: { hostname: `host${i}`, port: 5051, resources }, workDir: '/nonexistent', executor: 'emulated', spawnExecutor },
  }),
)
for (;;) {
  const registered = agents.filter(a => a.getSnapshot().matches('registered')).length
  process.stderr.write(`agents registered: ${registered}/${count}\n`)
  if (registered === count) break
  await new Promise(r => setTimeout(r, 500))
}
process.stdout.write('ready\n')
process.on('SIGTERM', () => void rt.close().then(() => process.exit(0)))
