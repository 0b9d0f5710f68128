import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { isMounted } from '../mounts.js';

const run = promisify(execFile);

/** The namespaces and `/dev/shm` every runc container of one pod shares. */
export interface PodNamespaces {
  /** A bind mount of the pod's IPC namespace (SysV IPC, POSIX message queues). */
  ipc: string;
  /** A bind mount of the pod's UTS namespace (its hostname). */
  uts: string;
  /** The pod's `/dev/shm`: a tmpfs of 64 MiB, as Docker's and containerd's default. */
  shm: string;
}

/** Where the pod's shared namespaces live: `<root>/<pod uid>/{ipc,uts,shm}`. */
export function podNamespacePaths(root: string, podUid: string): PodNamespaces {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(podUid)) throw new RangeError(`not a pod uid: "${podUid}"`);
  const dir = join(root, podUid);
  return { ipc: join(dir, 'ipc'), uts: join(dir, 'uts'), shm: join(dir, 'shm') };
}

/**
 * The pod's IPC and UTS namespaces and `/dev/shm`, made on first use — a sandbox with no pause
 * process: the namespaces are kept alive by bind mounts (util-linux `unshare --ipc=FILE
 * --uts=FILE`, as `ip netns` keeps network namespaces), and the hostname is set inside at
 * creation. Containers join them by path, so they outlive every container and the agent until
 * `removePodNamespaces`.
 */
export async function ensurePodNamespaces(
  root: string,
  podUid: string,
  hostname: string,
): Promise<PodNamespaces> {
  const paths = podNamespacePaths(root, podUid);
  mkdirSync(join(root, podUid), { recursive: true, mode: 0o700 });
  if (!isMounted(paths.ipc) || !isMounted(paths.uts)) {
    for (const f of [paths.ipc, paths.uts]) {
      if (isMounted(f)) await run('umount', [f]);
      writeFileSync(f, '');
    }
    await run('unshare', [`--ipc=${paths.ipc}`, `--uts=${paths.uts}`, 'hostname', hostname]);
  }
  if (!isMounted(paths.shm)) {
    mkdirSync(paths.shm, { recursive: true, mode: 0o1777 });
    const options = 'nosuid,noexec,nodev,mode=1777,size=65536k';
    await run('mount', ['-t', 'tmpfs', '-o', options, `shm-${podUid}`, paths.shm]);
  }
  return paths;
}

/** Unmounts the pod's namespaces and `/dev/shm` and removes their folder; nothing left is fine. */
export async function removePodNamespaces(root: string, podUid: string): Promise<void> {
  const paths = podNamespacePaths(root, podUid);
  for (const p of [paths.ipc, paths.uts, paths.shm])
    if (isMounted(p)) await run('umount', ['-l', p]).catch(() => undefined);
  if ([paths.ipc, paths.uts, paths.shm].some(isMounted)) return;
  rmSync(paths.ipc, { force: true });
  rmSync(paths.uts, { force: true });
  rmSync(paths.shm, { recursive: true, force: true });
  rmSync(join(root, podUid), { recursive: true, force: true });
}

/** The pods that have namespaces under `root`. */
export function podsWithNamespaces(root: string): string[] {
  return existsSync(root) ? readdirSync(root) : [];
}

/**
 * The pods' shared namespaces of one runtime, kept while the pod has a container (running or
 * exited: a restart joins the same ones) or a start under way, removed with its last container.
 * Work on one pod is serialized, so concurrent starts make its namespaces once.
 */
export class PodNamespaceTable {
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly starting = new Map<string, number>();

  constructor(
    private readonly root: string,
    private readonly hasContainers: (podUid: string) => boolean,
  ) {}

  /** A container of the pod is starting: its namespaces, made if missing. Pair with `leave`. */
  enter(podUid: string, hostname: string): Promise<PodNamespaces> {
    this.starting.set(podUid, (this.starting.get(podUid) ?? 0) + 1);
    return this.locked(podUid, () => ensurePodNamespaces(this.root, podUid, hostname));
  }

  /** The start is over, whichever way it went. */
  leave(podUid: string): Promise<void> {
    const n = (this.starting.get(podUid) ?? 1) - 1;
    if (n === 0) this.starting.delete(podUid);
    else this.starting.set(podUid, n);
    return this.release(podUid);
  }

  /** Removes the pod's namespaces unless a container of the pod or a start still uses them. */
  release(podUid: string): Promise<void> {
    return this.locked(podUid, async () => {
      if (this.starting.has(podUid) || this.hasContainers(podUid)) return;
      await removePodNamespaces(this.root, podUid);
    });
  }

  /** Removes the namespaces of pods without containers (left by a crash). */
  async sweep(): Promise<void> {
    for (const uid of podsWithNamespaces(this.root)) await this.release(uid).catch(() => undefined);
  }

  private locked<T>(podUid: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(podUid) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.locks.set(podUid, tail);
    void tail.then(() => {
      if (this.locks.get(podUid) === tail) this.locks.delete(podUid);
    });
    return next;
  }
}
