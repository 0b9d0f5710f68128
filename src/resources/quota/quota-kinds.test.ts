import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../common/kube-object.js';
import { createRegistry } from '../registry.js';

const registry = createRegistry();
const quotas = registry.resolve('quota')!;

const quota = (spec: object, status?: object): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ResourceQuota',
  metadata: { name: 'q', namespace: 'a', creationTimestamp: '2026-01-01T00:00:00Z' },
  spec,
  ...(status ? { status } : {}),
});
const messages = (o: KubeObject, old?: KubeObject): string[] =>
  quotas.validate(o, old).map((e) => `${e.field}: ${e.message}`);

test('ResourceQuota names, quantities and scopes are validated as Kubernetes does', () => {
  assert.deepEqual(
    messages(
      quota({
        hard: {
          pods: '1.5',
          widgets: '1',
          'requests.cpu': '-1',
          'count/deployments.apps': '2',
          'storage.stratus.dev/bucket-bytes': '10Gi',
        },
      }),
    ),
    [
      'spec.hard[pods]: Invalid value: "1500m": must be an integer',
      'spec.hard[widgets]: Invalid value: "widgets": must be a standard resource for quota',
      'spec.hard[requests.cpu]: Invalid value: "-1": must be greater than or equal to 0',
    ],
  );
  assert.deepEqual(
    messages(quota({ hard: { 'requests.cpu': '1' }, scopes: ['BestEffort', 'NotBestEffort'] })),
    [
      'spec.scopes: Invalid value: []string{"BestEffort", "NotBestEffort"}: unsupported scope applied to resource',
      'spec.scopes: Invalid value: []string{"BestEffort", "NotBestEffort"}: conflicting scopes',
    ],
  );
  assert.deepEqual(messages(quota({ hard: { pods: '1' }, scopes: ['Sometimes'] })), [
    'spec.scopes: Invalid value: []string{"Sometimes"}: unsupported scope',
    'spec.scopes: Invalid value: []string{"Sometimes"}: unsupported scope applied to resource',
  ]);
  assert.deepEqual(
    messages(quota({ hard: { pods: '1' }, scopes: ['Terminating'] }), quota({ hard: { pods: '1' } })),
    ['spec.scopes: Invalid value: []string{"Terminating"}: field is immutable'],
  );
});

test('kubectl get quota shows used/hard, limits.* in the LIMIT column', () => {
  const q = quota(
    {},
    {
      hard: { pods: '4', 'requests.cpu': '2', 'limits.memory': '2Gi', secrets: '10' },
      used: { pods: '1', 'requests.cpu': '500m', 'limits.memory': '512Mi' },
    },
  );
  const cells = quotas.cells(q, Date.parse('2026-01-01T00:05:00Z'));
  assert.deepEqual(cells, [
    'q',
    '5m',
    'pods: 1/4, requests.cpu: 500m/2, secrets: 0/10',
    'limits.memory: 512Mi/2Gi',
  ]);
});

test('a container may not request more than its limit', () => {
  const pods = registry.resolve('pods')!;
  const errs = pods.validate({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'a' },
    spec: {
      containers: [
        { name: 'c', image: 'x', resources: { requests: { cpu: '500m' }, limits: { cpu: '100m' } } },
      ],
    },
  });
  assert.deepEqual(
    errs.map((e) => `${e.field}: ${e.message}`),
    [
      'spec.containers[0].resources.requests: Invalid value: "500m": must be less than or equal to cpu limit of 100m',
    ],
  );
});
