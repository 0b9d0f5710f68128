import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { normalizeConfig } from '../proxy-config.js';
import { serviceListeners, weightOf, type ServiceWarning } from './service-listeners.js';

function slice(
  ports: Array<{ name?: string; port: number }>,
  eps: EndpointSlice['endpoints'],
): EndpointSlice {
  return { addressType: 'IPv4', ports, endpoints: eps, metadata: { name: 's', namespace: 'ns' } };
}

const pod = (uid: string, node: string, conditions = {}) => ({
  addresses: ['127.0.0.1'],
  nodeName: node,
  conditions,
  targetRef: { kind: 'Pod', namespace: 'ns', name: `pod-${uid}`, uid },
});

function service(spec: NonNullable<Service['spec']>, extra: Partial<Service> = {}): Service {
  return { metadata: { name: 'web', namespace: 'ns' }, spec, ...extra };
}

function listeners(svc: Service, slices: EndpointSlice[]) {
  const warnings: ServiceWarning[] = [];
  const out = serviceListeners(svc, {
    slices,
    node: { name: 'n1', address: '127.0.0.1' },
    weight: (_ns, name) => (name === 'pod-a' ? 3 : 1),
    warn: (w) => warnings.push(w),
  });
  normalizeConfig({ listeners: out });
  return { out, warnings };
}

const slices = [
  slice([{ name: 'http', port: 41000 }], [pod('a', 'n1', { ready: true })]),
  slice(
    [{ name: 'http', port: 42000 }],
    [pod('b', 'n2', { ready: false, serving: true, terminating: true })],
  ),
];

test('a ClusterIP Service gets one listener per port with the slices’ endpoints, weights and conditions', () => {
  const { out } = listeners(
    service({ type: 'ClusterIP', clusterIP: '127.77.0.9', ports: [{ name: 'http', port: 8080 }] }),
    slices,
  );
  assert.equal(out.length, 1);
  const l = out[0]!;
  assert.deepEqual(
    [l.name, l.address, l.port, l.protocol, l.algorithm],
    ['ns/web:http', '127.77.0.9', 8080, 'tcp', 'round-robin'],
  );
  assert.deepEqual(l.endpoints, [
    {
      id: 'a:41000',
      address: '127.0.0.1',
      port: 41000,
      weight: 3,
      ready: true,
      serving: true,
      terminating: false,
    },
    {
      id: 'b:42000',
      address: '127.0.0.1',
      port: 42000,
      weight: 1,
      ready: false,
      serving: true,
      terminating: true,
    },
  ]);
});

test('NodePort and LoadBalancer Services listen on the node address and ingress addresses; Local policies keep local endpoints', () => {
  const { out } = listeners(
    service(
      {
        type: 'LoadBalancer',
        clusterIP: '127.77.0.9',
        externalTrafficPolicy: 'Local',
        ports: [{ name: 'http', port: 8080, nodePort: 30080, appProtocol: 'http' }],
        sessionAffinity: 'ClientIP',
        sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } },
      },
      { status: { loadBalancer: { ingress: [{ ip: '127.0.0.2' }] } } },
    ),
    slices,
  );
  assert.deepEqual(
    out.map((l) => [l.name, l.address, l.port, l.protocol, l.endpoints.map((e) => e.id)]),
    [
      ['ns/web:http', '127.77.0.9', 8080, 'http', ['a:41000', 'b:42000']],
      ['ns/web:http/node-port', '127.0.0.1', 30080, 'http', ['a:41000']],
      ['ns/web:http/lb/127.0.0.2', '127.0.0.2', 8080, 'http', ['a:41000']],
    ],
  );
  assert.deepEqual(out[0]!.persistence, { type: 'source', timeoutMs: 60_000 });
});

test('annotations choose the algorithm and L7; bad values are reported and defaulted', () => {
  const annotated = (annotations: Record<string, string>) =>
    listeners(
      service(
        { clusterIP: '127.77.0.9', ports: [{ port: 53, protocol: 'UDP' }, { port: 80 }] },
        {
          metadata: { name: 'web', namespace: 'ns', annotations },
        },
      ),
      [],
    );
  const good = annotated({
    'stratus.dev/load-balancer-algorithm': 'least-connections',
    'stratus.dev/proxy-protocol': 'http',
  });
  assert.deepEqual(
    good.out.map((l) => [l.name, l.protocol, l.algorithm]),
    [
      ['ns/web:53', 'udp', 'least-connections'],
      ['ns/web:80', 'http', 'least-connections'],
    ],
  );
  assert.deepEqual(good.warnings, []);
  const bad = annotated({
    'stratus.dev/load-balancer-algorithm': 'fastest',
    'stratus.dev/proxy-protocol': 'h2',
  });
  assert.deepEqual(
    bad.out.map((l) => [l.protocol, l.algorithm]),
    [
      ['udp', 'round-robin'],
      ['tcp', 'round-robin'],
    ],
  );
  assert.match(bad.warnings.map((w) => w.message).join('\n'), /"fastest" is not one of round-robin/);
  assert.match(bad.warnings.map((w) => w.message).join('\n'), /proxy-protocol: "h2" is not http or tcp/);
});

test('headless, ExternalName and unallocated Services have no listeners; weights outside 0–256 are 1', () => {
  assert.deepEqual(listeners(service({ clusterIP: 'None', ports: [{ port: 80 }] }), slices).out, []);
  assert.deepEqual(listeners(service({ type: 'ExternalName', externalName: 'x.example' }), slices).out, []);
  assert.deepEqual(listeners(service({ ports: [{ port: 80 }] }), slices).out, []);
  assert.equal(weightOf({ 'stratus.dev/load-balancer-weight': '0' }), 0);
  assert.equal(weightOf({ 'stratus.dev/load-balancer-weight': '257' }), 1);
  assert.equal(weightOf(undefined), 1);
});
