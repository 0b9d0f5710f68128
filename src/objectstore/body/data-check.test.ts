import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { crc32 } from './checksum.js';
import { BodyCrc32, bodyCheck, nativeCrc32Hasher } from './data-check.js';

const data = Buffer.from(Array.from({ length: 100_000 }, (_, i) => (i * 31) & 0xff));

test('the native CRC-32 hasher and the footer CRC agree with the table CRC-32', (t) => {
  const native = nativeCrc32Hasher();
  if (native === undefined) {
    if (process.env.CI === 'true') assert.fail('zlib.crc32 is missing');
    t.skip('this Node has no zlib.crc32');
    return;
  }
  const table = crc32();
  table.update(data.subarray(0, 777));
  table.update(data.subarray(777));
  native.update(data.subarray(0, 5));
  native.update(data.subarray(5));
  const want = Buffer.from(table.digest()).toString('hex');
  assert.equal(Buffer.from(native.digest()).toString('hex'), want);
  const footer = new BodyCrc32();
  footer.update(data);
  assert.equal(footer.hex(), want);
});

test('bodyCheck verifies by CRC-32 when the footer has one, else by MD5, and catches a flipped bit', () => {
  const crc = new BodyCrc32();
  crc.update(data);
  const md5 = createHash('md5').update(data).digest('hex');
  const flipped = Buffer.from(data);
  flipped[500] = flipped[500]! ^ 0x04;
  for (const footer of [{ md5, ...(crc.hex() === undefined ? {} : { crc32: crc.hex()! }) }, { md5 }]) {
    const good = bodyCheck(footer);
    good.update(data.subarray(0, 10));
    good.update(data.subarray(10));
    assert.equal(good.matches(), true);
    const bad = bodyCheck(footer);
    bad.update(flipped);
    assert.equal(bad.matches(), false);
  }
  // A wrong CRC fails even when the MD5 would match: the CRC is what is checked.
  if (crc.hex() !== undefined) {
    const check = bodyCheck({ md5, crc32: '00000000' });
    check.update(data);
    assert.equal(check.matches(), false);
  }
});
