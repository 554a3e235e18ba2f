// `mesos-ts execute`: like mesos-execute, runs one command (K instances) as a framework,
// prints every status update, and exits with the task's exit status. It reaches the master
// over NATS (`--master=nats://...` or --nats), or over Mesos's v1 scheduler HTTP API when
// `--master` is the master's `host:port` (as in the seed's mesos.conf, `master=master:5050`).
import {
  ExecuteFramework,
  runExecute,
  describeUpdate,
  FrameworkInputError,
  type ExecuteOptions,
  type ExecuteResult,
} from '../../actors/frameworks/index.js'
import { connectHttpScheduler } from '../../actors/scheduler/index.js'
import { RealClock, type Logger } from '../../runtime/index.js'
import { detectMaster } from '../lease-detector.js'
import { CommandError, type CommandFile, type CommandModule } from './command.js'
import { frameworkMasterOf } from './master-location.js'

/** runExecute's work, with a driver on the v1 HTTP API instead of a runtime on NATS. */
async function runExecuteOverHttp(options: ExecuteOptions, master: string, log: Logger): Promise<ExecuteResult> {
  const run = new ExecuteFramework(options)
  const driver = connectHttpScheduler({ master, framework: run.framework, callbacks: run.callbacks, logger: log })
  void driver.done.then(outcome => run.driverEnded(outcome))
  const result = await run.result
  await driver.done
  return result
}

/** runExecute on NATS, following the leading master (the JetStream lease, or master@master). */
async function runOverNats(options: ExecuteOptions, servers: string[], prefix: string): Promise<ExecuteResult> {
  const detection = await detectMaster({ servers, prefix, clock: new RealClock() })
  try {
    return await runExecute(options, { nats: servers, prefix, detector: detection.detector })
  } finally {
    await detection.close()
  }
}

export const command: CommandModule<'execute'> = {
  name: 'execute',
  summary: 'Run a command as a task on the cluster and print its status updates (like mesos-execute).',
  async run(flags, ctx) {
    const master = frameworkMasterOf(flags.master, flags.nats)
    const say = (line: string): void => void ctx.stdout.write(`${line}\n`)
    const options: ExecuteOptions = {
      name: flags.name,
      command: flags.command,
      resources: flags.resources,
      instances: flags.instances,
      role: flags.role,
      env: flags.env,
      shell: flags.shell,
      frameworkName: flags.framework_name,
      checkpoint: flags.checkpoint,
      killAfterMs: flags.kill_after?.ms,
      onEvent: event => {
        if (event.type === 'subscribed') say(`Subscribed with ID ${event.frameworkId}`)
        else if (event.type === 'launched') say(`Submitted task '${event.taskId}' to agent '${event.agentId}' (${event.hostname})`)
        else if (event.type === 'update') for (const line of describeUpdate(event.status)) say(line)
        else if (event.type === 'killing') say(`Killing task '${event.taskId}'`)
        else if (event.type === 'disconnected') say('Disconnected from the master; resubscribing')
        else if (event.type === 'error') say(`Error from the master: ${event.message}`)
      },
    }
    const run = (
      master.kind === 'http'
        ? runExecuteOverHttp(options, master.address, ctx.log)
        : runOverNats(options, master.servers, flags.cluster)
    ).catch(err => {
      if (err instanceof FrameworkInputError) throw new CommandError(`--${err.message}`, 2)
      throw err
    })
    const aborted = new Promise<'aborted'>(resolve => ctx.signal.addEventListener('abort', () => resolve('aborted'), { once: true }))
    const outcome = await Promise.race([run, aborted])
    if (outcome === 'aborted') {
      say('Interrupted: the framework disconnects and the master kills its tasks')
      return 130
    }
    return outcome.exitCode
  },
}

export default { command } satisfies CommandFile<'execute'>
