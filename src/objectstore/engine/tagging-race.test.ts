import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mergeRows, type ObjectRow } from '../device/index.js';
import type { EngineObjectStore } from './engine-store.js';
import { body, readAll, rejectsWith, withStore } from './test-helpers.js';

/** Runs `fn` inside the next tagging write, between its read of the version and its write. */
function raceNextTagging(): {
  hooks: { afterTagRead: () => Promise<void> };
  arm: (fn: () => Promise<unknown>) => void;
} {
  let armed: (() => Promise<unknown>) | undefined;
  return {
    hooks: {
      afterTagRead: async () => {
        const fn = armed;
        armed = undefined;
        await fn?.();
      },
    },
    arm: (fn) => (armed = fn),
  };
}

async function text(s: EngineObjectStore, bucket: string, key: string): Promise<string> {
  return (await readAll((await s.getObject(bucket, key)).body)).toString();
}

for (const inline of [false, true]) {
  test(`a tagging racing an overwrite never writes the replaced version back (${inline ? 'inline' : 'data file'})`, async () => {
    const race = raceNextTagging();
    await withStore(
      3,
      async (s) => {
        await s.createBucket('tags', 'o');
        await s.putObject('tags', 'k', body('old body'), {});
        race.arm(() => s.putObject('tags', 'k', body('new body'), {}));
        await s.putTagging('tags', 'k', { color: 'red' });
        assert.equal(await text(s, 'tags', 'k'), 'new body');
        // The overwrite came after the tagging (it brought no tags of its own).
        assert.deepEqual(await s.getTagging('tags', 'k'), {});
        const listed = await s.listObjects('tags', {});
        assert.equal(listed.objects.length, 1);
        assert.equal(listed.objects[0]!.size, 'new body'.length);

        // Without a race the tagging applies, and a later one replaces it.
        await s.putTagging('tags', 'k', { color: 'blue' });
        assert.deepEqual(await s.getTagging('tags', 'k'), { color: 'blue' });
        assert.equal(await text(s, 'tags', 'k'), 'new body');
      },
      { hooks: race.hooks, inlineMaxBytes: inline ? 65536 : 0 },
    );
  });
}

test('a tagging racing a deletion does not revive the deleted object', async () => {
  const race = raceNextTagging();
  await withStore(
    3,
    async (s) => {
      await s.createBucket('tags', 'o');
      await s.putObject('tags', 'gone', body('body'), {});
      race.arm(() => s.deleteObject('tags', 'gone'));
      await s.putTagging('tags', 'gone', { color: 'red' });
      await rejectsWith(s.getObject('tags', 'gone'), 'NoSuchKey');
      assert.equal((await s.listObjects('tags', {})).objects.length, 0);
    },
    { hooks: race.hooks, inlineMaxBytes: 0 },
  );
});

test('replicas converge on the newer version whichever of a stale tagging and an overwrite arrives first', () => {
  const row = (vid: string, vts: string, ts: string, deleted = 0): ObjectRow => ({
    key: 'k',
    vid,
    ts,
    deleted,
    vts,
    size: 1,
    etag: vts,
    modified: 0,
    dm: 0,
    meta: '',
  });
  const overwrite = row('null', '000000000000002.000000', '000000000000002.000000');
  // A tagging of the version read before the overwrite, stamped after it.
  const staleTag = row('null', '000000000000001.000000', '000000000000003.000000');
  assert.equal(mergeRows('objects', [[staleTag], [overwrite]])[0], overwrite);
  assert.equal(mergeRows('objects', [[overwrite], [staleTag]])[0], overwrite);
  const deletion = row('null', '000000000000002.000000', '000000000000002.000000', 1);
  assert.equal(mergeRows('objects', [[staleTag], [deletion]])[0], deletion);
});
