// `mesos-ts execute --master=host:port` as a user runs it: a separate process reaching the
// master over the v1 scheduler HTTP API (no NATS anywhere), to the task's exit status.
import t from 'tap'
import { runCli } from '../cli/support/cli.js'
import { schedulerApiWorld } from './support/scheduler-api-fixture.js'

t.test('mesos-ts execute --master=127.0.0.1:<port> runs a task over the HTTP API', async t => {
  const w = await schedulerApiWorld(t, { executor: 'command' })
  const ok = await runCli(t, ['execute', `--master=${w.address}`, '--name=hello', '--command=echo hello', '--resources=cpus:0.1;mem:32'])
  t.equal(ok.code, 0, ok.stderr)
  t.match(ok.stdout, /Subscribed with ID \S+/)
  t.match(ok.stdout, /Received status update TASK_FINISHED for task 'hello'/)
  t.equal(w.metric('http/scheduler/calls/TEARDOWN'), 1, 'the framework tore itself down')

  const failed = await runCli(t, ['execute', `--master=${w.address}`, '--name=seven', '--command=exit 7', '--resources=cpus:0.1;mem:32'])
  t.equal(failed.code, 7, 'the exit status of the task')
  t.match(failed.stdout, /TASK_FAILED for task 'seven'/)
})
