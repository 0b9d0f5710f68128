/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-argument -- tests read JSON replies by path */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCluster, type TestCluster } from './testing.js';

// Pod Security admission as Kubernetes': namespaces pick levels with labels, baseline is the
// default, and what would own the host is refused with Kubernetes' messages.

let c: TestCluster;

const rooted = (name: string, extra: Record<string, unknown> = {}): unknown => ({
  metadata: { name },
  spec: {
    volumes: [{ name: 'root', hostPath: { path: '/' } }],
    containers: [
      {
        name: 'c',
        image: 'x',
        command: ['sleep', '1'],
        volumeMounts: [{ name: 'root', mountPath: '/host' }],
      },
    ],
    ...extra,
  },
});

async function namespace(name: string, labels: Record<string, string>): Promise<number> {
  return (await c.call('POST', '/api/v1/namespaces', { body: { metadata: { name, labels } } })).status;
}

before(async () => {
  c = await startTestCluster();
  assert.equal(await namespace('priv', { 'pod-security.kubernetes.io/enforce': 'privileged' }), 201);
  assert.equal(
    await namespace('warned', {
      'pod-security.kubernetes.io/enforce': 'privileged',
      'pod-security.kubernetes.io/warn': 'baseline',
    }),
    201,
  );
  assert.equal(await namespace('strict', { 'pod-security.kubernetes.io/enforce': 'restricted' }), 201);
});
after(() => c.close());

const create = (ns: string, body: unknown) => c.call('POST', `/api/v1/namespaces/${ns}/pods`, { body });
const accountReady = async (ns: string): Promise<void> => {
  const { eventually } = await import('./testing.js');
  assert.ok(
    await eventually(
      async () => (await c.call('GET', `/api/v1/namespaces/${ns}/serviceaccounts/default`)).status === 200,
    ),
  );
};

test('namespaces without labels are baseline: hostPath and uid 0 are refused and nothing is stored', async () => {
  const r = await create('default', rooted('rooted'));
  assert.equal(r.status, 403);
  assert.deepEqual(r.body, {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message:
      'pods "rooted" is forbidden: violates PodSecurity "baseline:latest": hostPath volumes (volume "root")',
    reason: 'Forbidden',
    details: { name: 'rooted', group: '', kind: 'pods' },
    code: 403,
  });
  assert.equal((await c.call('GET', '/api/v1/namespaces/default/pods/rooted')).status, 404);
  const root = await create('default', {
    metadata: { name: 'root' },
    spec: { securityContext: { runAsUser: 0 }, containers: [{ name: 'c', image: 'x' }] },
  });
  assert.equal(
    root.body.message,
    'pods "root" is forbidden: violates PodSecurity "baseline:latest": runAsUser=0 (pod must not set runAsUser=0)',
  );
});

test('privileged namespaces (kube-system by default) allow it; warn only warns', async () => {
  await accountReady('priv');
  assert.equal((await create('priv', rooted('allowed'))).status, 201);
  assert.equal((await create('kube-system', rooted('system'))).status, 201);
  await accountReady('warned');
  const warned = await create('warned', rooted('warned'));
  assert.equal(warned.status, 201);
  assert.equal(
    warned.headers.get('warning'),
    '299 - "would violate PodSecurity \\"baseline:latest\\": hostPath volumes (volume \\"root\\")"',
  );
});

test('restricted wants a hardened pod', async () => {
  await accountReady('strict');
  const plain = await create('strict', {
    metadata: { name: 'plain' },
    spec: { containers: [{ name: 'c', image: 'x' }] },
  });
  assert.equal(plain.status, 403);
  assert.match(
    plain.body.message,
    /^pods "plain" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false/,
  );
  const hardened = await create('strict', {
    metadata: { name: 'hardened' },
    spec: {
      securityContext: { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [
        {
          name: 'c',
          image: 'x',
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
        },
      ],
    },
  });
  assert.equal(hardened.status, 201, JSON.stringify(hardened.body));
});

test('workloads get warnings; invalid labels are refused; tightening warns about pods in place', async () => {
  const deploy = await c.call('POST', '/apis/apps/v1/namespaces/default/deployments', {
    body: {
      metadata: { name: 'web' },
      spec: {
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: (rooted('x') as { spec: unknown }).spec },
      },
    },
  });
  assert.equal(deploy.status, 201);
  assert.match(
    deploy.headers.get('warning') ?? '',
    /would violate PodSecurity \\"baseline:latest\\": hostPath volumes \(volume \\"root\\"\)/,
  );
  const bad = await c.call('POST', '/api/v1/namespaces', {
    body: { metadata: { name: 'bad', labels: { 'pod-security.kubernetes.io/enforce': 'lax' } } },
  });
  assert.equal(bad.status, 422);
  assert.equal(
    bad.body.message,
    'metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "lax": must be one of privileged, baseline, restricted',
  );
  assert.equal((await c.call('GET', '/api/v1/namespaces/bad')).status, 404);
  const tightened = await c.call('PATCH', '/api/v1/namespaces/priv', {
    contentType: 'application/merge-patch+json',
    body: { metadata: { labels: { 'pod-security.kubernetes.io/enforce': 'baseline' } } },
  });
  assert.equal(tightened.status, 200);
  assert.equal(
    tightened.headers.get('warning'),
    '299 - "existing pods in namespace \\"priv\\" violate the new PodSecurity enforce level \\"baseline:latest\\"", 299 - "allowed: hostPath volumes"',
  );
});
