import { readFileSync } from 'node:fs';

/**
 * Who a container's processes run as, for the `process` runtime when the agent is root: a host
 * uid and gid with supplementary groups, whether setuid programs may raise privileges, the
 * capabilities added back (ambient), and what of the file system the container may reach.
 */
export interface ProcessIdentity {
  uid: number;
  gid: number;
  groups: number[];
  /** `no_new_privs`: setuid and setgid programs run without their privileges. */
  noNewPrivileges: boolean;
  /** Capabilities kept for the unprivileged user (`NET_BIND_SERVICE`), as ambient ones. */
  capabilities: string[];
  /**
   * In the container's own mount namespace, `hide` (a folder others cannot enter) is covered by
   * an empty tmpfs and only `show` (the pod's own folder under it) is bound back at its path: the
   * rest of the agent's and the server's data directories (state.db, kubeconfig, other pods)
   * does not exist for the container.
   */
  isolate?: { hide: string; show: string };
}

/**
 * Runs as root in a new mount namespace (unshare's default propagation is private, so nothing
 * leaks to the host): opens the pod folder, covers `hide` with a small empty tmpfs, recreates the
 * pod folder's path in it and binds the opened folder there with the mounts below it (memory-backed emptyDirs) (through /proc/self/fd, since its
 * old path is covered now), then runs the rest of its arguments. 126 when any step fails.
 */
const ENTER = `h=$1; s=$2; shift 2
exec 5<"$s" || exit 126
mount -t tmpfs -o mode=0755,size=64k,nosuid,nodev,noexec stratus-hidden "$h" || exit 126
mkdir -p "$s" && mount --no-canonicalize --rbind /proc/self/fd/5 "$s" || exit 126
exec 5<&-
exec "$@"`;

function setprivArgs(id: ProcessIdentity): string[] {
  const caps = id.capabilities.map((c) => `+${c.toLowerCase()}`).join(',');
  return [
    'setpriv',
    `--reuid=${id.uid}`,
    `--regid=${id.gid}`,
    id.groups.length > 0 ? `--groups=${id.groups.join(',')}` : '--clear-groups',
    ...(id.noNewPrivileges ? ['--no-new-privs'] : []),
    `--inh-caps=-all${caps === '' ? '' : `,${caps}`}`,
    ...(caps === '' ? [] : [`--ambient-caps=${caps}`]),
    `--bounding-set=-all${caps === '' ? '' : `,${caps}`}`,
    '--',
  ];
}

/**
 * The command that starts a container's command as `identity`: `setpriv` (util-linux) switches
 * user, groups and capabilities; with `isolate`, `unshare --mount` first gives the container its
 * own view of the data directories (see ENTER). Pure.
 */
export function commandAs(identity: ProcessIdentity, command: readonly string[]): string[] {
  const setpriv = setprivArgs(identity);
  if (identity.isolate === undefined) return [...setpriv, ...command];
  const { hide, show } = identity.isolate;
  return [
    'unshare',
    '--mount',
    '--propagation',
    'private',
    '--',
    '/bin/sh',
    '-c',
    ENTER,
    'stratus-enter',
    hide,
    show,
    ...setpriv,
    ...command,
  ];
}

/**
 * The command that runs `command` in a running container's identity and mount namespace (exec
 * probes, preStop hooks): `nsenter` into the namespace of the container's first process (the
 * wrapper's child) and its working directory, then `setpriv`. Without a live process it runs with the identity only.
 */
export function execAs(identity: ProcessIdentity, wrapperPid: number, command: readonly string[]): string[] {
  const setpriv = setprivArgs(identity);
  const inside = identity.isolate === undefined ? undefined : firstChild(wrapperPid);
  if (inside === undefined) return [...setpriv, ...command];
  // `--wd` (no value): the target's working directory; entering a mount namespace would
  // otherwise leave the command in `/`.
  return ['nsenter', `--target=${inside}`, '--mount', '--wd', '--', ...setpriv, ...command];
}

function firstChild(pid: number): number | undefined {
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/);
    const first = Number(children[0]);
    return Number.isInteger(first) && first > 1 ? first : undefined;
  } catch {
    return undefined;
  }
}
