// The agents process of the launch benchmark: N emulated agents on one NATS runtime.
// argv: <nats url> <count> <resources>. Prints progress, then "ready" once all are registered.
// Agents follow the leading master (the JetStream lease when masters contend); every change of
// leader and the moment all agents are registered with it are printed as `event <name> <ms>`.
import { NatsTransport, Runtime } from '../../runtime/index.js'
import { ProtocolMessages } from '../../actors/protocol/index.js'
import { agentMachine } from '../../actors/agent/index.js'
import { executorSpawner } from '../../actors/executor/index.js'
import { parseResources, toJson } from '../../actors/resources/index.js'
import { MASTER_PID } from '../../cluster/node-names.js'
import { detectMaster } from '../../cluster/lease-detector.js'

const [url, countText, resourcesText] = process.argv.slice(2)
const count = Number(countText)
const rt = new Runtime({ transport: await NatsTransport.connect({ servers: url!, name: 'bench-agents' }), node: 'bench-agents', linkTimeoutMs: 60_000 })
rt.registerMessages(ProtocolMessages)
const resources = toJson(parseResources(resourcesText!))
const spawnExecutor = executorSpawner(rt)
const detection = await detectMaster({ servers: [url!], prefix: 'mesos', clock: rt.clock, pollMs: 100 })
let leader = detection.detector.current() ?? MASTER_PID
const agents = Array.from({ length: count }, (_, i) =>
  rt.spawn(agentMachine, {
    name: `agent-${i}`,
    input: { masterPid: leader, masterEpoch: detection.detector.currentEpoch?.(), info: { hostname: `host${i}`, port: 5051, resources }, workDir: '/nonexistent', executor: 'emulated', spawnExecutor },
  }),
)
// Which agents are registered with the leader they follow, kept up to date from each agent's
// snapshots (a scan of 10,000 snapshots every few ms cost the agents process a tenth of its CPU
// during a failover).
const registered = new Set<number>()
let onRegisteredChange: (() => void) | undefined
agents.forEach((a, i) =>
  a.actor.subscribe(s => {
    const now = s.matches('registered') && (s.context as { core: { masterPid: string } }).core.masterPid === leader
    if (now === registered.has(i)) return
    if (now) registered.add(i)
    else registered.delete(i)
    onRegisteredChange?.()
  }),
)
// Agents follow every change of leader from the start: on a loaded machine a leader can lose its
// lease while 10,000 agents register. Events are printed only once all are registered (the
// failover bench waits for the first `event detected` after it kills the leader).
let ready = false
detection.detector.onChange(pid => {
  if (!pid) return
  leader = pid
  registered.clear()
  onRegisteredChange = undefined
  // Printed before the agents are told: telling 10,000 emulated agents takes this process about
  // half a second, which belongs to the reregistration, not to the detection.
  if (ready) process.stdout.write(`event detected ${Date.now()} ${pid}\n`)
  for (const a of agents) a.send({ type: 'NewMasterDetected', masterPid: pid, masterEpoch: detection.detector.currentEpoch?.() })
  if (!ready) return
  // How many ReregisterAgent it took (retries on the backoff come on top of one per agent).
  const sends = rt.metrics.counter('runtime/messages_sent/ReregisterAgent')
  const sentBefore = sends.value
  onRegisteredChange = () => {
    if (registered.size < count) return
    process.stdout.write(`event reregistered ${Date.now()} ${pid} ${sends.value - sentBefore}\n`)
    onRegisteredChange = undefined
  }
})
for (;;) {
  process.stderr.write(`agents registered: ${registered.size}/${count}\n`)
  if (registered.size === count) break
  await new Promise(r => setTimeout(r, 500))
}
ready = true
process.stdout.write('ready\n')
process.on('SIGTERM', () => void rt.close().then(() => process.exit(0)))
