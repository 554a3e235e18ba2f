// `mesos-ts execute`: like mesos-execute, runs one command (K instances) as a framework,
// prints every status update, and exits with the task's exit status.
import { runExecute, describeUpdate, FrameworkInputError } from '../../actors/frameworks/index.js'
import { MASTER_PID } from '../node-names.js'
import { CommandError, type CommandFile, type CommandModule } from './command.js'
import { natsServersOf } from './master-location.js'

export const command: CommandModule<'execute'> = {
  name: 'execute',
  summary: 'Run a command as a task on the cluster and print its status updates (like mesos-execute).',
  async run(flags, ctx) {
    const servers = natsServersOf(flags.master, flags.nats, 'framework')
    const say = (line: string): void => void ctx.stdout.write(`${line}\n`)
    const run = runExecute(
      {
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
      },
      { nats: servers, prefix: flags.cluster, masterPid: MASTER_PID },
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
