// The default SpawnExecutor that cluster code hands to each agent: command executors become
// their own actors (`executor-<n>@<node>`), emulated ones are hosted by one actor per agent
// (`emulated-executors-<agent name>@<node>`).
import { parsePid, type ActorHandle, type Runtime } from '../../runtime/index.js'
import { LaunchError, type ExecutorHandle, type ExecutorLaunch, type SpawnExecutor } from '../agent/index.js'
import { commandExecutorMachine } from './command-executor.js'
import { emulatedExecutorHostMachine } from './emulated-executor.js'

const counters = new WeakMap<Runtime, { next: number }>()

function nextName(runtime: Runtime): string {
  let c = counters.get(runtime)
  if (!c) counters.set(runtime, (c = { next: 0 }))
  for (;;) {
    const name = `executor-${++c.next}`
    if (!runtime.isHosting(`${name}@${runtime.node}`)) return name
  }
}

/** A SpawnExecutor that starts executors as actors of `runtime` (the agent's own runtime). */
export function executorSpawner(runtime: Runtime): SpawnExecutor {
  const hosts = new Map<string, ActorHandle>()
  return (kind, launch: ExecutorLaunch): ExecutorHandle => {
    if (kind === 'emulated') {
      let host = hosts.get(launch.agentPid)
      if (!host || !host.alive) {
        const name = `emulated-executors-${parsePid(launch.agentPid).name}`
        host = runtime.spawn(emulatedExecutorHostMachine, { name, input: { agentPid: launch.agentPid, agentId: launch.agentId, random: launch.random } })
        hosts.set(launch.agentPid, host)
      }
      host.send({ type: 'HostExecutor', frameworkId: launch.frameworkId, executorId: launch.executorId, containerId: launch.containerId })
      const pid = host.pid
      return { pid, linked: false, stop: () => {} }
    }
    if (kind === 'custom') {
      // The program of an ExecutorInfo talks to its agent over HTTP (cluster/http's
      // customExecutorSpawner wraps this one where an agent serves the executor API).
      throw new LaunchError(`custom executor '${launch.executorId}' needs the v1 executor HTTP API, which this agent's process does not serve`)
    }
    if (!launch.launcher || launch.sandbox === undefined) throw new LaunchError('a command executor needs a launcher and a sandbox')
    const handle = runtime.spawn(commandExecutorMachine, {
      name: nextName(runtime),
      input: {
        agentPid: launch.agentPid,
        agentId: launch.agentId,
        frameworkId: launch.frameworkId,
        executorId: launch.executorId,
        containerId: launch.containerId,
        sandbox: launch.sandbox,
        metaDir: launch.metaDir,
        env: launch.env,
        launcher: launch.launcher,
        killGracePeriodMs: launch.killGracePeriodMs,
        shutdownGracePeriodMs: launch.shutdownGracePeriodMs,
        random: launch.random,
        recovered: launch.recovered,
      },
    })
    return { pid: handle.pid, linked: true, stop: () => handle.stop() }
  }
}
