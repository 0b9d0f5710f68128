import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  cidrContains,
  formatIPv4,
  ipFamilyOf,
  parseCidr,
  parseIPv4,
  parseIPv6,
  specialIPErrors,
} from './ip-address.js';

test('IPv4 parses strictly (no leading zeros, four octets) and formats back', () => {
  assert.equal(parseIPv4('127.77.1.2'), 0x7f4d0102);
  assert.equal(formatIPv4(0x7f4d0102), '127.77.1.2');
  for (const bad of ['127.077.1.2', '1.2.3', '1.2.3.256', '1.2.3.4.5', '', 'a.b.c.d', '1.2.3.-4']) {
    assert.equal(parseIPv4(bad), undefined, bad);
  }
});

test('IPv6 with :: and an IPv4 tail; families', () => {
  assert.deepEqual(parseIPv6('::1'), [0, 0, 0, 0, 0, 0, 0, 1]);
  assert.deepEqual(parseIPv6('2001:db8::ff00:42:8329'), [0x2001, 0xdb8, 0, 0, 0, 0xff00, 0x42, 0x8329]);
  assert.deepEqual(parseIPv6('::ffff:10.0.0.1'), [0, 0, 0, 0, 0, 0xffff, 0x0a00, 0x0001]);
  for (const bad of ['1::2::3', '1:2:3:4:5:6:7:8:9', '12345::', 'fe80::1%eth0', '1.2.3.4']) {
    assert.equal(parseIPv6(bad), undefined, bad);
  }
  assert.equal(ipFamilyOf('10.1.2.3'), 'IPv4');
  assert.equal(ipFamilyOf('fd00::1'), 'IPv6');
  assert.equal(ipFamilyOf('example.com'), undefined);
});

test('CIDRs mask their host bits and contain what they should', () => {
  const c = parseCidr('127.77.3.9/16');
  assert.equal(c?.base, parseIPv4('127.77.0.0'));
  assert.ok(c && cidrContains(c, parseIPv4('127.77.255.254') ?? 0));
  assert.ok(c && !cidrContains(c, parseIPv4('127.78.0.1') ?? 0));
  assert.equal(parseCidr('10.0.0.0/33'), undefined);
  assert.equal(parseCidr('10.0.0.0'), undefined);
  assert.equal(parseCidr('2001:db8::/64')?.family, 'IPv6');
});

test('special addresses: unspecified and link-local refused, loopback allowed', () => {
  assert.deepEqual(specialIPErrors('127.0.0.1'), []);
  assert.deepEqual(specialIPErrors('0.0.0.0'), ['may not be unspecified (0.0.0.0)']);
  assert.deepEqual(specialIPErrors('169.254.1.1'), [
    'may not be in the link-local range (169.254.0.0/16, fe80::/10)',
  ]);
  assert.deepEqual(specialIPErrors('224.0.0.5'), [
    'may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)',
  ]);
  assert.deepEqual(specialIPErrors('nope'), ['must be a valid IP address']);
});
