// The receiving process of the two-process runtime benchmark.
// argv: <nats url> <expect>. Hosts counter@peer, which sends Done to driver@main at the end.
import { NatsTransport, Runtime } from '../../runtime/index.js'
import { BenchMessages, counterMachine } from './bench-machines.js'

const [url, expect] = process.argv.slice(2)
const transport = await NatsTransport.connect({ servers: url!, name: 'bench-peer' })
const rt = new Runtime({ transport, node: 'peer' })
rt.registerMessages(BenchMessages)
rt.spawn(counterMachine, { name: 'counter', input: { expect: Number(expect), notify: 'driver@main' } })
await rt.flush()
process.stdout.write('ready\n')
process.on('SIGTERM', () => void rt.close().then(() => process.exit(0)))
