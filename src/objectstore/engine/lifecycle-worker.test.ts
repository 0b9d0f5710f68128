import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ManualClock } from '../../common/clock.js';
import type { LifecycleRule } from '../object-store.js';
import { openObjectStore } from './engine-store.js';
import { body, dataFiles, withStore } from './test-helpers.js';

/** A shortened lifecycle day: one second. */
const DAY = 1000;

const everything = (rule: Partial<LifecycleRule>): LifecycleRule => ({
  id: 'r',
  enabled: true,
  filter: {},
  ...rule,
});

test('lifecycle: objects expire by days (rounded up to the next day), prefix, tag and size filters hold', async () => {
  await withStore(
    3,
    async (s, { clock, paths }) => {
      clock.set(100 * DAY + DAY / 2); // mid-"day"
      await s.createBucket('lcb', 'o');
      await s.setLifecycle('lcb', [
        everything({ id: 'logs', filter: { prefix: 'logs/' }, expiration: { days: 2 } }),
        everything({
          id: 'tagged',
          filter: { tags: [{ key: 'tmp', value: 'yes' }] },
          expiration: { days: 1 },
        }),
        everything({ id: 'big', filter: { prefix: 'big/', sizeGreaterThan: 100 }, expiration: { days: 1 } }),
        everything({ id: 'off', enabled: false, filter: {}, expiration: { days: 1 } }),
      ]);
      await s.putObject('lcb', 'logs/a', body('a'), { size: 1 });
      await s.putObject('lcb', 'logs/file', body(Buffer.alloc(100_000, 1)), {});
      await s.putObject('lcb', 'keep', body('k'), { size: 1 });
      await s.putObject('lcb', 'tmp', body('t'), { size: 1, tags: { tmp: 'yes' } });
      await s.putObject('lcb', 'big/small', body('s'), { size: 1 });
      await s.putObject('lcb', 'big/large', body(Buffer.alloc(200, 2)), { size: 200 });
      const keys = async (): Promise<string[]> => (await s.listObjects('lcb', {})).objects.map((o) => o.key);

      // Created at 100.5 days: one day later is 101.5, rounded up to 102.
      clock.set(102 * DAY - 1);
      assert.equal((await s.lifecycleOnce()).lastPassActions, 0);
      clock.set(102 * DAY);
      const p = await s.lifecycleOnce();
      assert.equal(p.lastPassActions, 2);
      assert.deepEqual(await keys(), ['big/small', 'keep', 'logs/a', 'logs/file']);
      clock.set(103 * DAY);
      await s.lifecycleOnce();
      assert.deepEqual(await keys(), ['big/small', 'keep']);
      assert.equal((await s.status()).lifecycle.objectsExpired, 4);
      // The data file of logs/file went with it (only the inline-sized ones had none).
      for (const d of paths) assert.deepEqual(await dataFiles(d), []);
      // Nothing more to do: decisions are level-triggered.
      assert.equal((await s.lifecycleOnce()).lastPassActions, 0);
    },
    { inlineMaxBytes: 1024, lifecycle: { dayMs: DAY } },
  );
});

