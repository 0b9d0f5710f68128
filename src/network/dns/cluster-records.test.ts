import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { lookupCluster, type DnsCatalog } from './cluster-records.js';
import { RCODE, TYPE } from './dns-message.js';

const services: Service[] = [
  {
    metadata: { name: 'web', namespace: 'default' },
    spec: { clusterIP: '127.77.0.10', ports: [{ name: 'http', port: 80, protocol: 'TCP' }, { port: 9000 }] },
  },
  {
    metadata: { name: 'db', namespace: 'shop' },
    spec: { clusterIP: 'None', ports: [{ name: 'pg', port: 5432 }] },
  },
  {
    metadata: { name: 'ext', namespace: 'shop' },
    spec: { type: 'ExternalName', externalName: 'db.example.com.' },
  },
];
const slices: EndpointSlice[] = [
  {
    metadata: { name: 'db-x', namespace: 'shop', labels: { 'kubernetes.io/service-name': 'db' } },
    addressType: 'IPv4',
    ports: [{ name: 'pg', port: 15432, protocol: 'TCP' }],
    endpoints: [
      { addresses: ['10.244.0.5'], hostname: 'db-0', conditions: { ready: true } },
      { addresses: ['10.244.0.6'], conditions: { ready: true } },
      { addresses: ['10.244.0.7'], conditions: { ready: false } },
    ],
  },
];
const catalog: DnsCatalog = {
  service: (ns, name) => services.find((s) => s.metadata?.namespace === ns && s.metadata.name === name),
  slices: (ns, svc) =>
    slices.filter(
      (s) => s.metadata?.namespace === ns && s.metadata.labels?.['kubernetes.io/service-name'] === svc,
    ),
  hasNamespace: (ns) => services.some((s) => s.metadata?.namespace === ns),
};
const ask = (name: string, type: number = TYPE.A) => lookupCluster(catalog, name, type, 'cluster.local');
const addresses = (a: ReturnType<typeof ask>) => a.answers.map((r) => (r.type === 'A' ? r.address : r.type));

test('a ClusterIP Service answers its address, case-insensitively, named as asked', () => {
  const a = ask('WEB.default.svc.cluster.local');
  assert.equal(a.rcode, RCODE.NOERROR);
  assert.deepEqual(addresses(a), ['127.77.0.10']);
  assert.equal(a.answers[0]?.name, 'WEB.default.svc.cluster.local');
});

test('NXDOMAIN for names that do not exist, NODATA for names without the type', () => {
  for (const n of [
    'nope.default.svc.cluster.local',
    'web.other.svc.cluster.local',
    'x.y.cluster.local',
    'other.svc.cluster.local',
  ]) {
    const a = ask(n);
    assert.equal(a.rcode, RCODE.NXDOMAIN, n);
    assert.equal(a.authority[0]?.type, 'SOA', n);
  }
  for (const [n, t] of [
    ['web.default.svc.cluster.local', TYPE.AAAA],
    ['default.svc.cluster.local', TYPE.A],
    ['svc.cluster.local', TYPE.A],
    ['cluster.local', TYPE.A],
  ] as const) {
    const a = ask(n, t);
    assert.equal(a.rcode, RCODE.NOERROR, n);
    assert.deepEqual(a.answers, [], n);
    assert.equal(a.authority[0]?.type, 'SOA', n);
  }
  assert.equal(ask('cluster.local', TYPE.SOA).answers[0]?.type, 'SOA');
});

test('SRV for named ports; none for unnamed ones', () => {
  const a = ask('_http._tcp.web.default.svc.cluster.local', TYPE.SRV);
  assert.deepEqual(
    a.answers.map((r) => (r.type === 'SRV' ? [r.port, r.target] : [])),
    [[80, 'web.default.svc.cluster.local']],
  );
  assert.equal(ask('_http._udp.web.default.svc.cluster.local', TYPE.SRV).rcode, RCODE.NXDOMAIN);
  assert.equal(ask('_9000._tcp.web.default.svc.cluster.local', TYPE.SRV).rcode, RCODE.NXDOMAIN);
  assert.equal(ask('web.default.svc.cluster.local', TYPE.SRV).answers.length, 1);
});

test('a headless Service answers its ready endpoints, each by hostname too', () => {
  assert.deepEqual(addresses(ask('db.shop.svc.cluster.local')), ['10.244.0.5', '10.244.0.6']);
  assert.deepEqual(addresses(ask('db-0.db.shop.svc.cluster.local')), ['10.244.0.5']);
  assert.deepEqual(addresses(ask('10-244-0-6.db.shop.svc.cluster.local')), ['10.244.0.6']);
  assert.equal(ask('10-244-0-7.db.shop.svc.cluster.local').rcode, RCODE.NXDOMAIN, 'not ready');
  const srv = ask('_pg._tcp.db.shop.svc.cluster.local', TYPE.SRV);
  assert.deepEqual(
    srv.answers.map((r) => (r.type === 'SRV' ? r.port : 0)),
    [15432, 15432],
    "the endpoints' port",
  );
  assert.deepEqual(
    srv.answers.map((r) => (r.type === 'SRV' ? r.target : '')),
    ['db-0.db.shop.svc.cluster.local', '10-244-0-6.db.shop.svc.cluster.local'],
  );
  assert.deepEqual(
    srv.additional.map((r) => r.name),
    ['db-0.db.shop.svc.cluster.local', '10-244-0-6.db.shop.svc.cluster.local'],
  );
});

test('ExternalName is a CNAME; pod names map to their address', () => {
  const a = ask('ext.shop.svc.cluster.local');
  assert.deepEqual(
    a.answers.map((r) => (r.type === 'CNAME' ? r.target : '')),
    ['db.example.com'],
  );
  assert.deepEqual(addresses(ask('10-244-1-9.shop.pod.cluster.local')), ['10.244.1.9']);
  assert.equal(ask('10-244-1-999.shop.pod.cluster.local').rcode, RCODE.NXDOMAIN);
  assert.equal(ask('shop.pod.cluster.local').rcode, RCODE.NOERROR);
});
