import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
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
