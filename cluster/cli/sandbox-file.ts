// Reads a file in a task's sandbox through the agent's /files/read (`{data, offset}`), which
// returns at most 16 pages a call, so longer reads are several calls.

import { CommandError } from './command.js'
import { getJson, HttpStatusError } from './operator-http.js'

export class SandboxFile {
  constructor(
    private readonly agentUrl: string,
    readonly path: string,
    private readonly signal?: AbortSignal,
  ) {}

  private async read(offset: number, length?: number): Promise<{ data: string; offset: number }> {
    const query = new URLSearchParams({ path: this.path, offset: String(offset) })
    if (length !== undefined) query.set('length', String(length))
    try {
      return await getJson<{ data: string; offset: number }>(`${this.agentUrl}/files/read?${query}`, this.signal)
    } catch (err) {
      if (err instanceof HttpStatusError && err.status === 404) throw new CommandError(`${this.path}: no such file in the sandbox (${this.agentUrl})`)
      throw err
    }
  }

  /** The file's size in bytes (`offset=-1`, as Mesos's web UI asks). */
  async size(): Promise<number> {
    return (await this.read(-1)).offset
  }

  /** Bytes [from, to) as text, `onData` per chunk. Returns where it stopped (the file may have grown). */
  async copy(from: number, to: number, onData: (text: string) => void): Promise<number> {
    let offset = from
    while (offset < to) {
      const { data } = await this.read(offset, to - offset)
      if (data === '') break
      onData(data)
      offset += Buffer.byteLength(data, 'utf8')
    }
    return offset
  }

  /** Where the last `lines` lines start (the agent reads bytes; this looks back in windows). */
  async startOfLastLines(lines: number, size: number): Promise<number> {
    if (lines === 0) return size
    const WINDOW = 16 * 1024
    let start = size
    let tail = ''
    while (start > 0) {
      const from = Math.max(0, start - WINDOW)
      let chunk = ''
      await this.copy(from, start, (text) => (chunk += text))
      tail = chunk + tail
      start = from
      const body = tail.endsWith('\n') ? tail.slice(0, -1) : tail
      const breaks = [...body.matchAll(/\n/g)]
      if (breaks.length >= lines) {
        const cut = breaks[breaks.length - lines].index! + 1
        return start + Buffer.byteLength(tail.slice(0, cut), 'utf8')
      }
    }
    return 0
  }
}
