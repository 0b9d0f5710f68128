import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openObjectStore } from './engine-store.js';
import { body, readAll } from './test-helpers.js';

test('below its free-space reserve a device refuses bodies with a clear 503, and reads and deletes go on', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-reserve-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const devices = [{ id: 'd0', path: join(dir, 'd0') }];
  const large = Buffer.alloc(1024 * 1024, 3);
  const roomy = await openObjectStore({ devices, partPower: 4, reserveBytes: 0 });
  await roomy.createBucket('bkt', 'o');
  await roomy.putObject('bkt', 'small', body('small body'), {});
  await roomy.putObject('bkt', 'large', body(large), {});
  await roomy.close();

  const full = await openObjectStore({ devices, partPower: 4, reserveBytes: Number.MAX_SAFE_INTEGER });
  t.after(() => full.close());
  for (const [key, data] of [
    ['new-small', Buffer.from('x')],
    ['new-large', large],
  ] as const) {
    await assert.rejects(
      full.putObject('bkt', key, body(data), { size: data.length }),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, 'ServiceUnavailable');
        assert.match(
          err.message,
          /device d0 \(.*d0\): .* free, below the reserve of .* kept so that the disk never fills/,
        );
        return true;
      },
    );
  }
  assert.equal((await readAll((await full.getObject('bkt', 'small')).body)).toString(), 'small body');
  assert.ok((await readAll((await full.getObject('bkt', 'large')).body)).equals(large));
  await full.deleteObject('bkt', 'small');
  await full.deleteObject('bkt', 'large');
  await assert.rejects(full.getObject('bkt', 'large'), { code: 'NoSuchKey' });
  await assert.rejects(
    full.getObject('bkt', 'new-small'),
    { code: 'NoSuchKey' },
    'a refused PUT stored nothing',
  );
  await full.createBucket('metadata-still-fits', 'o');
});
