import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RangeAllocator } from './range-allocator.js';
import { ipAt, ipOffset, parsePortRange, parseServiceCidr, staticBand } from './service-ranges.js';

test('allocate, release and count offsets; out-of-range offsets are programming errors', () => {
  const r = new RangeAllocator(10);
  assert.equal(r.allocate(3), true);
  assert.equal(r.allocate(3), false);
  assert.equal(r.has(3), true);
  assert.equal(r.allocated, 1);
  r.release(3);
  r.release(3);
  assert.equal(r.allocated, 0);
  assert.throws(() => r.allocate(10), RangeError);
});

test('dynamic allocation fills the upper band from a random start, then the static band, then reports full', () => {
  const r = new RangeAllocator(8, { staticBand: 3, random: () => 0.5 });
  const got: number[] = [];
  for (let i = 0; i < 8; i++) got.push(r.allocateNext() ?? -1);
  assert.deepEqual(got, [5, 6, 7, 3, 4, 1, 2, 0]);
  assert.equal(r.allocateNext(), undefined);
  r.release(1);
  assert.equal(r.allocateNext(), 1);
});

test('the static band is sized as Kubernetes sizes it', () => {
  assert.equal(staticBand(65534, 'ip'), 256);
  assert.equal(staticBand(254, 'ip'), 16);
  assert.equal(staticBand(14, 'ip'), 0);
  assert.equal(staticBand(2768, 'port'), 86);
});

test('service ranges: usable addresses exclude network and broadcast; bad ranges are refused', () => {
  const range = parseServiceCidr('127.77.0.0/16');
  assert.equal(range.size, 65534);
  assert.equal(ipAt(range, 0), '127.77.0.1');
  assert.equal(ipAt(range, 65533), '127.77.255.254');
  assert.equal(ipOffset(range, '127.77.0.0'), undefined);
  assert.equal(ipOffset(range, '127.77.255.255'), undefined);
  assert.equal(ipOffset(range, '127.77.1.0'), 255);
  assert.throws(() => parseServiceCidr('127.0.0.0/8'), /must have a prefix length from 12 to 30/);
  assert.throws(() => parseServiceCidr('fd00::/112'), /must be IPv4/);
  assert.throws(() => parseServiceCidr('nonsense'), /is not a CIDR/);
  assert.deepEqual(parsePortRange('30000-32767'), { base: 30000, size: 2768, text: '30000-32767' });
  assert.deepEqual(parsePortRange('8080'), { base: 8080, size: 1, text: '8080-8080' });
  assert.throws(() => parsePortRange('0-10'), /LOW-HIGH within 1-65535/);
  assert.throws(() => parsePortRange('2-1'), /LOW-HIGH within 1-65535/);
});
