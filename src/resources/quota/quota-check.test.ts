import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../common/kube-object.js';
import { calculateUsage, checkQuotaRequest, quotaState, resourceListJson, type QuotaState } from './index.js';

const now = Date.parse('2026-01-01T00:00:00Z');

function quota(
  name: string,
  hard: Record<string, string>,
  used?: Record<string, string>,
  spec: object = {},
): QuotaState {
  return quotaState({
    apiVersion: 'v1',
    kind: 'ResourceQuota',
    metadata: { name, namespace: 'a' },
    spec: { hard, ...spec },
    status: { hard, ...(used ? { used } : {}) },
  });
}

function pod(
  name: string,
  resources: Record<string, Record<string, string>> = {},
  extra: object = {},
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'a' },
    spec: { containers: [{ name: 'c', image: 'x', resources }], ...extra },
  };
}

const createPod = (object: KubeObject) =>
  ({ operation: 'create', subresource: '', groupResource: 'pods', object, nowMs: now }) as const;

test('a create past a quota gets Kubernetes message; within it the charge is returned', () => {
  const q = quota('q', { pods: '2' }, { pods: '2' });
  const refused = checkQuotaRequest([q], createPod(pod('p')));
  assert.deepEqual(refused, {
    ok: false,
    message: 'exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2',
  });
  const fits = checkQuotaRequest([quota('q', { pods: '2' }, { pods: '1' })], createPod(pod('p')));
  assert.ok(fits.ok);
  assert.deepEqual(resourceListJson(fits.charges.get('q')!), { pods: '1' });
});

test('cpu and memory quotas charge requests and limits and name what exceeds', () => {
  const hard = { 'requests.cpu': '1', 'limits.memory': '1Gi', 'requests.memory': '512Mi' };
  const q = quota('compute', hard, {
    'requests.cpu': '500m',
    'limits.memory': '512Mi',
    'requests.memory': '0',
  });
  const p = pod('p', { requests: { cpu: '600m', memory: '256Mi' }, limits: { cpu: '1', memory: '768Mi' } });
  const verdict = checkQuotaRequest([q], createPod(p));
  assert.deepEqual(verdict, {
    ok: false,
    message:
      'exceeded quota: compute, requested: limits.memory=768Mi,requests.cpu=600m, ' +
      'used: limits.memory=512Mi,requests.cpu=500m, limited: limits.memory=1Gi,requests.cpu=1',
  });
  const small = pod('s', {
    requests: { cpu: '250m', memory: '128Mi' },
    limits: { cpu: '1', memory: '256Mi' },
  });
  const ok = checkQuotaRequest([q], createPod(small));
  assert.ok(ok.ok);
  assert.deepEqual(resourceListJson(ok.charges.get('compute')!), {
    'limits.memory': '256Mi',
    'requests.cpu': '250m',
    'requests.memory': '128Mi',
  });
});

test('a compute quota needs every container to declare what it tracks', () => {
  const q = quota(
    'compute',
    { 'limits.cpu': '2', 'requests.memory': '1Gi' },
    { 'limits.cpu': '0', 'requests.memory': '0' },
  );
  const p: KubeObject = {
    ...pod('p'),
    spec: {
      containers: [
        { name: 'web', image: 'x', resources: { limits: { cpu: '1' } } },
        { name: 'log', image: 'x' },
      ],
    },
  };
  assert.deepEqual(checkQuotaRequest([q], createPod(p)), {
    ok: false,
    message: 'failed quota: compute: must specify limits.cpu for: log; requests.memory for: log,web',
  });
});

test('a quota whose usage is not known yet refuses, as Kubernetes does', () => {
  assert.deepEqual(checkQuotaRequest([quota('fresh', { pods: '5', secrets: '1' })], createPod(pod('p'))), {
    ok: false,
    message: 'status unknown for quota: fresh, resources: pods',
  });
});

