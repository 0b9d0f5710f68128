import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../common/kube-object.js';
import { createRegistry } from './registry.js';
import { formatFieldError } from './errors.js';

const registry = createRegistry();
const now = Date.parse('2024-01-01T00:10:00Z');
const typeOf = (o: KubeObject) => registry.byKind(o.apiVersion ?? '', o.kind ?? '')!;
/** Defaults then validates, as the API server does; `field: message` lines. */
const check = (o: KubeObject, old?: KubeObject): string[] => {
  const t = typeOf(o);
  return t.validate(t.defaults(o), old && t.defaults(old)).map(formatFieldError);
};
const row = (o: KubeObject): unknown[] => typeOf(o).cells(typeOf(o).defaults(o), now);
const meta = (name: string, namespace?: string) => ({
  name,
  ...(namespace ? { namespace } : {}),
  creationTimestamp: '2024-01-01T00:00:00Z',
});

const service = (spec: Record<string, unknown>, name = 'web'): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: meta(name, 'default'),
  spec: {
    clusterIP: '127.77.0.9',
    clusterIPs: ['127.77.0.9'],
    ipFamilies: ['IPv4'],
    ipFamilyPolicy: 'SingleStack',
    ...spec,
  },
});

test('Service defaults and rules as Kubernetes: affinity timeout, traffic policies, type-bound fields', () => {
  const d = typeOf(service({})).defaults(
    service({ type: 'LoadBalancer', sessionAffinity: 'ClientIP', ports: [{ port: 80 }] }),
  ) as unknown as { spec: Record<string, unknown> };
  assert.equal(d.spec.internalTrafficPolicy, 'Cluster');
  assert.equal(d.spec.externalTrafficPolicy, 'Cluster');
  assert.equal(d.spec.allocateLoadBalancerNodePorts, true);
  assert.deepEqual(d.spec.sessionAffinityConfig, { clientIP: { timeoutSeconds: 10800 } });
  assert.deepEqual((d.spec.ports as unknown[])[0], { port: 80, protocol: 'TCP', targetPort: 80 });

  assert.deepEqual(
    check(
      service({
        sessionAffinity: 'ClientIP',
        sessionAffinityConfig: { clientIP: { timeoutSeconds: 0 } },
        externalTrafficPolicy: 'Local',
        ports: [{ port: 80, nodePort: 30001, targetPort: 'Not_A_Port' }],
      }),
    ),
    [
      'spec.ports[0].targetPort: Invalid value: "Not_A_Port": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
      "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'",
      'spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 0: must be greater than 0 and less than 86400',
      'spec.externalTrafficPolicy: Invalid value: "Local": may only be set for externally-accessible services',
    ],
  );
  assert.deepEqual(check(service({ ports: [{ port: 80 }], externalIPs: ['127.0.0.2', '0.0.0.0'] })), [
    'spec.externalIPs[1]: Invalid value: "0.0.0.0": may not be unspecified (0.0.0.0)',
  ]);
  assert.match(
    check(service({ ports: [{ port: 80 }] }, '1web'))[0] ?? '',
    /a DNS-1035 label must consist of/,
  );
  assert.deepEqual(check(service({ clusterIP: '', clusterIPs: ['127.77.0.9'], ports: [{ port: 80 }] })), [
    'spec.clusterIPs: Invalid value: []string{"127.77.0.9"}: must be empty when `clusterIP` is not specified',
  ]);
});

test('EndpointSlice: address type, addresses of that type (loopback allowed), unique named ports; table', () => {
  const slice = (extra: Record<string, unknown>): KubeObject => ({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: meta('web-abc', 'default'),
    addressType: 'IPv4',
    endpoints: [
      { addresses: ['127.0.0.1'] },
      { addresses: ['127.0.0.1'] },
      { addresses: ['10.0.0.1'] },
      { addresses: ['10.0.0.2'] },
    ],
    ports: [{ name: 'http', port: 41234 }],
    ...extra,
  });
  assert.deepEqual(check(slice({})), []);
  assert.deepEqual(row(slice({})), [
    'web-abc',
    'IPv4',
    '41234',
    '127.0.0.1,127.0.0.1,10.0.0.1 + 1 more...',
    '10m',
  ]);
  assert.deepEqual(row(slice({ endpoints: [], ports: [] })), [
    'web-abc',
    'IPv4',
    '<unset>',
    '<unset>',
    '10m',
  ]);
  assert.deepEqual(
    check(
      slice({
        addressType: 'IPv4',
        endpoints: [{ addresses: ['fd00::1'] }, { addresses: [] }],
        ports: [
          { name: 'http', port: 1 },
          { name: 'http', port: 2, protocol: 'HTTP' },
        ],
      }),
    ),
    [
      'endpoints[0].addresses[0]: Invalid value: "fd00::1": must be a valid IPv4 address',
      'endpoints[1].addresses: Required value: must contain at least 1 address',
      'ports[1].name: Duplicate value: "http"',
      'ports[1].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"',
    ],
  );
  assert.deepEqual(check(slice({ addressType: 'IPv6', endpoints: [] }), slice({})), [
    'addressType: Invalid value: "IPv6": field is immutable',
  ]);
});

