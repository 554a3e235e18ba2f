// `npm run bench -- runtime [--quick]`: the runtime's message path against raw NATS, measured
// in one run on the same encoded envelope bytes. See issue "Runtime foundation".
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { connect } from '@nats-io/transport-node'
import { EnvelopeCodec, LocalTransport, NatsTransport, Runtime, type Transport, type EnvelopeLayout } from '../runtime/index.js'
import { startNatsServer, type NatsServer } from '../cluster/nats-server.js'
import { BenchMessages, counterMachine, doneMachine, echoMachine } from './support/bench-machines.js'
import { emitJson, median, percentile, progress, round, table } from './support/report.js'

const CHUNK = 1000

interface Params {
  messages: number
  rounds: number
  rrSequential: number
  rrInflightTotal: number
}

/** Publishes in chunks, yielding between them, as every sender below does. */
async function pump(count: number, sendOne: (i: number) => void): Promise<void> {
  for (let i = 0; i < count; i++) {
    sendOne(i)
    if (i % CHUNK === CHUNK - 1) await new Promise(r => setImmediate(r))
  }
}

/**
 * The baseline has the topology of the one-process actor path: one connection that publishes
 * and subscribes (a runtime holds one), one NATS message per envelope, no decoding.
 */
async function rawNats(url: string, bytes: Uint8Array, count: number): Promise<number> {
  const nc = await connect({ servers: url })
  let got = 0
  let done!: () => void
  const finished = new Promise<void>(r => (done = r))
  nc.subscribe('bench.raw', {
    callback: () => {
      if (++got === count) done()
    },
  })
  await nc.flush()
  const start = performance.now()
  await pump(count, () => nc.publish('bench.raw', bytes))
  await finished
  const seconds = (performance.now() - start) / 1000
  await nc.close()
  return count / seconds
}

/** Sender and counter actors on one runtime (its transport decides: NATS or local). */
async function actorPath(transports: () => Promise<Transport>, count: number): Promise<number> {
  const rt = new Runtime({ transport: await transports(), node: 'main' })
  rt.registerMessages(BenchMessages)
  let done!: () => void
  const finished = new Promise<void>(r => (done = r))
  rt.spawn(doneMachine(), { name: 'driver', input: { onDone: () => done() } })
  rt.spawn(counterMachine, { name: 'counter', input: { expect: count, notify: 'driver@main' } })
  await rt.flush()
  const start = performance.now()
  await pump(count, i => rt.send('sender@main', 'counter@main', 'Tick', { seq: i }))
  await finished
  const seconds = (performance.now() - start) / 1000
  await rt.close()
  return count / seconds
}

async function actorTwoProcesses(url: string, count: number): Promise<number> {
  const script = fileURLToPath(new URL('./support/runtime-peer.ts', import.meta.url))
  const peer = spawn(process.execPath, [...process.execArgv.filter(a => a.startsWith('--max-semi')), '--import', 'tsx', script, url, String(count)], { stdio: ['ignore', 'pipe', 'inherit'] })
  try {
    await new Promise<void>((resolve, reject) => {
      peer.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve())
      peer.on('exit', code => reject(new Error(`bench peer exited with ${code}`)))
    })
    const rt = new Runtime({ transport: await NatsTransport.connect({ servers: url }), node: 'main' })
    rt.registerMessages(BenchMessages)
    let done!: () => void
    const finished = new Promise<void>(r => (done = r))
    rt.spawn(doneMachine(), { name: 'driver', input: { onDone: () => done() } })
    await rt.flush()
    const start = performance.now()
    await pump(count, i => rt.send('sender@main', 'counter@peer', 'Tick', { seq: i }))
    await finished
    const seconds = (performance.now() - start) / 1000
    await rt.close()
    return count / seconds
  } finally {
    peer.kill('SIGKILL')
  }
}

async function requestReply(url: string, sequential: number, inflightTotal: number): Promise<{ p50: number; p99: number; perSecond: number }> {
  const server = new Runtime({ transport: await NatsTransport.connect({ servers: url }), node: 'srv' })
  server.registerMessages(BenchMessages)
  server.spawn(echoMachine, { name: 'echo' })
  const client = new Runtime({ transport: await NatsTransport.connect({ servers: url }), node: 'cli', requestTimeoutMs: 30_000 })
  client.registerMessages(BenchMessages)
  await server.flush()
  await client.flush()
  for (let i = 0; i < 200; i++) await client.request('echo@srv', 'Echo', { seq: i })
  const latencies: number[] = []
  for (let i = 0; i < sequential; i++) {
    const t0 = performance.now()
    await client.request('echo@srv', 'Echo', { seq: i })
    latencies.push(performance.now() - t0)
  }
  let sent = 0
  const start = performance.now()
  const worker = async (): Promise<void> => {
    while (sent < inflightTotal) {
      sent++
      await client.request('echo@srv', 'Echo', { seq: sent })
    }
  }
  await Promise.all(Array.from({ length: 100 }, worker))
  const perSecond = inflightTotal / ((performance.now() - start) / 1000)
  await client.close()
  await server.close()
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), perSecond }
}

