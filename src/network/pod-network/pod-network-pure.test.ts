import assert from 'node:assert/strict';
import { test } from 'node:test';
import { masqueradeRuleset } from './masquerade-rules.js';
import { candidateAddresses, recordedAddress, staleRecords } from './pod-ipam.js';
import { hostVethName, netnsName, DEFAULT_POD_NETWORK_NAMES } from './pod-network-names.js';
import { parsePodRange, podAddressAt, podOffsetOf } from './pod-range.js';
import { hostsFile, resolvConf } from './sandbox-files.js';

test('a pod range: the gateway is the first host, pods take the rest but the broadcast', () => {
  const r = parsePodRange('10.244.3.7/24');
  assert.equal(r.cidr, '10.244.3.0/24');
  assert.equal(r.gateway, '10.244.3.1');
  assert.equal(r.size, 253);
  assert.equal(podAddressAt(r, 0), '10.244.3.2');
  assert.equal(podAddressAt(r, 252), '10.244.3.254');
  assert.equal(podOffsetOf(r, '10.244.3.254'), 252);
  assert.equal(podOffsetOf(r, '10.244.3.1'), undefined);
  assert.equal(podOffsetOf(r, '10.244.3.255'), undefined);
  assert.equal(podOffsetOf(r, '10.244.4.2'), undefined);
  assert.throws(() => podAddressAt(r, 253), RangeError);
  assert.throws(() => parsePodRange('10.0.0.0/30'), { code: 'POD_NETWORK_RANGE_INVALID' });
  assert.throws(() => parsePodRange('fd00::/64'), { code: 'POD_NETWORK_RANGE_INVALID' });
  assert.throws(() => parsePodRange('nonsense'), { code: 'POD_NETWORK_RANGE_INVALID' });
});

test('addresses are tried after the last one given, round the range, skipping taken ones', () => {
  const r = parsePodRange('10.1.0.0/29'); // pods .2-.6
  assert.deepEqual(candidateAddresses(r, new Set()), [
    '10.1.0.2',
    '10.1.0.3',
    '10.1.0.4',
    '10.1.0.5',
    '10.1.0.6',
  ]);
  assert.deepEqual(candidateAddresses(r, new Set(['10.1.0.5']), '10.1.0.3'), [
    '10.1.0.4',
    '10.1.0.6',
    '10.1.0.2',
    '10.1.0.3',
  ]);
  assert.deepEqual(candidateAddresses(r, new Set(['10.1.0.2']), '10.1.0.6'), [
    '10.1.0.3',
    '10.1.0.4',
    '10.1.0.5',
    '10.1.0.6',
  ]);
  assert.deepEqual(
    candidateAddresses(r, new Set(['10.1.0.2', '10.1.0.3', '10.1.0.4', '10.1.0.5', '10.1.0.6'])),
    [],
  );
});

test('stale records: gone pods, addresses outside the range, a second record of one pod', () => {
  const r = parsePodRange('10.1.0.0/24');
  const records = [
    { ip: '10.1.0.2', podUid: 'a' },
    { ip: '10.1.0.3', podUid: 'b' },
    { ip: '10.1.0.4', podUid: 'a' },
    { ip: '10.2.0.2', podUid: 'c' },
  ];
  assert.equal(recordedAddress(records, 'b'), '10.1.0.3');
  assert.equal(recordedAddress(records, 'z'), undefined);
  assert.deepEqual(
    staleRecords(records, new Set(['a', 'c']), r).map((x) => x.ip),
    ['10.1.0.3', '10.1.0.4', '10.2.0.2'],
  );
});

test('kernel names derive from the uid and fit IFNAMSIZ', () => {
  const uid = '0f8e2a4c-1b2d-4e5f-9a8b-7c6d5e4f3a2b';
  assert.equal(hostVethName(uid), 'sv0f8e2a4c1b2d4');
  assert.equal(hostVethName(uid).length, 15);
  assert.equal(netnsName(DEFAULT_POD_NETWORK_NAMES, uid), `stratus-${uid}`);
});

test('hosts and resolv.conf as the kubelet writes them', () => {
  const hosts = hostsFile('web-0', '10.244.0.5', { fqdn: 'web-0.web.default.svc.cluster.local' });
  assert.match(hosts, /^127\.0\.0\.1\tlocalhost$/m);
  assert.match(hosts, /^10\.244\.0\.5\tweb-0\.web\.default\.svc\.cluster\.local\tweb-0$/m);
  assert.match(hostsFile('p', '10.244.0.6'), /^10\.244\.0\.6\tp$/m);
  assert.equal(
    resolvConf({ nameserver: '10.244.0.1', namespace: 'shop' }),
    'search shop.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.244.0.1\noptions ndots:5\n',
  );
});

test('the masquerade table masquerades the range leaving by another interface', () => {
  const s = masqueradeRuleset('stratus-pods', 'stratus0', '10.244.0.0/24');
  assert.match(s, /^delete table ip stratus-pods$/m);
  assert.match(
    s,
    /ip saddr 10\.244\.0\.0\/24 ip daddr != 10\.244\.0\.0\/24 oifname != "stratus0" masquerade/,
  );
});
