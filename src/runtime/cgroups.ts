import { existsSync, mkdirSync, readFileSync, realpathSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ResourceLimits } from './runtime.js';

/** A container's cgroup, persisted in its record so a restarted runtime finds it again. */
export interface CgroupRef {
  version: 1 | 2;
  /** v2: one directory. v1: one per controller hierarchy (memory, cpu, cpuacct). */
  dirs: string[];
}

function tryWrite(file: string, value: string): boolean {
  try {
    writeFileSync(file, value);
    return true;
  } catch {
    return false;
  }
}

function readNumber(file: string): number {
  try {
    return Number(readFileSync(file, 'utf8').trim()) || 0;
  } catch {
    return 0;
  }
}

function readKey(file: string, key: string): number {
  try {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const [k, v] = line.split(' ');
      if (k === key) return Number(v) || 0;
    }
  } catch {
    // missing file: no value
  }
  return 0;
}

/**
 * Resource limits through Linux cgroups, v2 (unified) or v1 (memory, cpu and cpuacct
 * hierarchies). `detect` answers undefined unless the process is root on Linux with a writable
 * cgroup filesystem; the runtime then only reports limits. Each container gets
 * `<root>/<parent>/<id>` (v2) or `<root>/<controller>/<parent>/<id>` (v1); the wrapper script
 * moves itself in before it starts the command, so every process of the container is inside.
 */
export class Cgroups {
  private constructor(
    readonly version: 1 | 2,
    private readonly root: string,
    private readonly parent: string,
  ) {}

  /** The cgroup driver for this machine, or undefined when limits cannot be enforced. */
  static detect(options: { root?: string; parent?: string } = {}): Cgroups | undefined {
    const root = options.root ?? '/sys/fs/cgroup';
    const parent = options.parent ?? 'stratus';
    if (process.platform !== 'linux' || process.getuid?.() !== 0) return undefined;
    try {
      const controllers = readFileSync(join(root, 'cgroup.controllers'), 'utf8').split(/\s+/);
      if (controllers.includes('memory') && controllers.includes('cpu')) {
        tryWrite(join(root, 'cgroup.subtree_control'), '+memory +cpu');
        mkdirSync(join(root, parent), { recursive: true });
        if (!tryWrite(join(root, parent, 'cgroup.subtree_control'), '+memory +cpu')) return undefined;
        return new Cgroups(2, root, parent);
      }
    } catch {
      // not v2; try v1
    }
    const v1 = ['memory/memory.limit_in_bytes', 'cpu/cpu.cfs_quota_us', 'cpuacct/cpuacct.usage'];
    if (!v1.every((f) => existsSync(join(root, f)))) return undefined;
    try {
      mkdirSync(join(root, 'memory', parent), { recursive: true });
    } catch {
      return undefined;
    }
    return new Cgroups(1, root, parent);
  }

  /** Creates the container's cgroup with its limits; unlimited fields stay at the parent's. */
  create(id: string, limits: ResourceLimits): CgroupRef {
    if (this.version === 2) {
      const dir = join(this.root, this.parent, id);
      mkdirSync(dir, { recursive: true });
      if (limits.memoryBytes !== undefined) {
        writeFileSync(join(dir, 'memory.max'), String(Math.floor(limits.memoryBytes)));
        tryWrite(join(dir, 'memory.swap.max'), '0');
      }
      if (limits.cpuCores !== undefined) {
        const quota = Math.max(1000, Math.round(limits.cpuCores * 100_000));
        writeFileSync(join(dir, 'cpu.max'), `${quota} 100000`);
      }
      return { version: 2, dirs: [dir] };
    }
    const seen = new Set<string>();
    const dirs: string[] = [];
    for (const controller of ['memory', 'cpu', 'cpuacct']) {
      const dir = join(this.root, controller, this.parent, id);
      mkdirSync(dir, { recursive: true });
      const real = realpathSync(dir);
      if (seen.has(real)) continue;
      seen.add(real);
      dirs.push(dir);
    }
    const [mem, cpu] = [join(this.root, 'memory', this.parent, id), join(this.root, 'cpu', this.parent, id)];
    if (limits.memoryBytes !== undefined) {
      writeFileSync(join(mem, 'memory.limit_in_bytes'), String(Math.floor(limits.memoryBytes)));
      tryWrite(join(mem, 'memory.memsw.limit_in_bytes'), String(Math.floor(limits.memoryBytes)));
    }
    if (limits.cpuCores !== undefined) {
      writeFileSync(join(cpu, 'cpu.cfs_period_us'), '100000');
      writeFileSync(
        join(cpu, 'cpu.cfs_quota_us'),
        String(Math.max(1000, Math.round(limits.cpuCores * 100_000))),
      );
    }
    return { version: 1, dirs };
  }

  /** The `cgroup.procs` files a process writes its pid to in order to join the container's cgroup. */
  static procsFiles(ref: CgroupRef): string[] {
    return ref.dirs.map((d) => join(d, 'cgroup.procs'));
  }

  /** True when the kernel's OOM killer killed a process of the cgroup. */
  static oomKilled(ref: CgroupRef): boolean {
    const memDir =
      ref.version === 2 ? ref.dirs[0] : ref.dirs.find((d) => existsSync(join(d, 'memory.oom_control')));
    if (memDir === undefined) return false;
    const file = ref.version === 2 ? 'memory.events' : 'memory.oom_control';
    return readKey(join(memDir, file), 'oom_kill') > 0;
  }

  /**
   * CPU seconds the cgroup has used, and its memory working set: usage less inactive file cache,
   * which the kernel reclaims first (cAdvisor's `container_memory_working_set_bytes`, what
   * kubelet reports and evicts on).
   */
  static usage(ref: CgroupRef): { cpuSeconds: number; memoryBytes: number } {
    if (ref.version === 2) {
      const dir = ref.dirs[0] ?? '';
      const used = readNumber(join(dir, 'memory.current'));
      return {
        cpuSeconds: readKey(join(dir, 'cpu.stat'), 'usage_usec') / 1e6,
        memoryBytes: Math.max(0, used - readKey(join(dir, 'memory.stat'), 'inactive_file')),
      };
    }
    const mem = ref.dirs.find((d) => existsSync(join(d, 'memory.usage_in_bytes')));
    const acct = ref.dirs.find((d) => existsSync(join(d, 'cpuacct.usage')));
    const used = mem === undefined ? 0 : readNumber(join(mem, 'memory.usage_in_bytes'));
    const inactive = mem === undefined ? 0 : readKey(join(mem, 'memory.stat'), 'total_inactive_file');
    return {
      cpuSeconds: acct === undefined ? 0 : readNumber(join(acct, 'cpuacct.usage')) / 1e9,
      memoryBytes: Math.max(0, used - inactive),
    };
  }

  /** Removes the cgroup directories; the kernel refuses while a process is still inside. */
  static async remove(ref: CgroupRef): Promise<void> {
    for (const dir of ref.dirs) {
      for (let i = 0; i < 20 && existsSync(dir); i++) {
        try {
          rmdirSync(dir);
        } catch {
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    }
  }
}
