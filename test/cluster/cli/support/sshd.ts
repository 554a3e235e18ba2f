// A private sshd on 127.0.0.1 for start-cluster's tests: its own host key, a client key in
// authorized_keys, a free port, torn down in t.teardown. Root only (sshd logs a user in by
// switching to them) and only where /usr/sbin/sshd is installed (apt-get install -y openssh-server).

import { execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import type { Test } from 'tap'
import { freePort } from '../../../../cluster/nats-server.js'
import { tempDir } from './cli.js'

export const SSHD = '/usr/sbin/sshd'

/** Why these tests cannot run here, or false. */
export function sshdSkipReason(): string | false {
  if (!existsSync(SSHD)) return `no ${SSHD} (apt-get install -y openssh-server)`
  if (process.getuid?.() !== 0) return 'not root: sshd can only log users in as root'
  if (!existsSync('/usr/bin/ssh') && !existsSync('/bin/ssh')) return 'no ssh client (apt-get install -y openssh-client)'
  return false
}

export interface TestSshd {
  readonly port: number
  /** For start-cluster's --ssh_options: this server's port, the client key, no operator config. */
  readonly sshOptions: string
}

function waitForPort(host: string, port: number, child: { exitCode: number | null }, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (child.exitCode !== null) return reject(new Error(`sshd exited with ${child.exitCode}`))
      const socket = connect(port, host)
      socket.once('connect', () => {
        socket.destroy()
        resolve()
      })
      socket.once('error', () => {
        socket.destroy()
        if (Date.now() > deadline) reject(new Error(`sshd not listening on ${port} within ${ms} ms`))
        else setTimeout(attempt, 50)
      })
    }
    attempt()
  })
}

/** A host key and a client key in authorized_keys, which several sshds may share. */
export function sshKeys(t: Test): string {
  const dir = tempDir(t, 'mesos-ts-sshd-')
  const keygen = (file: string) => execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', file])
  keygen(join(dir, 'host_key'))
  keygen(join(dir, 'client_key'))
  execFileSync('cp', [join(dir, 'client_key.pub'), join(dir, 'authorized_keys')])
  return dir
}

export interface SshdOptions {
  /** Lowers the sessions' hard open-file limit, as on the seed's machines. */
  hardOpenFiles?: number
  /** Keys from sshKeys(); default: new ones. */
  keys?: string
  /** Default: a free one. */
  port?: number
  /** Default 127.0.0.1. */
  listen?: string
  /** Run sshd in this network namespace: its sessions are another "host". */
  netns?: string
  /** Variables every session gets (sshd's SetEnv), as a host's own environment. */
  setEnv?: Record<string, string>
}

export async function startSshd(t: Test, options: SshdOptions = {}): Promise<TestSshd> {
  const dir = options.keys ?? sshKeys(t)
  const port = options.port ?? (await freePort())
  const listen = options.listen ?? '127.0.0.1'
  const config = join(tempDir(t, 'mesos-ts-sshd-config-'), 'sshd_config')
  const setEnv = Object.entries(options.setEnv ?? {}).map(([k, v]) => `${k}=${v}`)
  writeFileSync(
    config,
    [
      `Port ${port}`,
      `ListenAddress ${listen}`,
      ...(setEnv.length > 0 ? [`SetEnv ${setEnv.join(' ')}`] : []),
      `HostKey ${join(dir, 'host_key')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'PidFile none',
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      '',
    ].join('\n'),
  )
  // Privilege separation needs this directory; a fresh container may not have it.
  mkdirSync('/run/sshd', { recursive: true })
  const sshd = [...(options.netns !== undefined ? ['ip', 'netns', 'exec', options.netns] : []), SSHD, '-D', '-e', '-f', config]
  const argv = options.hardOpenFiles === undefined ? sshd : ['sh', '-c', `ulimit -Sn ${options.hardOpenFiles} && ulimit -Hn ${options.hardOpenFiles} && exec "$@"`, 'sh', ...sshd]
  const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] })
  let log = ''
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (log += chunk))
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()))
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      await exited
    }
  })
  try {
    await waitForPort(listen === '0.0.0.0' ? '127.0.0.1' : listen, port, child)
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${log}`)
  }
  const sshOptions = [
    `-p ${port}`,
    `-i ${join(dir, 'client_key')}`,
    '-F /dev/null',
    '-o IdentitiesOnly=yes',
    '-o StrictHostKeyChecking=no',
    `-o UserKnownHostsFile=${join(dir, 'known_hosts')}`,
    '-o LogLevel=ERROR',
    '-o ConnectTimeout=10',
  ].join(' ')
  return { port, sshOptions }
}
