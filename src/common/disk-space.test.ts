import assert from 'node:assert/strict';
import { test } from 'node:test';
import { belowReserve, defaultReserveBytes, describeBytes, isDiskError, isDiskFull } from './disk-space.js';

test('the default reserve is 2 % of the file system, at most 1 GiB', () => {
  assert.equal(defaultReserveBytes(64 * 1024 * 1024), Math.ceil(64 * 1024 * 1024 * 0.02));
  assert.equal(defaultReserveBytes(10 * 2 ** 40), 2 ** 30);
  assert.equal(defaultReserveBytes(0), 0);
});

test('disk errors are told apart from other failures', () => {
  for (const code of ['ENOSPC', 'EDQUOT', 'SQLITE_FULL'])
    assert.ok(isDiskFull({ code }) && isDiskError({ code }));
  for (const code of ['EIO', 'EROFS', 'SQLITE_IOERR_WRITE', 'SQLITE_IOERR_FSYNC']) {
    assert.ok(isDiskError({ code }) && !isDiskFull({ code }), code);
  }
  for (const err of [{ code: 'ENOENT' }, new Error('x'), undefined, 'ENOSPC']) assert.ok(!isDiskError(err));
});

test('refusals name the free space and the reserve', () => {
  assert.equal(describeBytes(512), '512 B');
  assert.equal(describeBytes(1.5 * 1024 * 1024), '1.5 MiB');
  assert.match(
    belowReserve('cannot store pods "a"', 1024, 2048),
    /1\.0 KiB free, below the reserve of 2\.0 KiB/,
  );
});
