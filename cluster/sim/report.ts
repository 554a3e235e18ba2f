// How a run is told to a person: a one-line summary, and for a failure the invariant, the step,
// the faults in force, the last trace lines and the command that replays it.
import type { SimResult } from './simulation.js'

export function summaryLine(r: SimResult): string {
  const s = r.stats
  const t = s.tasks
  const faults = Object.entries(s.faults)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ')
  return (
    `seed ${r.config.seed}: ${r.ok ? 'ok' : `FAILED (${r.failure!.invariant})`} in ${r.elapsedMs} ms; ` +
    `${(s.simulatedMs / 1000).toFixed(1)} s simulated, ${s.messages.sent} messages (${s.messages.dropped} dropped, ${s.messages.duplicated} duplicated, ${s.messages.partitioned} cut); ` +
    `faults: ${faults || 'none'}; tasks: ${t.launched} launched, ${t.finished} finished, ${t.failed} failed, ${t.killed} killed, ${t.lost} lost/gone, ${t.open} open; ` +
    `${s.failovers} scheduler failovers; trace ${r.fingerprint}`
  )
}

export function knownLines(r: SimResult): string[] {
  return r.known.map(h => `  KNOWN ${h.known.id} (${h.known.invariant}) first at step ${h.step}: ${h.message}\n      ${h.known.diagnosis}`)
}

export function failureReport(r: SimResult): string {
  const f = r.failure
  if (!f) return ''
  const lines = [
    `INVARIANT VIOLATED: ${f.invariant}`,
    `  ${f.message}`,
    `  seen after ${f.step === 'settle' ? 'the cluster was healed and settled' : `step ${f.step}`} (t=${f.at} ms)`,
  ]
  for (const o of f.others.slice(0, 10)) lines.push(`  also ${o.invariant}: ${o.message}`)
  if (f.others.length > 10) lines.push(`  ... and ${f.others.length - 10} more`)
  if (f.activeFaults.length) lines.push(`faults in force:`, ...f.activeFaults.map(a => `  ${a}`))
  lines.push(`fault log:`, ...r.faultLog.slice(-15).map(l => `  ${l}`))
  lines.push(`last ${f.trace.length} trace lines:`, ...f.trace.map(l => `  ${l}`))
  lines.push(`reproduce: ${r.reproduce}`)
  return lines.join('\n')
}
