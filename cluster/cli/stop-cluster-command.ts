// `mesos-ts stop-cluster`: Mesos's mesos-stop-cluster.sh. Stops, over ssh and through the pid
// files start-cluster left in --run_dir, the agents first (so none is left looking for a master),
// then the masters, then the NATS server start-cluster ran on the first master host.

import type { CommandFile, CommandModule } from './command.js'
import { onHosts, readDeployDir, runOnHost } from './deploy-hosts.js'
import { stopScript } from './remote-daemon-script.js'

/** How long each may take after SIGTERM: an agent kills its tasks first (agent-command.ts waits up to 15 s). */
const GRACE_SECONDS = { agent: 30, master: 15, nats: 15 } as const

export const command: CommandModule<'stop-cluster'> = {
  name: 'stop-cluster',
  summary: 'Stop the cluster start-cluster started.',
  async run(flags, ctx) {
    const deploy = readDeployDir(flags.deploy_dir)
    const write = (text: string) => void ctx.stdout.write(text)
    const ssh = { ssh: flags.ssh, options: flags.ssh_options }
    const stop = (role: keyof typeof GRACE_SECONDS) => (host: (typeof deploy.masters)[number]) =>
      runOnHost(ssh, role, host, stopScript({ role, host: host.host, runDir: flags.run_dir, graceSeconds: GRACE_SECONDS[role] }))
    write(`Stopping ${deploy.agents.length} agent(s) from ${deploy.agentsFile}\n`)
    const agents = await onHosts(deploy.agents, stop('agent'), write)
    write(`Stopping ${deploy.masters.length} master(s) from ${deploy.mastersFile}\n`)
    const masters = await onHosts(deploy.masters, stop('master'), write)
    write(`Stopping NATS on ${deploy.masters[0].destination}\n`)
    const nats = await onHosts([deploy.masters[0]], stop('nats'), write)
    const bad = [...agents, ...masters, ...nats].filter((o) => !o.ok)
    if (bad.length > 0) {
      write(`${bad.length} host(s) failed: ${bad.map((o) => `${o.role} ${o.host.destination}`).join(', ')}\n`)
      return 1
    }
    return 0
  },
}

export default { command } satisfies CommandFile<'stop-cluster'>
