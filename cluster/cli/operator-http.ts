// GETs against the master's and agents' HTTP APIs for the operator's tools (ps, cat, tail), with
// failures as one line naming the URL: the tools are run by hand, and "fetch failed" says nothing.

import { CommandError } from './command.js'

/** How long one request may take: a master or agent that accepts but never answers is a failure. */
const REQUEST_TIMEOUT_MS = 10_000

export class HttpStatusError extends CommandError {
  readonly status: number
  constructor(url: string, status: number, body: string) {
    super(`${url}: HTTP ${status}${body.trim() !== '' ? `: ${body.trim().slice(0, 200)}` : ''}`, 1, 'HTTP_STATUS')
    this.status = status
  }
}

export async function getJson<T>(url: string, signal?: AbortSignal): Promise<T> {
  let response: Response
  const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS)
  try {
    response = await fetch(url, { signal: signal ? AbortSignal.any([signal, timeout]) : timeout })
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause
    const why = cause?.code ?? cause?.message ?? (err as Error).message
    throw new CommandError(`cannot reach ${url}: ${why}`, 1, 'UNREACHABLE')
  }
  const text = await response.text()
  if (!response.ok) throw new HttpStatusError(url, response.status, text)
  try {
    return JSON.parse(text) as T
  } catch {
    throw new CommandError(`${url}: the answer is not JSON: ${text.slice(0, 100)}`, 1, 'NOT_JSON')
  }
}
