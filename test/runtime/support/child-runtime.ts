// A second OS process for the multi-process tests: one runtime on NATS hosting a recorder actor.
// argv: <nats url> <node>. Prints "ready" once its subscriptions are on the server.
import { NatsTransport, Runtime } from '../../../runtime/index.js'
import { recorderMachine, TestMessages } from './machines.js'

const [url, node] = process.argv.slice(2)
const transport = await NatsTransport.connect({ servers: url!, name: `child-${node}` })
const rt = new Runtime({ transport, node: node!, linkPingIntervalMs: 100, linkTimeoutMs: 1000 })
rt.registerMessages(TestMessages)
rt.spawn(recorderMachine, { name: 'peer' })
await rt.flush()
process.stdout.write('ready\n')
process.on('SIGTERM', () => void rt.close().then(() => process.exit(0)))
