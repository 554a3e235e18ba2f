// The last lines of a run's delivery trace, for a failure report. The sim network's trace names
// each message only by size and fingerprint; the tap kept the recent messages themselves, so
// each line gets the message's type and the fields that matter to a reader (task, state, uuid).
import { EnvelopeCodec, fingerprint } from '../../runtime/index.js'
import type { World } from './world.js'

/** A stable fingerprint of the whole delivery trace: equal for equal runs. */
export function traceFingerprint(world: World): string {
  const lines = world.net.traceLines ?? []
  let h = 0x811c9dc5
  for (const line of lines) {
    for (let i = 0; i < line.length; i++) {
      h ^= line.charCodeAt(i)
      h = Math.imul(h, 0x01000193)
    }
    h ^= 10
    h = Math.imul(h, 0x01000193)
  }
  return `${lines.length}:${(h >>> 0).toString(16).padStart(8, '0')}`
}

export function traceTail(world: World, n: number): string[] {
  const lines = n > 0 ? (world.net.traceLines ?? []).slice(-n) : []
  const codec = new EnvelopeCodec()
  const known = new Map<string, string>()
  for (const m of world.ring.toArray()) {
    const key = `${m.bytes.length}:${fingerprint(m.bytes)}`
    if (known.has(key)) continue
    try {
      const env = codec.decode(m.bytes)
      known.set(key, `${env.type}${summary(env.body)}`)
    } catch {
      known.set(key, '(undecodable)')
    }
  }
  return lines.map(line => {
    const key = line.slice(line.lastIndexOf(' ') + 1)
    const what = known.get(key)
    return what === undefined ? line : `${line.slice(0, line.lastIndexOf(' '))} ${what}`
  })
}

/** A few identifying fields of a message body, as ` key=value ...`. */
function summary(body: unknown): string {
  const parts: string[] = []
  const b = body as Record<string, any> | undefined
  if (!b || typeof b !== 'object') return ''
  const status = b.update?.status ?? b.status
  const task = status?.task_id?.value ?? b.task_id?.value ?? b.task?.task_id?.value
  if (task !== undefined) parts.push(`task=${task}`)
  if (status?.state !== undefined) parts.push(status.state)
  const uuid = b.update?.uuid ?? b.uuid ?? status?.uuid
  if (uuid !== undefined) parts.push(`uuid=${String(uuid).slice(0, 8)}`)
  if (Array.isArray(b.offers)) parts.push(`offers=${b.offers.map((o: any) => `${o.id?.value}@${o.agent_id?.value}`).join(',')}`)
  if (Array.isArray(b.offer_ids)) parts.push(`offer_ids=${b.offer_ids.map((o: any) => o.value).join(',')}`)
  if (b.framework_id?.value !== undefined && task === undefined) parts.push(`fw=${b.framework_id.value}`)
  if (b.agent_id?.value !== undefined) parts.push(`agent=${b.agent_id.value}`)
  if (b.framework_info?.id?.value !== undefined) parts.push(`fw=${b.framework_info.id.value}`)
  if (typeof b.message === 'string') parts.push(JSON.stringify(b.message))
  return parts.length ? ` ${parts.join(' ')}` : ''
}
