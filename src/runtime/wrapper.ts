import { spawn, type ChildProcess } from 'node:child_process';
import type { WrapperStdin } from './stdin-pipes.js';

/**
 * The wrapper every container runs under (`sh -c WRAPPER stratus-wrapper CMD ARGS…`). It joins
 * the container's cgroups before starting the command, so every process of the container is
 * inside; points stdout/stderr at the container's named pipes and holds them open read-write, so
 * output survives a runtime restart; gives the command its stderr only inside a subshell, so
 * dash's own `Terminated` job message stays out of the log; catches SIGTERM/SIGINT/SIGHUP only to
 * outlive the command (which gets default dispositions back on exec); and writes the command's
 * exit status to a file, so the status survives a runtime restart too. A container with `stdin`
 * reads its named pipe (see `StdinPipes`), otherwise /dev/null. The process group it leads is
 * the container.
 */
export const WRAPPER_SCRIPT = `ef=$STRATUS_EXIT_FILE; out=$STRATUS_STDOUT; err=$STRATUS_STDERR; cg=$STRATUS_CGROUP_PROCS
in=$STRATUS_STDIN; once=$STRATUS_STDIN_ONCE
unset STRATUS_EXIT_FILE STRATUS_STDOUT STRATUS_STDERR STRATUS_CGROUP_PROCS STRATUS_STDIN STRATUS_STDIN_ONCE
exec 3<>"$out" 4<>"$err" 1>"$out" 2>"$err" </dev/null
if [ -n "$once" ]; then exec <"$in"; elif [ -n "$in" ]; then exec <>"$in"; fi
for f in $cg; do echo $$ > "$f" || exit 125; done
exec 2>/dev/null
trap : TERM INT HUP
( exec "$@" 2>"$err" 3<&- 4<&- )
c=$?
echo $c > "$ef"
exit $c`;

/** Where the wrapper sends output and its exit status, and the cgroups it joins. */
export interface WrapperOptions {
  env: Record<string, string>;
  cwd?: string | undefined;
  exitFile: string;
  stdoutFifo: string;
  stderrFifo: string;
  cgroupProcs: string[];
  /** The container's stdin pipe, when its spec asks for one. */
  stdin?: WrapperStdin | undefined;
}

/**
 * Starts `command` under the wrapper as the leader of a new process group, and resolves once it
 * runs; rejects with the spawn error (a missing working directory, say).
 */
export async function spawnWrapper(command: string[], options: WrapperOptions): Promise<ChildProcess> {
  const child = spawn('/bin/sh', ['-c', WRAPPER_SCRIPT, 'stratus-wrapper', ...command], {
    detached: true,
    stdio: 'ignore',
    env: {
      ...options.env,
      STRATUS_EXIT_FILE: options.exitFile,
      STRATUS_STDOUT: options.stdoutFifo,
      STRATUS_STDERR: options.stderrFifo,
      STRATUS_CGROUP_PROCS: options.cgroupProcs.join(' '),
      ...(options.stdin === undefined
        ? {}
        : { STRATUS_STDIN: options.stdin.fifo, ...(options.stdin.once ? { STRATUS_STDIN_ONCE: '1' } : {}) }),
    },
    ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
  });
  const failed = await new Promise<Error | undefined>((resolve) => {
    child.once('spawn', () => resolve(undefined));
    child.once('error', resolve);
  });
  if (failed !== undefined) throw failed;
  if (child.pid === undefined) throw new Error('the wrapper got no pid');
  return child;
}

/** Signals every process of a container's group; a group that is gone already is fine. */
export function killGroup(pgid: number, signal: NodeJS.Signals): void {
  // kill(-0) and kill(-1) would hit our own group or every process: never.
  if (!Number.isInteger(pgid) || pgid <= 1) return;
  try {
    process.kill(-pgid, signal);
  } catch {
    // the group is gone already
  }
}
