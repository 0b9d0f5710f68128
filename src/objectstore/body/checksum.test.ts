import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32, crc32c, crc64nvme, type Hasher } from './checksum.js';

const hex = (h: Hasher): string => Buffer.from(h.digest()).toString('hex');
const check = Buffer.from('123456789');

test('CRC check values of "123456789"', () => {
  for (const [make, want] of [
    [crc32, 'cbf43926'],
    [crc32c, 'e3069283'],
    [crc64nvme, 'ae8b14860a799888'],
  ] as const) {
    const h = make();
    h.update(check);
    assert.equal(hex(h), want);
  }
});

test('CRCs are incremental', () => {
  const whole = crc32c();
  whole.update(check);
  const split = crc32c();
  split.update(check.subarray(0, 4));
  split.update(check.subarray(4));
  assert.equal(hex(split), hex(whole));
  assert.equal(Buffer.from(crc32().digest()).toString('hex'), '00000000');
});
