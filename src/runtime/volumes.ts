import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, join, relative } from 'node:path';
import { containerConfigError } from './errors.js';
import { isMounted, unmountUnder } from './mounts.js';
import type { VolumePlan } from './volume-plan.js';

/** The folder holding a pod's runtime-owned volumes: `<dataDir>/pods/<uid>/volumes`. */
export function podVolumesDir(dataDir: string, podUid: string): string {
  return join(dataDir, 'pods', podUid, 'volumes');
}

/**
 * Gives a folder to root and the pod's group with `mode`, as the kubelet's fsGroup ownership
 * does; without a group (the agent runs pods as itself) the folder keeps its owner.
 */
export function ownFolder(dir: string, mode: number, gid: number | undefined): void {
  mkdirSync(dir, { recursive: true });
  if (gid === undefined) return;
  chownSync(dir, 0, gid);
  chmodSync(dir, mode);
}

/**
 * Materializes a planned volume on the host and returns its host path. emptyDir is a folder per
 * pod kept across container restarts; configMap, secret, downward API and projected folders are
 * rewritten with their files; hostPath is passed through after its `type` check
 * (`DirectoryOrCreate` and `FileOrCreate` create it). With `gid` (the pod's group, when the
 * agent runs pods as their own users) folders belong to root and that group — emptyDir writable
 * by the group (setgid, 2770), the others readable (0750) — and files are group-readable.
 */
export function writeVolume(plan: VolumePlan, podDir: string, options: { gid?: number } = {}): string {
  const gid = options.gid;
  if (plan.kind === 'hostPath') {
    const p = plan.path;
    const st = existsSync(p) ? statSync(p) : undefined;
    switch (plan.type) {
      case 'DirectoryOrCreate':
        if (st === undefined) mkdirSync(p, { recursive: true, mode: 0o755 });
        break;
      case 'FileOrCreate':
        if (st === undefined) {
          mkdirSync(dirname(p), { recursive: true });
          writeFileSync(p, '');
        }
        break;
      case 'Directory':
        if (st?.isDirectory() !== true)
          throw containerConfigError(`hostPath type check failed: ${p} is not a directory`);
        break;
      case 'File':
        if (st?.isFile() !== true)
          throw containerConfigError(`hostPath type check failed: ${p} is not a file`);
        break;
      default:
        break;
    }
    return p;
  }
  const dir = join(podDir, plan.name);
  if (plan.kind === 'emptyDir') {
    if (plan.medium === 'Memory') mountMemoryDir(dir, plan, gid);
    else if (!existsSync(dir)) ownFolder(dir, 0o2770, gid);
    return dir;
  }
  ownFolder(dir, 0o750, gid);
  // Each file is replaced whole (write, then rename), so a reader never sees half of a refreshed
  // token; files no longer planned go.
  const planned = new Set(plan.files.map((f) => f.path));
  for (const stale of filesUnder(dir)) if (!planned.has(relative(dir, stale))) rmSync(stale, { force: true });
  for (const f of plan.files) {
    const file = join(dir, f.path);
    if (dirname(file) !== dir) ownFolder(dirname(file), 0o750, gid);
    const tmp = join(dirname(file), `.${f.path.split('/').pop() ?? 'file'}.tmp`);
    const mode = gid === undefined ? f.mode : f.mode | 0o040;
    writeFileSync(tmp, f.content, { mode });
    if (gid !== undefined) chownSync(tmp, 0, gid);
    chmodSync(tmp, mode);
    renameSync(tmp, file);
  }
  return dir;
}

/**
 * `emptyDir: {medium: Memory}`: a tmpfs of `sizeLimit` (else the kernel's default, half the
 * memory), mounted once and kept across container restarts. Mounting needs root: without it the
 * volume is refused rather than silently put on disk.
 */
function mountMemoryDir(
  dir: string,
  plan: { name: string; sizeLimitBytes?: number },
  gid: number | undefined,
): void {
  if (isMounted(dir)) return;
  if (process.getuid?.() !== 0)
    throw containerConfigError(
      `emptyDir volume "${plan.name}" asks for medium "Memory", which needs the agent to run as root (to mount a tmpfs)`,
    );
  mkdirSync(dir, { recursive: true });
  const size = plan.sizeLimitBytes === undefined ? [] : [`size=${plan.sizeLimitBytes}`];
  execFileSync('mount', [
    '-t',
    'tmpfs',
    '-o',
    ['nosuid', 'nodev', ...size].join(','),
    `emptydir-${plan.name}`,
    dir,
  ]);
  ownFolder(dir, 0o2770, gid);
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? filesUnder(p) : [p];
  });
}

/**
 * Removes every runtime-owned volume of a pod (the pod is gone), unmounting its memory-backed
 * ones first; host paths are left alone.
 */
export function removePodVolumes(dataDir: string, podUid: string): void {
  const dir = join(dataDir, 'pods', podUid);
  if (unmountUnder(dir)) rmSync(dir, { recursive: true, force: true });
}
