// The streaming /master/state writer (cached UTF-8 fragments, pauses, fixed-size chunks) against
// the plain object-tree reference, on a small cluster as it changes.
import t from 'tap'
import { Readable } from 'node:stream'
import { createServer } from 'node:http'
import { PAUSE, jsonStream, masterIdentity, renderJson, writeJsonResponse, type JsonDocument } from '../../../cluster/http/master-state.js'
import { stateReference } from '../../../cluster/http/master-state-reference.js'
import { masterWorld } from './support/master-server-fixture.js'

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

t.test('jsonStream writes strings and bytes across chunk boundaries, multi-byte text intact', async t => {
  const big = Buffer.from(`"${'b'.repeat(1_500_000)}"`)
  function* doc(): JsonDocument {
    yield '['
    for (let i = 0; i < 40_000; i++) {
      if (i > 0) yield ','
      yield i % 3 === 0 ? Buffer.from(`"é${i}€"`) : `"x${i}😀"`
      if (i % 1000 === 0) yield PAUSE
    }
    yield ','
    yield big
    yield `,"${'ü'.repeat(700_000)}"]`
  }
  const streamed = await readAll(jsonStream(doc()))
  t.equal(streamed.toString('utf8'), renderJson(doc()))
  const parsed = JSON.parse(streamed.toString('utf8')) as string[]
  t.equal(parsed.length, 40_002)
  t.equal(parsed[3], 'é3€')
  t.equal(parsed[4], 'x4😀')

  // The same over HTTP, twice (the second response reuses the first one's chunk buffers).
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' })
    void writeJsonResponse(res, doc())
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise(resolve => server.close(resolve)))
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`
  for (let i = 0; i < 2; i++) t.equal(await (await fetch(url)).text(), renderJson(doc()), `HTTP response ${i + 1}`)
})

t.test('/master/state equals the plain reference, before and after tasks and frameworks change', async t => {
  const w = await masterWorld(t)
  const web = await w.launch('web', 5, {}, undefined, 40)
  // One port each: tasks with resources beyond cpus/gpus/mem/disk are summed the general way.
  const withPort = [
    { name: 'cpus', type: 'SCALAR', scalar: { value: 0.25 } },
    { name: 'mem', type: 'SCALAR', scalar: { value: 64 } },
    { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 31000, end: 31000 }] } },
  ]
  const batch = await w.launch('batch', 2, { role: 'batch', labels: { labels: [{ key: 'team', value: 'ünïcode' }] } }, withPort)
  const base = await w.listen()
  const core = w.cluster.masterCore
  const check = async (what: string): Promise<void> => {
    const body = await (await fetch(`${base}/master/state`)).text()
    t.strictSame(JSON.parse(body), JSON.parse(JSON.stringify(stateReference(core, masterIdentity(w.deps, core)))), what)
  }
  await check('two frameworks, seven running tasks')
  await check('again, from the caches')

  const killed = new Promise<void>(resolve => {
    const poll = setInterval(() => {
      if (web.updates.some(u => u.state === 'TASK_KILLED')) {
        clearInterval(poll)
        resolve()
      }
    }, 10)
  })
  web.driver.kill('web-2')
  await killed
  const state = JSON.parse(await (await fetch(`${base}/master/state`)).text())
  const tasks = [...state.frameworks[0].tasks, ...state.frameworks[0].completed_tasks]
  t.equal(tasks.find((x: { id: string }) => x.id === 'web-2').state, 'TASK_KILLED', 'a cached task shows its new state')
  await check('after a kill')

  await batch.driver.teardown()
  while (core.frameworks.size > 1) await new Promise(r => setTimeout(r, 10))
  await check('after a teardown')
})
