// A bare v1 HTTP scheduler for the http bench: SUBSCRIBE, read the RecordIO stream, POST calls
// with the stream id. Written against the API (fetch and a RecordIO decoder), not the SDK.
import { EMULATED_DURATION_LABEL } from '../../actors/executor/index.js'
import { RecordIoDecoder } from '../../cluster/http/recordio.js'

export interface V1Framework {
  /** POSTs a call for this framework (its framework_id and Mesos-Stream-Id added). */
  post(body: Record<string, unknown>): Promise<unknown>
  /** Stops reading the stream and waits for the reader to end. */
  close(): Promise<void>
}

/** Subscribes as `name`; every event goes to `onEvent`. Undefined when the master has no scheduler API. */
export async function subscribeV1(base: string, name: string, onEvent: (event: any) => void): Promise<V1Framework | undefined> {
  const url = `${base}/api/v1/scheduler`
  const controller = new AbortController()
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ type: 'SUBSCRIBE', subscribe: { framework_info: { user: 'bench', name, failover_timeout: 0 } } }),
    signal: controller.signal,
  })
  if (res.status === 404) return undefined
  if (res.status !== 200) throw new Error(`scheduler SUBSCRIBE: HTTP ${res.status}: ${await res.text()}`)
  const streamId = res.headers.get('mesos-stream-id') ?? ''
  let frameworkId = ''
  const decoder = new RecordIoDecoder()
  const reading = (async () => {
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        for (const e of decoder.push(Buffer.from(chunk)) as any[]) {
          if (e.type === 'SUBSCRIBED') frameworkId = e.subscribed.framework_id.value
          onEvent(e)
        }
      }
    } catch {
      // aborted
    }
  })()
  return {
    post: body =>
      fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Mesos-Stream-Id': streamId },
        body: JSON.stringify({ framework_id: { value: frameworkId }, ...body }),
      })
        .then(r => r.arrayBuffer())
        .catch(() => undefined),
    close: async () => {
      controller.abort()
      await reading
    },
  }
}

/** Up to 20 tiny emulated tasks (`<prefix><n>`, running `durationMs`) on an offer, as one ACCEPT. */
export function acceptTasks(offer: any, prefix: string, from: number, count: number, durationMs: number, refuseSeconds: number): Record<string, unknown> {
  const infos = Array.from({ length: count }, (_, i) => ({
    name: `${prefix}${from + i}`,
    task_id: { value: `${prefix}${from + i}` },
    agent_id: offer.agent_id,
    resources: [
      { name: 'cpus', type: 'SCALAR', scalar: { value: 0.01 } },
      { name: 'mem', type: 'SCALAR', scalar: { value: 1 } },
    ],
    command: { value: 'true' },
    labels: { labels: [{ key: EMULATED_DURATION_LABEL, value: String(durationMs) }] },
  }))
  return { type: 'ACCEPT', accept: { offer_ids: [offer.id], operations: [{ type: 'LAUNCH', launch: { task_infos: infos } }], filters: { refuse_seconds: refuseSeconds } } }
}