test('object counts, legacy names and count/<resource>.<group>', () => {
  const q = quota(
    'objects',
    { secrets: '1', 'count/deployments.apps': '1' },
    { secrets: '0', 'count/deployments.apps': '1' },
  );
  const secret: KubeObject = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' } };
  const charged = checkQuotaRequest([q], {
    operation: 'create',
    subresource: '',
    groupResource: 'secrets',
    object: secret,
    nowMs: now,
  });
  assert.ok(charged.ok);
  assert.deepEqual(resourceListJson(charged.charges.get('objects')!), { secrets: '1' });
  const deploy: KubeObject = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' } };
  const refused = checkQuotaRequest([q], {
    operation: 'create',
    subresource: '',
    groupResource: 'deployments.apps',
    object: deploy,
    nowMs: now,
  });
  assert.equal(refused.ok, false);
  // Updates of counted objects change nothing.
  const update = checkQuotaRequest([q], {
    operation: 'update',
    subresource: '',
    groupResource: 'deployments.apps',
    object: deploy,
    old: deploy,
    nowMs: now,
  });
  assert.deepEqual(update, { ok: true, charges: new Map() });
});

test('a service update is charged only the node ports it adds', () => {
  const q = quota('svc', { 'services.nodeports': '2' }, { 'services.nodeports': '1' });
  const old: KubeObject = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 's', resourceVersion: '5' },
    spec: { type: 'ClusterIP', ports: [{ port: 80 }, { port: 81 }] },
  };
  const now2 = { ...old, spec: { type: 'NodePort', ports: [{ port: 80 }, { port: 81 }] } };
  const verdict = checkQuotaRequest([q], {
    operation: 'update',
    subresource: '',
    groupResource: 'services',
    object: now2,
    old,
    nowMs: now,
  });
  assert.deepEqual(verdict, {
    ok: false,
    message:
      'exceeded quota: svc, requested: services.nodeports=2, used: services.nodeports=1, limited: services.nodeports=2',
  });
});

test('scoped quotas see only the pods in their scopes', () => {
  const q = quota('best-effort', { pods: '1' }, { pods: '1' }, { scopes: ['BestEffort'] });
  assert.equal(checkQuotaRequest([q], createPod(pod('be'))).ok, false);
  assert.equal(checkQuotaRequest([q], createPod(pod('burst', { requests: { cpu: '1' } }))).ok, true);
  const terminating = quota('t', { pods: '0' }, { pods: '0' }, { scopes: ['Terminating'] });
  assert.equal(
    checkQuotaRequest([terminating], createPod(pod('j', {}, { activeDeadlineSeconds: 5 }))).ok,
    false,
  );
  assert.equal(checkQuotaRequest([terminating], createPod(pod('d'))).ok, true);
});

test('the controller sums what a namespace uses; ended pods hold no compute, count/pods counts them', () => {
  const pods = [
    pod('a', { requests: { cpu: '500m', memory: '128Mi' } }),
    pod('b', { requests: { cpu: '1', memory: '128Mi' } }),
    { ...pod('done', { requests: { cpu: '4' } }), status: { phase: 'Succeeded' } },
  ];
  const used = calculateUsage(
    ['pods', 'count/pods', 'requests.cpu', 'memory', 'secrets', 'limits.cpu'],
    [],
    (resource) => (resource === 'pods' ? pods : []),
    now,
  );
  assert.deepEqual(resourceListJson(used), {
    'count/pods': '3',
    'limits.cpu': '0',
    memory: '256Mi',
    pods: '2',
    'requests.cpu': '1500m',
    secrets: '0',
  });
});

test('init containers count while they run; sidecars add to the app containers', () => {
  const p: KubeObject = {
    ...pod('p'),
    spec: {
      containers: [{ name: 'app', image: 'x', resources: { requests: { cpu: '1' } } }],
      initContainers: [
        { name: 'setup', image: 'x', resources: { requests: { cpu: '3' } } },
        { name: 'proxy', image: 'x', restartPolicy: 'Always', resources: { requests: { cpu: '500m' } } },
      ],
    },
  };
  const used = calculateUsage(['requests.cpu'], [], () => [p], now);
  assert.deepEqual(resourceListJson(used), { 'requests.cpu': '3' });
});
