// `mesos-ts start-cluster`: Mesos's mesos-start-cluster.sh. Reads the deploy files and
// mesos.conf, then over ssh starts NATS (unless mesos.conf names one) on the first master host,
// the masters, then the agents, each detached with a pid file, and reports every host.

import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseMasterAddress, readClusterConf, ValueError, type DeployHost } from '../config/index.js'
import type { CommandFile, CommandModule, ParsedFlags } from './command.js'
import { onHosts, readDeployDir, runOnHost, urlHost, type HostOutcome } from './deploy-hosts.js'
import { shellQuote, startScript, type DaemonSpec } from './remote-daemon-script.js'

/** The lines each daemon logs once it is up (master-command.ts, agent-command.ts, nats-command.ts). */
const READY = { nats: 'NATS ready:', master: 'is up on NATS', agent: 'is up, HTTP on port' } as const

/** Where the remote hosts run mesos-ts by default: this very install, as the seed has the same prefix everywhere. */
export function thisMesosTs(): string {
  const bin = fileURLToPath(new URL('../bin/mesos-ts.js', import.meta.url))
  return `${shellQuote(process.execPath)} ${shellQuote(bin)}`
}

/** mesos.conf: --config, else the seed's layout, `<prefix>/var/mesos/conf/mesos.conf` beside deploy/. */
function confPath(flags: ParsedFlags<'start-cluster'>): string | undefined {
  if (flags.config !== undefined) return flags.config
  const beside = join(dirname(flags.deploy_dir), 'conf', 'mesos.conf')
  return existsSync(beside) ? beside : undefined
}

function isNatsAddress(text: string | undefined): boolean {
  if (text === undefined) return false
  try {
    return parseMasterAddress(text).kind === 'nats'
  } catch (err) {
    if (err instanceof ValueError) return false
    throw err
  }
}

export const command: CommandModule<'start-cluster'> = {
  name: 'start-cluster',
  summary: 'Start the masters and agents of the deploy files over ssh.',
  async run(flags, ctx) {
    const deploy = readDeployDir(flags.deploy_dir)
    const conf = readClusterConf(confPath(flags))
    const write = (text: string) => void ctx.stdout.write(text)
    const ssh = { ssh: flags.ssh, options: flags.ssh_options }
    const first = deploy.masters[0]
    const masterEnv = { ...conf.master }
    const agentEnv = { ...conf.agent }

    // Masters and agents meet on NATS. mesos.conf may name it (nats=, or master=nats://...);
    // otherwise start-cluster runs one on the first master host, as the seed's cluster has none.
    const named = masterEnv.MESOS_NATS ?? (isNatsAddress(agentEnv.MESOS_MASTER) ? agentEnv.MESOS_MASTER : undefined)
    const natsUrl = named ?? `nats://${urlHost(first.host)}:${flags.nats_port}`
    masterEnv.MESOS_NATS = natsUrl
    if (!isNatsAddress(agentEnv.MESOS_MASTER)) {
      // The seed's master=master:5050 names the master's HTTP address; agents find it through NATS.
      if (agentEnv.MESOS_MASTER !== undefined) ctx.log.info(`agents find the leading master through NATS at ${natsUrl} (mesos.conf's master=${agentEnv.MESOS_MASTER} is its HTTP address)`)
      delete agentEnv.MESOS_MASTER
      agentEnv.MESOS_NATS = agentEnv.MESOS_NATS ?? natsUrl
    }
    if (flags.master_port !== undefined) masterEnv.MESOS_PORT = String(flags.master_port)
    if (flags.agent_port !== undefined) agentEnv.MESOS_PORT = String(flags.agent_port)

    const daemon = (role: DaemonSpec['role'], host: DeployHost, env: Record<string, string>): DaemonSpec => ({
      role,
      host: host.host,
      env,
      mesosTs: flags.mesos_ts ?? thisMesosTs(),
      runDir: flags.run_dir,
      logDir: env.MESOS_LOG_DIR,
      openFiles: flags.open_files,
      readyPattern: READY[role],
      readySeconds: flags.ready_timeout.ms / 1000,
    })
    const start = (role: DaemonSpec['role'], env: Record<string, string>) => (host: DeployHost) => runOnHost(ssh, role, host, startScript(daemon(role, host, env)))
    const failed = (outcomes: HostOutcome[]) => outcomes.some((o) => !o.ok)

    if (named === undefined) {
      const natsEnv = { MESOS_PORT: String(flags.nats_port), MESOS_IP: '0.0.0.0', MESOS_STORE_DIR: join(flags.run_dir, 'nats-store'), ...(masterEnv.MESOS_LOG_DIR ? { MESOS_LOG_DIR: masterEnv.MESOS_LOG_DIR } : {}) }
      write(`Starting NATS on ${first.destination} (${natsUrl})\n`)
      if (failed(await onHosts([first], start('nats', natsEnv), write))) {
        write('NATS did not start: not starting the masters and agents\n')
        return 1
      }
    }
    write(`Starting ${deploy.masters.length} master(s) from ${deploy.mastersFile}\n`)
    const masters = await onHosts(deploy.masters, start('master', masterEnv), write)
    write(`Starting ${deploy.agents.length} agent(s) from ${deploy.agentsFile}\n`)
    const agents = await onHosts(deploy.agents, start('agent', agentEnv), write)
    const bad = [...masters, ...agents].filter((o) => !o.ok)
    if (bad.length > 0) {
      write(`${bad.length} host(s) failed: ${bad.map((o) => `${o.role} ${o.host.destination}`).join(', ')}\n`)
      return 1
    }
    const port = masterEnv.MESOS_PORT ?? '5050'
    write(`Cluster started: http://${urlHost(first.host)}:${port}/ ('mesos-ts ps --master=${urlHost(first.host)}:${port}' lists its tasks)\n`)
    return 0
  },
}

export default { command } satisfies CommandFile<'start-cluster'>
