// The POSIX sh scripts start-cluster and stop-cluster run on each host over ssh (on stdin, so
// nothing needs quoting twice). A daemon is started detached (setsid nohup, stdin from
// /dev/null, output to a file) so the ssh session can end, with a pid file for stop-cluster.
// Each script's last line on stdout is its outcome (`started <pid>`, ...); warnings go to
// stderr, prefixed `warning: `. Pid and output files are named by role and deploy host, so a
// run_dir or log_dir on a filesystem the hosts share (an NFS prefix) keeps them apart.

/** One daemon on one host: `mesos-ts <role>` with its environment. */
export interface DaemonSpec {
  /** master, agent or nats: the subcommand, and the name of its pid and output files. */
  readonly role: 'master' | 'agent' | 'nats'
  /** The host as the deploy file names it. */
  readonly host: string
  /** The remote mesos-ts command (may hold spaces: `node /opt/mesos-ts/cluster/bin/mesos-ts.js`). */
  readonly mesosTs: string
  readonly env: Readonly<Record<string, string>>
  /** Pid files (and, without logDir, the daemon's output). */
  readonly runDir: string
  readonly logDir: string | undefined
  /** ulimit -Sn to try. */
  readonly openFiles: number
  /** A line in the daemon's output that means it is up. */
  readonly readyPattern: string
  readonly readySeconds: number
}

/** Single-quoted for sh: safe for any text. */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`
}

const NAME = /^[A-Z_][A-Z0-9_]*$/

function files(spec: { role: string; host: string; runDir: string; logDir?: string }) {
  const name = `mesos-ts-${spec.role}-${spec.host.replace(/[^A-Za-z0-9._:-]/g, '_')}`
  return {
    pidFile: shellQuote(`${spec.runDir}/${name}.pid`),
    outFile: shellQuote(`${spec.logDir ?? spec.runDir}/${name}.out`),
  }
}

export function startScript(spec: DaemonSpec): string {
  const { pidFile, outFile } = files(spec)
  const env = Object.entries(spec.env).map(([name, value]) => {
    if (!NAME.test(name)) throw new Error(`not an environment variable name: ${name}`)
    return `${name}=${shellQuote(value)}`
  })
  const tenths = Math.max(1, Math.round(spec.readySeconds * 10))
  return `set -u
mkdir -p ${shellQuote(spec.runDir)}${spec.logDir !== undefined ? ` ${shellQuote(spec.logDir)}` : ''} || exit 1
pid_file=${pidFile}
out_file=${outFile}
if [ -f "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null; then echo "already running (pid $(cat "$pid_file"))"; exit 0; fi
# The seed's pitfall: 'ulimit -n 8192' failed where the hard limit was lower, and killed the script.
if ! ulimit -Sn ${spec.openFiles} 2>/dev/null; then
  echo "warning: could not raise the open-file limit to ${spec.openFiles} (ulimit -Sn ${spec.openFiles}: the hard limit is $(ulimit -Hn)); carrying on with $(ulimit -Sn)" >&2
fi
: > "$out_file" || exit 1
env ${env.join(' ')} setsid nohup ${spec.mesosTs} ${spec.role} < /dev/null > "$out_file" 2>&1 &
pid=$!
echo "$pid" > "$pid_file"
i=0
while [ "$i" -lt ${tenths} ]; do
  if grep -q ${shellQuote(spec.readyPattern)} "$out_file" 2>/dev/null; then echo "started (pid $pid)"; exit 0; fi
  if ! kill -0 "$pid" 2>/dev/null; then
    rm -f "$pid_file"
    echo "mesos-ts ${spec.role} exited at once; the end of $out_file:" >&2
    tail -n 5 "$out_file" >&2
    exit 1
  fi
  sleep 0.1
  i=$((i + 1))
done
echo "started (pid $pid), not up after ${spec.readySeconds}s: see $out_file"
`
}

/** SIGTERM (the daemons shut down cleanly on it), then SIGKILL to the session if it lingers. */
export function stopScript(spec: { role: string; host: string; runDir: string; graceSeconds: number }): string {
  const { pidFile } = files(spec)
  const tenths = Math.max(1, Math.round(spec.graceSeconds * 10))
  return `set -u
pid_file=${pidFile}
if [ ! -f "$pid_file" ]; then echo "not running (no pid file $pid_file)"; exit 0; fi
pid=$(cat "$pid_file")
if ! kill -0 "$pid" 2>/dev/null; then rm -f "$pid_file"; echo "not running (stale pid file, pid $pid)"; exit 0; fi
kill -TERM "$pid" || exit 1
i=0
while kill -0 "$pid" 2>/dev/null && [ "$i" -lt ${tenths} ]; do sleep 0.1; i=$((i + 1)); done
if kill -0 "$pid" 2>/dev/null; then
  # setsid made the daemon a session and group leader: this takes its children (nats-server) too.
  kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid"
  rm -f "$pid_file"
  echo "killed (pid $pid did not stop within ${spec.graceSeconds}s of SIGTERM)"
  exit 0
fi
rm -f "$pid_file"
echo "stopped (pid $pid)"
`
}
