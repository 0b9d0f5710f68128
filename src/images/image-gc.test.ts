import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { importArchive } from './image-archive.js';
import { collectImages, markUsed } from './image-gc.js';
import { ImageStore } from './image-store.js';
import { writeDockerSave } from './testing/image-fixtures.js';

test('GC above the high threshold removes unused images, oldest use first, down to the low one; never one in use', async (t) => {
  const work = await mkdtemp(join(tmpdir(), 'stratus-image-gc-'));
  t.after(() => rm(work, { recursive: true, force: true }));
  const store = await ImageStore.open(join(work, 'images'));
  const digests: string[] = [];
  for (const name of ['a', 'b', 'c', 'd']) {
    const dir = join(work, name, 'layer');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, name), name.repeat(1000));
    const [image] = await importArchive(
      store,
      await writeDockerSave(join(work, name), [dir], { tags: [`${name}:1`] }),
    );
    digests.push(image?.digest ?? '');
    await utimes(
      store.blobs.path(image?.digest ?? ''),
      new Date(1000 * digests.length),
      new Date(1000 * digests.length),
    );
  }
  const [a, b, c, d] = digests as [string, string, string, string];
  await store.ensureUnpacked('a:1');
  await markUsed(store, b); // b is now the most recently used
  // A pretend disk: 100 units, each image is 10 of them.
  const used = (): number => 50 + 10 * digests.length;
  const usage = async (): Promise<{ usedBytes: number; totalBytes: number }> => {
    const present = (await store.list()).length;
    return { usedBytes: 50 + 10 * present, totalBytes: 100 };
  };
  assert.equal(used(), 90);
  // Under the high threshold: nothing happens.
  assert.deepEqual(
    (await collectImages(store, { inUse: new Set(), usage, highPercent: 95 })).removedImages,
    [],
  );
  // Above it: a is in use, so c then d go (b was used last), stopping under 75 %.
  const result = await collectImages(store, { inUse: new Set([a]), usage, highPercent: 85, lowPercent: 75 });
  assert.deepEqual(result.removedImages, [c, d]);
  assert.equal(result.usedPercentAfter, 70);
  assert.deepEqual((await store.list()).map((r) => r.digest).sort(), [a, b].sort());
  // Everything unused is removed when the disk stays full, but the image in use stays.
  const full = (): Promise<{ usedBytes: number; totalBytes: number }> =>
    Promise.resolve({
      usedBytes: 99,
      totalBytes: 100,
    });
  assert.deepEqual((await collectImages(store, { inUse: new Set([a]), usage: full })).removedImages, [b]);
  assert.deepEqual(
    (await store.list()).map((r) => r.digest),
    [a],
  );
  assert.equal(await store.blobs.has(a), true);
  assert.ok((await store.ensureUnpacked('a:1')).layerDirs.length === 1);
});
