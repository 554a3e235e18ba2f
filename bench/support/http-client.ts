// The HTTP bench's client, in its own process (forked with IPC), as a real client of a master
// is: reading and parsing a 40 MB body then costs the master's process nothing.
// Request: { id, url, parse? }; reply: { id, ms, bytes, agents?, tasks?, error? }.
import process from 'node:process'

interface Request {
  id: number
  url: string
  /** Parse the body as /master/state and count its agents and tasks (not timed). */
  parse?: boolean
}

process.on('message', (msg: Request) => {
  void (async () => {
    try {
      const started = performance.now()
      const res = await fetch(msg.url)
      const body = Buffer.from(await res.arrayBuffer())
      const ms = performance.now() - started
      if (res.status !== 200) throw new Error(`${msg.url}: HTTP ${res.status}: ${body.toString().slice(0, 200)}`)
      let counts: { agents?: number; tasks?: number } = {}
      if (msg.parse) {
        const state = JSON.parse(body.toString()) as { slaves: unknown[]; frameworks: Array<{ tasks: unknown[] }> }
        counts = { agents: state.slaves.length, tasks: state.frameworks.reduce((n, f) => n + f.tasks.length, 0) }
      }
      process.send!({ id: msg.id, ms, bytes: body.length, ...counts })
    } catch (err) {
      process.send!({ id: msg.id, error: String(err) })
    }
  })()
})
process.on('disconnect', () => process.exit(0))