test('lifecycle: versioned buckets get one delete marker, noncurrent versions and lone markers go, uploads are aborted', async () => {
  await withStore(
    1,
    async (s, { clock }) => {
      clock.set(10 * DAY);
      await s.createBucket('vbk', 'o');
      await s.setVersioning('vbk', 'Enabled');
      await s.setLifecycle('vbk', [
        everything({ id: 'exp', expiration: { days: 1 } }),
        everything({
          id: 'nc',
          noncurrentVersionExpiration: { noncurrentDays: 2, newerNoncurrentVersions: 1 },
        }),
        everything({
          id: 'mpu',
          filter: { prefix: 'up/' },
          abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
        }),
      ]);
      const v1 = await s.putObject('vbk', 'doc', body('one'), { size: 3 });
      clock.set(10 * DAY + 100);
      const v2 = await s.putObject('vbk', 'doc', body('two'), { size: 3 });
      clock.set(10 * DAY + 200);
      const v3 = await s.putObject('vbk', 'doc', body('three'), { size: 5 });
      const up = await s.createMultipartUpload('vbk', 'up/file', {});
      const other = await s.createMultipartUpload('vbk', 'elsewhere', {});

      // Day 12: v3 is a day old (10.2 + 1, rounded up) → a delete marker; the upload is a day old too.
      clock.set(12 * DAY - 1);
      assert.equal((await s.lifecycleOnce()).lastPassActions, 0);
      clock.set(12 * DAY);
      const p = await s.lifecycleOnce();
      assert.equal(p.objectsExpired, 1);
      assert.equal(p.uploadsAborted, 1);
      const uploads = await s.listMultipartUploads('vbk', {});
      assert.deepEqual(
        uploads.uploads.map((u) => u.uploadId),
        [other.uploadId],
      );
      assert.notEqual(up.uploadId, other.uploadId);
      let versions = (await s.listObjectVersions('vbk', {})).versions;
      assert.equal(versions.length, 4);
      assert.equal(versions[0]?.isDeleteMarker, true);
      assert.equal(versions[0]?.isLatest, true);
      // Running again adds no second marker.
      await s.lifecycleOnce();
      assert.equal((await s.listObjectVersions('vbk', {})).versions.length, 4);

      // Day 14: every version is 2 days noncurrent (v1 since v2 was made, v2 since v3, v3 since the
      // marker), and NewerNoncurrentVersions=1 keeps the newest of them, v3.
      clock.set(14 * DAY);
      await s.lifecycleOnce();
      versions = (await s.listObjectVersions('vbk', {})).versions;
      assert.deepEqual(
        versions.map((v) => v.versionId),
        [versions[0]!.versionId, v3.versionId],
      );
      assert.ok(![v1.versionId, v2.versionId].some((id) => versions.some((v) => v.versionId === id)));

      // Without the newer-versions allowance v3 goes too, and then the lone marker is expired.
      await s.setLifecycle('vbk', [
        everything({ id: 'nc', noncurrentVersionExpiration: { noncurrentDays: 1 } }),
        everything({ id: 'dm', expiration: { expiredObjectDeleteMarker: true } }),
      ]);
      await s.lifecycleOnce();
      assert.equal((await s.listObjectVersions('vbk', {})).versions.length, 1, 'the marker, alone now');
      const last = await s.lifecycleOnce();
      assert.equal((await s.listObjectVersions('vbk', {})).versions.length, 0);
      assert.equal(last.markersRemoved, 1);
      assert.equal(last.noncurrentDeleted, 3);
    },
    { lifecycle: { dayMs: DAY } },
  );
});

test('lifecycle: bounded passes resume after a restart where they stopped, doing every action once', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-lc-'));
  const clock = new ManualClock(50 * DAY);
  const open = (): ReturnType<typeof openObjectStore> =>
    openObjectStore({
      devices: [{ id: 'd0', path: join(dir, 'd0') }],
      partPower: 4,
      clock,
      lifecycle: { dayMs: DAY, maxActionsPerPass: 3, maxKeysPerPass: 100 },
    });
  try {
    let s = await open();
    for (const b of ['bk1', 'bk2']) {
      await s.createBucket(b, 'o');
      await s.setVersioning(b, 'Enabled');
      await s.setLifecycle(b, [everything({ expiration: { days: 1 } })]);
      for (let i = 0; i < 5; i++) await s.putObject(b, `k${i}`, body('x'), { size: 1 });
    }
    clock.set(52 * DAY);
    let p = await s.lifecycleOnce();
    assert.equal(p.lastPassActions, 3);
    assert.deepEqual(p.cursor, { bucket: 'bk1', key: 'k2' });
    await s.close();

    s = await open();
    p = (await s.status()).lifecycle; // not loaded until the first pass
    for (let i = 0; i < 10 && (await s.status()).lifecycle.sweeps === 0; i++) p = await s.lifecycleOnce();
    assert.equal(p.objectsExpired, 10, 'every object once, counted across the restart');
    assert.equal(p.sweeps, 1);
    assert.equal(p.passes, 4);
    for (const b of ['bk1', 'bk2']) {
      const v = (await s.listObjectVersions(b, {})).versions;
      assert.equal(v.filter((x) => x.isDeleteMarker).length, 5, `one marker per key in ${b}`);
      assert.equal(v.length, 10);
    }
    await s.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