/** Encode+decode cost per envelope for each layout: why the codec uses the binary layout. */
function codecCost(): Array<[string, string]> {
  const env = { type: 'StatusUpdate', from: 'agent-17@host17', to: 'master@m1', body: { task_id: { value: 'task-123' }, state: 'TASK_RUNNING', timestamp: 1732540000.5 } }
  const rows: Array<[string, string]> = []
  for (const layout of ['binary', 'array', 'map'] as EnvelopeLayout[]) {
    const codec = new EnvelopeCodec(layout)
    let bytes = codec.encode(env)
    const n = 200_000
    const t0 = performance.now()
    for (let i = 0; i < n; i++) bytes = codec.encode(env)
    const t1 = performance.now()
    for (let i = 0; i < n; i++) codec.decode(bytes)
    const t2 = performance.now()
    rows.push([`codec ${layout} (encode/decode us, bytes)`, `${(((t1 - t0) * 1000) / n).toFixed(3)} / ${(((t2 - t1) * 1000) / n).toFixed(3)}, ${bytes.length}`])
  }
  return rows
}

export async function run(args: string[]): Promise<void> {
  const quick = args.includes('--quick')
  const params: Params = quick
    ? { messages: 200_000, rounds: 1, rrSequential: 2000, rrInflightTotal: 20_000 }
    : { messages: 1_000_000, rounds: 3, rrSequential: 10_000, rrInflightTotal: 200_000 }
  progress(`runtime bench (${quick ? 'quick' : 'full'}): ${params.messages.toLocaleString()} messages x ${params.rounds} rounds`)
  const server: NatsServer = await startNatsServer({ jetstream: false })
  try {
    const bytes = new EnvelopeCodec().encode({ type: 'Tick', from: 'sender@main', to: 'counter@main', body: { seq: 123456 } })
    const raw: number[] = []
    const actor: number[] = []
    const twoProc: number[] = []
    const local: number[] = []
    for (let r = 1; r <= params.rounds; r++) {
      // Interleaved rounds, so drift on a shared machine hits baseline and subject alike.
      raw.push(await rawNats(server.url, bytes, params.messages))
      progress(`round ${r}: raw nats ${Math.round(raw.at(-1)!).toLocaleString()} msgs/s`)
      actor.push(await actorPath(() => NatsTransport.connect({ servers: server.url }), params.messages))
      progress(`round ${r}: actor over nats ${Math.round(actor.at(-1)!).toLocaleString()} msgs/s`)
      twoProc.push(await actorTwoProcesses(server.url, params.messages))
      progress(`round ${r}: actor over nats, 2 processes ${Math.round(twoProc.at(-1)!).toLocaleString()} msgs/s`)
      local.push(await actorPath(async () => new LocalTransport(), params.messages))
      progress(`round ${r}: actor over local ${Math.round(local.at(-1)!).toLocaleString()} msgs/s`)
    }
    progress('request/reply')
    const rr = await requestReply(server.url, params.rrSequential, params.rrInflightTotal)
    const results = {
      raw_nats_msgs_per_s: Math.round(median(raw)),
      actor_nats_msgs_per_s: Math.round(median(actor)),
      ratio_actor_to_raw: round(median(actor) / median(raw)),
      actor_nats_2proc_msgs_per_s: Math.round(median(twoProc)),
      local_msgs_per_s: Math.round(median(local)),
      rr_p50_ms: round(rr.p50),
      rr_p99_ms: round(rr.p99),
      rr_inflight100_per_s: Math.round(rr.perSecond),
    }
    table([
      ['raw nats.js pub/sub (baseline)', results.raw_nats_msgs_per_s],
      ['actor -> actor over NATS, 1 process', results.actor_nats_msgs_per_s],
      ['  ratio to raw (target >= 0.6)', results.ratio_actor_to_raw],
      ['actor -> actor over NATS, 2 processes', results.actor_nats_2proc_msgs_per_s],
      ['actor -> actor over local transport', results.local_msgs_per_s],
      ['request/reply p50 ms', results.rr_p50_ms],
      ['request/reply p99 ms', results.rr_p99_ms],
      ['request/reply, 100 in flight, per s', results.rr_inflight100_per_s],
      ...codecCost(),
    ])
    emitJson({ bench: 'runtime', params: { ...params, envelope_bytes: bytes.length, nats_server: 'local, loopback' }, results })
  } finally {
    await server.stop()
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await run(process.argv.slice(2))