test('Ingress: rules or a default backend, DNS hosts, absolute clean paths, one backend; table', () => {
  const ingress = (spec: Record<string, unknown>): KubeObject => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: meta('web', 'default'),
    spec,
  });
  const backend = { service: { name: 'web', port: { number: 80 } } };
  const good = ingress({
    ingressClassName: 'stratus',
    tls: [{ hosts: ['a.example.com'], secretName: 'a-tls' }],
    rules: [
      { host: 'a.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend }] } },
      { host: '*.example.com', http: { paths: [{ path: '/x', pathType: 'Exact', backend }] } },
    ],
  });
  assert.deepEqual(check(good), []);
  assert.deepEqual(row(good), ['web', 'stratus', 'a.example.com,*.example.com', '', '80, 443', '10m']);
  assert.deepEqual(check(ingress({})), [
    'spec: Invalid value: []string{}: either `defaultBackend` or `rules` must be specified',
  ]);
  assert.deepEqual(
    check(
      ingress({
        rules: [
          {
            host: '10.0.0.1',
            http: {
              paths: [
                { path: 'x//y', pathType: 'Prefix', backend: { service: { name: 'web', port: {} } } },
                { path: '/', backend },
                {
                  path: '/',
                  pathType: 'Regex',
                  backend: { service: { name: 'web', port: { name: 'http', number: 80 } } },
                },
              ],
            },
          },
        ],
      }),
    ).map((l) => l.replace(/ \(e\.g\..*$/, '')),
    [
      // The schema's required fields are checked first, in its words.
      'spec.rules[0].http.paths[1].pathType: Required value',
      'spec.rules[0].host: Invalid value: "10.0.0.1": must be a DNS name, not an IP address',
      'spec.rules[0].http.paths[0].path: Invalid value: "x//y": must be an absolute path',
      'spec.rules[0].http.paths[0].path: Invalid value: "x//y": must not contain \'//\'',
      'spec.rules[0].http.paths[0].backend: Required value: port name or number is required',
      'spec.rules[0].http.paths[2].pathType: Unsupported value: "Regex": supported values: "Exact", "ImplementationSpecific", "Prefix"',
      'spec.rules[0].http.paths[2].backend: Invalid value: "": cannot set both port name & port number',
    ],
  );
});

test('IngressClass: a domain-prefixed, immutable controller; parameters scoped; table', () => {
  const ic = (spec: Record<string, unknown>): KubeObject => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'IngressClass',
    metadata: meta('stratus'),
    spec,
  });
  const good = ic({
    controller: 'stratus.dev/ingress',
    parameters: { apiGroup: 'k8s.example.com', kind: 'Params', name: 'p' },
  });
  assert.deepEqual(check(good), []);
  assert.deepEqual(row(good), ['stratus', 'stratus.dev/ingress', 'Params.k8s.example.com/p', '10m']);
  assert.deepEqual(check(ic({ controller: 'nginx' })), [
    'spec.controller: Invalid value: "nginx": must be a domain-prefixed path (such as "acme.io/foo")',
  ]);
  assert.deepEqual(check(ic({ controller: 'other.dev/x' }), good), [
    'spec.controller: Invalid value: "other.dev/x": field is immutable',
  ]);
  assert.deepEqual(
    check(ic({ controller: 'a.dev/x', parameters: { kind: 'P', name: 'p', scope: 'Namespace' } })),
    ["spec.parameters.namespace: Required value: `parameters.scope` is set to 'Namespace'"],
  );
});
