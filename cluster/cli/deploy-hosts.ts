// What start-cluster and stop-cluster share: the deploy files, running one script on many hosts
// over ssh, and one report line per host.

import { existsSync, statSync } from 'node:fs'
import { ConfigError, readDeployFiles, type DeployFiles, type DeployHost } from '../config/index.js'
import { runOverSsh, type SshOptions } from './ssh-runner.js'

export function readDeployDir(dir: string): DeployFiles {
  if (!existsSync(dir)) throw new ConfigError('UNREADABLE_FILE', `--deploy_dir: '${dir}' does not exist (it holds the deploy files masters and slaves, one host per line)`, { key: 'deploy_dir', file: dir })
  if (!statSync(dir).isDirectory()) throw new ConfigError('INVALID_VALUE', `--deploy_dir: '${dir}' is not a directory`, { key: 'deploy_dir', file: dir })
  const deploy = readDeployFiles(dir)
  if (deploy.masters.length === 0) throw new ConfigError('MISSING_REQUIRED', `${deploy.mastersFile}: lists no master host`, { file: deploy.mastersFile })
  return deploy
}

export interface HostOutcome {
  readonly role: string
  readonly host: DeployHost
  readonly ok: boolean
  /** `started (pid 12)`, `already running (pid 12)`, or why it failed. */
  readonly summary: string
  readonly warnings: readonly string[]
}

/** Runs `script` on `host` and reads the outcome: the script's last line, or ssh's error. */
export async function runOnHost(ssh: SshOptions, role: string, host: DeployHost, script: string): Promise<HostOutcome> {
  const { code, stdout, stderr } = await runOverSsh(ssh, host.destination, script)
  const errLines = stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '')
  const warnings = errLines.filter((l) => l.startsWith('warning: ')).map((l) => l.slice('warning: '.length))
  const errors = errLines.filter((l) => !l.startsWith('warning: '))
  if (code === 0) {
    const last = stdout.trim().split('\n').pop() ?? ''
    return { role, host, ok: true, summary: last === '' ? 'done' : last, warnings }
  }
  const why = errors.length > 0 ? errors.join(' | ') : `exit status ${code}`
  return { role, host, ok: false, summary: `failed: ${code === 255 ? `ssh: ${why}` : why}`, warnings }
}

export function reportLine(outcome: HostOutcome): string {
  const lines = [`${outcome.role} ${outcome.host.destination}: ${outcome.summary}`]
  for (const warning of outcome.warnings) lines.push(`${outcome.role} ${outcome.host.destination}: warning: ${warning}`)
  return `${lines.join('\n')}\n`
}

/** `role host` for each host at once; each line is written as soon as that host answers. */
export async function onHosts(hosts: readonly DeployHost[], run: (host: DeployHost) => Promise<HostOutcome>, write: (text: string) => void): Promise<HostOutcome[]> {
  return Promise.all(
    hosts.map(async (host) => {
      const outcome = await run(host)
      write(reportLine(outcome))
      return outcome
    }),
  )
}

/** `host` as it goes into a URL (an IPv6 address in brackets). */
export function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host
}
