import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolvConfNameservers } from './resolv-conf.js';

test('nameservers in order, without our own address and duplicates', () => {
  const text =
    '# c\nsearch example.com\nnameserver 10.0.0.2\nnameserver  10.244.0.1\nnameserver fe80::1%eth0\nnameserver 10.0.0.2\n';
  assert.deepEqual(resolvConfNameservers(text, ['10.244.0.1']), ['10.0.0.2', 'fe80::1']);
  assert.deepEqual(resolvConfNameservers(''), []);
});
