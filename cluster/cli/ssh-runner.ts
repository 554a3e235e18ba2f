// Runs a script on a host over ssh, as Mesos's deploy scripts did: BatchMode (password-less ssh,
// never a prompt), the operator's ~/.ssh/config, and their options (Mesos's SSH_OPTS).

import { spawn } from 'node:child_process'

export interface SshOutcome {
  /** ssh's exit status: the script's, or 255 for ssh's own failure (unreachable, auth). */
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

export interface SshOptions {
  /** The ssh client. */
  readonly ssh: string
  /** Extra options, split on spaces (`-p 2222 -i key -o StrictHostKeyChecking=no`). */
  readonly options: string
}

export function sshArgs(options: SshOptions, destination: string): string[] {
  const extra = options.options.split(/\s+/).filter((word) => word !== '')
  return ['-o', 'BatchMode=yes', ...extra, '--', destination, 'sh -s']
}

export function runOverSsh(options: SshOptions, destination: string, script: string): Promise<SshOutcome> {
  return new Promise((resolve) => {
    const child = spawn(options.ssh, sshArgs(options, destination), { stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    child.stdin.on('error', () => {}) // ssh that failed to start or connect closes its stdin early: its exit says why.
    child.on('error', (err) => resolve({ code: 255, stdout, stderr: `${stderr}cannot run ${options.ssh}: ${err.message}\n` }))
    child.on('close', (code, signal) => resolve({ code: code ?? 128, stdout, stderr: signal ? `${stderr}ssh killed by ${signal}\n` : stderr }))
    child.stdin.end(script)
  })
}
