import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { test } from 'node:test';
import { body, dataFiles, readAll, withStore } from './test-helpers.js';

const HOUR = 3_600_000;

/** Every data file of the store's devices. */
async function allDataFiles(paths: string[]): Promise<string[]> {
  return (await Promise.all(paths.map((p) => dataFiles(p)))).flat().sort();
}

test('the auditor removes data files no index row names once they are over an hour old, and keeps every named one', async () => {
  await withStore(
    3,
    async (s, { clock, paths }) => {
      await s.createBucket('orph', 'o');
      await s.putObject('orph', 'kept', body('kept body'), {});
      // A completed multipart object (its part files are named by its manifest) and an upload in
      // progress (its part file is named by its part row).
      const done = await s.createMultipartUpload('orph', 'multi', {});
      const p1 = await s.uploadPart('orph', 'multi', done.uploadId, 1, body('part one'), {});
      await s.completeMultipartUpload('orph', 'multi', done.uploadId, [{ partNumber: 1, etag: p1.etag }]);
      const open = await s.createMultipartUpload('orph', 'pending', {});
      await s.uploadPart('orph', 'pending', open.uploadId, 1, body('pending part'), {});
      const named = await allDataFiles(paths);

      // The state a PUT killed between its data commit and its index row leaves: data files on
      // every replica that no live row names.
      await s.putObject('orph', 'lost', body('lost body'), {});
      const lost = (await allDataFiles(paths)).filter((f) => !named.includes(f));
      assert.equal(lost.length, 3);
      const bytes = await Promise.all(lost.map((f) => readFile(f)));
      await s.deleteObject('orph', 'lost');
      for (const ts of (await Promise.all(paths.map((p) => dataFiles(p, '.ts')))).flat()) await rm(ts);
      await Promise.all(lost.map((f, i) => writeFile(f, bytes[i]!)));
      assert.deepEqual(await allDataFiles(paths), [...named, ...lost].sort());

      // Young files are never orphans.
      assert.equal((await s.auditOnce()).orphansRemoved, 0);
      clock.advance(HOUR + 1);
      assert.equal((await s.auditOnce()).orphansRemoved, 0, 'the first sighting only marks them');
      assert.deepEqual(await allDataFiles(paths), [...named, ...lost].sort());
      const second = await s.auditOnce();
      assert.equal(second.orphansRemoved, 3);
      assert.equal(second.lastPassCorrupt, 0);
      assert.deepEqual(await allDataFiles(paths), named);
      assert.equal((await s.status()).auditor.orphansRemoved, 3);

      assert.equal((await readAll((await s.getObject('orph', 'kept')).body)).toString(), 'kept body');
      assert.equal((await readAll((await s.getObject('orph', 'multi')).body)).toString(), 'part one');
      const parts = await s.listParts('orph', 'pending', open.uploadId, {});
      assert.equal(parts.parts.length, 1);
      assert.equal((await s.auditOnce()).orphansRemoved, 3, 'nothing named goes on later passes');
      assert.deepEqual(await allDataFiles(paths), named);
    },
    { inlineMaxBytes: 0 },
  );
});
