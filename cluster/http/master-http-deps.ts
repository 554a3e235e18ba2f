// What the master's HTTP layer (classic endpoints, operator API, v1 scheduler API, web UI)
// needs from the process that hosts the master. One object, built by `mesos-ts master` and
// `mesos-ts local`, handed to every route plugin.
import type { Logger, Pid, Runtime } from '../../runtime/index.js'
import type { MasterCore } from '../../actors/master/index.js'

export interface MasterHttpDeps {
  /** The master's runtime: its metrics registry, and where per-connection proxy actors are spawned. */
  runtime: Runtime
  /** The master actor's pid: HTTP frameworks and operator calls talk to it by message. */
  masterPid: Pid
  /** The master's state, read-only, when this process hosts the leading master; else undefined. */
  core(): MasterCore | undefined
  /** Where the leading master's HTTP API is, for 307 redirects from a non-leading master. */
  leader(): { hostname: string; port: number } | undefined
  /** The flags the process was started with, as text, for /flags and GET_FLAGS. */
  flags: Record<string, string>
  log: Logger
  /** Process start, for uptime. */
  startedAt: number
  version: string
}
