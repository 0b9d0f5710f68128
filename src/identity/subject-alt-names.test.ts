import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isIPv6 } from 'node:net';
import {
  ipAddressBytes,
  ipAddressText,
  parseSubjectAltName,
  sameNames,
  servingNames,
  subjectAltNames,
} from './subject-alt-names.js';
import { IdentityError } from './errors.js';

test('IP addresses: bytes and canonical text for IPv4, IPv6, compressed and IPv4-tailed forms', () => {
  assert.deepEqual([...(ipAddressBytes('10.1.2.3') ?? [])], [10, 1, 2, 3]);
  const cases: Array<[string, string]> = [
    ['::1', '::1'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['FD00:0:0:0:0:0:0:2', 'fd00::2'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['::ffff:10.0.0.1', '::ffff:a00:1'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
    ['::', '::'],
  ];
  for (const [given, canonical] of cases) {
    const bytes = ipAddressBytes(given);
    assert.ok(bytes, given);
    assert.equal(bytes.length, 16);
    assert.equal(ipAddressText(bytes), canonical, given);
    assert.ok(isIPv6(canonical));
  }
  for (const bad of ['1.2.3', '256.1.1.1', '1::2::3', '1:2:3:4:5:6:7:8:9', 'fe80::1%eth0', 'g::1', 'example'])
    assert.equal(ipAddressBytes(bad), undefined, bad);
});

test('subject alternative names: sorted into DNS names and IPs, canonical, no repeats; bad ones refused', () => {
  assert.deepEqual(
    subjectAltNames(['Example.COM.', '10.0.0.1', '[::1]', '*.s3.localhost', '0:0::1', 'example.com']),
    {
      dnsNames: ['example.com', '*.s3.localhost'],
      ipAddresses: ['10.0.0.1', '::1'],
    },
  );
  for (const bad of ['a_b', '-x.example', 'a..b', '10.0.0.300', 'x.*.example', ''])
    assert.throws(
      () => subjectAltNames([bad]),
      (e: unknown) =>
        e instanceof IdentityError && e.code === 'IDENTITY_TLS_SAN_INVALID' && e.message.includes(`"${bad}"`),
      bad,
    );
});

test('serving names: loopback, host name, addresses (not link-local), the listen host and --tls-san', () => {
  const names = servingNames({
    host: '0.0.0.0',
    extra: ['stratus.example', '203.0.113.7'],
    hostname: 'Node-1',
    addresses: ['127.0.0.1', '192.0.2.2', 'fd00::2', 'fe80::fc:ff:fe00:1', '::1'],
  });
  assert.deepEqual(names, {
    dnsNames: ['localhost', 'node-1', 'stratus.example'],
    ipAddresses: ['127.0.0.1', '::1', '192.0.2.2', 'fd00::2', '203.0.113.7'],
  });
  assert.deepEqual(servingNames({ host: 'api.example', hostname: 'under_score' }).dnsNames, [
    'localhost',
    'api.example',
  ]);
  assert.deepEqual(servingNames({ host: '10.9.8.7' }).ipAddresses, ['127.0.0.1', '::1', '10.9.8.7']);
});

test('the names node:crypto prints for a certificate read back as the same set', () => {
  const parsed = parseSubjectAltName(
    'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, DNS:A.example',
  );
  assert.deepEqual(parsed.other, []);
  assert.ok(sameNames(parsed, { dnsNames: ['a.example', 'localhost'], ipAddresses: ['::1', '127.0.0.1'] }));
  assert.ok(!sameNames(parsed, { dnsNames: ['localhost'], ipAddresses: ['::1', '127.0.0.1'] }));
  assert.deepEqual(parseSubjectAltName('email:a@b, DNS:x').other, ['email:a@b']);
});
