import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isMounted } from './mounts.js';
import { planVolume } from './volume-plan.js';
import { podVolumesDir, removePodVolumes, writeVolume } from './volumes.js';

test('volumes materialize as files under the pod folder, emptyDir survives a rewrite', () => {
  const data = mkdtempSync(join(tmpdir(), 'stratus-vol-'));
  try {
    const podDir = podVolumesDir(data, 'uid-1');
    const sources = {
      configMap: () => ({ data: { 'a.conf': 'one' } }),
      secret: () => ({ data: { key: btoa('pw') } }),
    };
    const cm = writeVolume(
      planVolume(
        {
          name: 'cfg',
          configMap: { name: 'c', items: [{ key: 'a.conf', path: 'sub/a.conf', mode: 0o400 }] },
        },
        sources,
      ),
      podDir,
    );
    assert.equal(readFileSync(join(cm, 'sub/a.conf'), 'utf8'), 'one');
    assert.equal(statSync(join(cm, 'sub/a.conf')).mode & 0o777, 0o400);
    const sec = writeVolume(planVolume({ name: 'sec', secret: { secretName: 's' } }, sources), podDir);
    assert.equal(readFileSync(join(sec, 'key'), 'utf8'), 'pw');
    const empty = writeVolume(planVolume({ name: 'scratch', emptyDir: {} }, sources), podDir);
    writeFileSync(join(empty, 'state'), 'kept');
    writeVolume(planVolume({ name: 'scratch', emptyDir: {} }, sources), podDir);
    assert.equal(readFileSync(join(empty, 'state'), 'utf8'), 'kept');
    const host = join(data, 'host', 'dir');
    assert.equal(
      writeVolume({ name: 'h', kind: 'hostPath', path: host, type: 'DirectoryOrCreate' }, podDir),
      host,
    );
    assert.ok(statSync(host).isDirectory());
    assert.throws(
      () => writeVolume({ name: 'h', kind: 'hostPath', path: join(data, 'nope'), type: 'File' }, podDir),
      /not a file/,
    );
    removePodVolumes(data, 'uid-1');
    assert.equal(existsSync(podDir), false);
    assert.ok(existsSync(host));
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
});

test('emptyDir medium Memory is a tmpfs of its sizeLimit, kept across rewrites, unmounted with the pod', (t) => {
  if (process.getuid?.() !== 0) {
    const why = 'mounting a tmpfs needs root';
    if (process.env['CI'] === 'true') throw new Error(`the memory emptyDir test ${why}`);
    t.skip(why);
    return;
  }
  const data = mkdtempSync(join(tmpdir(), 'stratus-vol-mem-'));
  try {
    const podDir = podVolumesDir(data, 'uid-mem');
    const plan = planVolume(
      { name: 'cache', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } },
      { configMap: () => undefined, secret: () => undefined },
    );
    const dir = writeVolume(plan, podDir);
    assert.ok(isMounted(dir), 'a tmpfs is mounted');
    const fs = statfsSync(dir);
    assert.equal(fs.blocks * fs.bsize, 1024 * 1024);
    writeFileSync(join(dir, 'state'), 'kept');
    assert.equal(writeVolume(plan, podDir), dir);
    assert.equal(readFileSync(join(dir, 'state'), 'utf8'), 'kept');
    assert.throws(() => writeFileSync(join(dir, 'big'), Buffer.alloc(2 * 1024 * 1024)), /ENOSPC/);
    removePodVolumes(data, 'uid-mem');
    assert.ok(!isMounted(dir));
    assert.equal(existsSync(podDir), false);
  } finally {
    removePodVolumes(data, 'uid-mem');
    rmSync(data, { recursive: true, force: true });
  }
});
