import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Cgroups } from './cgroups.js';

test('cgroups: a container cgroup carries its memory and CPU limits and is removed', async (t) => {
  const cg = Cgroups.detect();
  if (cg === undefined) {
    // Not a missing tool but a missing privilege: skipped in CI too, as the issue asks.
    const why = 'needs root on Linux with a writable cgroup v1 or v2 file system';
    t.skip(why);
    return;
  }
  const id = `test-${randomBytes(6).toString('hex')}`;
  const ref = cg.create(id, { memoryBytes: 64 * 1024 * 1024, cpuCores: 0.25 });
  try {
    assert.equal(ref.version, cg.version);
    const read = (dir: string | undefined, file: string): string =>
      readFileSync(join(dir ?? '', file), 'utf8').trim();
    if (ref.version === 2) {
      assert.equal(read(ref.dirs[0], 'memory.max'), String(64 * 1024 * 1024));
      assert.equal(read(ref.dirs[0], 'cpu.max'), '25000 100000');
    } else {
      const mem = ref.dirs.find((d) => d.includes('/memory/'));
      const cpu = ref.dirs.find((d) => d.includes('/cpu/'));
      assert.equal(read(mem, 'memory.limit_in_bytes'), String(64 * 1024 * 1024));
      assert.equal(read(cpu, 'cpu.cfs_quota_us'), '25000');
    }
    assert.equal(Cgroups.oomKilled(ref), false);
    assert.deepEqual(Cgroups.usage(ref), { cpuSeconds: 0, memoryBytes: 0 });
  } finally {
    await Cgroups.remove(ref);
  }
  for (const dir of ref.dirs) assert.equal(existsSync(dir), false);
});
