import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../common/kube-object.js';
import { createRegistry } from './registry.js';

const registry = createRegistry();
const now = Date.parse('2026-01-01T12:00:00Z');
const created = '2026-01-01T11:55:00Z'; // 5m before now
const meta = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  namespace: 'default',
  creationTimestamp: created,
  ...extra,
});
const headers = (plural: string, wide = false): string[] =>
  registry
    .resolve(plural)!
    .columns.filter((c) => wide || c.priority === 0)
    .map((c) => c.name.toUpperCase());
const row = (o: KubeObject): unknown[] => registry.byKind(o.apiVersion ?? '', o.kind ?? '')!.cells(o, now);

test('every kind has the kubectl columns; cells line up with columns', () => {
  const want: Record<string, string> = {
    pods: 'NAME READY STATUS RESTARTS AGE | IP NODE NOMINATED NODE READINESS GATES',
    deployments: 'NAME READY UP-TO-DATE AVAILABLE AGE | CONTAINERS IMAGES SELECTOR',
    replicasets: 'NAME DESIRED CURRENT READY AGE | CONTAINERS IMAGES SELECTOR',
    daemonsets:
      'NAME DESIRED CURRENT READY UP-TO-DATE AVAILABLE NODE SELECTOR AGE | CONTAINERS IMAGES SELECTOR',
    services: 'NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE | SELECTOR',
    configmaps: 'NAME DATA AGE',
    secrets: 'NAME TYPE DATA AGE',
    serviceaccounts: 'NAME SECRETS AGE',
    resourcequotas: 'NAME AGE REQUEST LIMIT',
    limitranges: 'NAME CREATED AT',
    namespaces: 'NAME STATUS AGE',
    nodes:
      'NAME STATUS ROLES AGE VERSION | INTERNAL-IP EXTERNAL-IP OS-IMAGE KERNEL-VERSION CONTAINER-RUNTIME',
    events: 'LAST SEEN TYPE REASON OBJECT MESSAGE | SUBOBJECT SOURCE FIRST SEEN COUNT NAME',
    jobs: 'NAME STATUS COMPLETIONS DURATION AGE | CONTAINERS IMAGES SELECTOR',
    cronjobs: 'NAME SCHEDULE TIMEZONE SUSPEND ACTIVE LAST SCHEDULE AGE | CONTAINERS IMAGES SELECTOR',
    endpoints: 'NAME ENDPOINTS AGE',
    endpointslices: 'NAME ADDRESSTYPE PORTS ENDPOINTS AGE',
    ingresses: 'NAME CLASS HOSTS ADDRESS PORTS AGE',
    ingressclasses: 'NAME CONTROLLER PARAMETERS AGE',
    leases: 'NAME HOLDER AGE',
    horizontalpodautoscalers: 'NAME REFERENCE TARGETS MINPODS MAXPODS REPLICAS AGE',
    runtimeclasses: 'NAME HANDLER AGE',
    pricesheets: 'NAME CURRENCY VCPU-HOUR GIB-HOUR GIB-MONTH AGE',
    buckets: 'NAME OWNER OBJECTS BYTES VERSIONING AGE',
    accesskeys: 'NAME USER AGE',
    nodecredentialrequests: 'NAME NODE',
    roles: 'NAME CREATED AT',
    clusterroles: 'NAME CREATED AT',
    rolebindings: 'NAME ROLE AGE | USERS GROUPS SERVICEACCOUNTS',
    clusterrolebindings: 'NAME ROLE AGE | USERS GROUPS SERVICEACCOUNTS',
    selfsubjectreviews: 'NAME ALLOWED',
    selfsubjectaccessreviews: 'NAME ALLOWED',
    localsubjectaccessreviews: 'NAME ALLOWED',
    subjectaccessreviews: 'NAME ALLOWED',
    selfsubjectrulesreviews: 'NAME ALLOWED',
  };
  for (const t of registry.all()) {
    const normal = t.columns.filter((c) => c.priority === 0).map((c) => c.name.toUpperCase());
    const wide = t.columns.filter((c) => c.priority === 1).map((c) => c.name.toUpperCase());
    const got = wide.length ? `${normal.join(' ')} | ${wide.join(' ')}` : normal.join(' ');
    assert.equal(got, want[t.plural], t.plural);
    assert.equal(t.columns.filter((c) => c.format === 'name').length, 1, `${t.plural} has one name column`);
    if (t.plural !== 'events')
      assert.deepEqual(t.columns[0], { ...t.columns[0], name: 'Name', format: 'name' });
    const cells = t.cells({ apiVersion: 'x', kind: t.kind, metadata: meta('x') }, now);
    assert.equal(cells.length, t.columns.length, `${t.plural} cells`);
  }
  assert.deepEqual(headers('po'), ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
  assert.equal(headers('po', true).length, 9);
});

test('workload rows', () => {
  const template = {
    metadata: { labels: { app: 'web' } },
    spec: {
      containers: [
        { name: 'web', image: 'nginx:1.27' },
        { name: 'side', image: 'envoy' },
      ],
    },
  };
  const selector = {
    matchLabels: { app: 'web' },
    matchExpressions: [{ key: 'tier', operator: 'In', values: ['b', 'a'] }],
  };
  assert.deepEqual(
    row({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta('web'),
      spec: { replicas: 3, selector, template },
      status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 },
    }),
    ['web', '2/3', 3, 2, '5m', 'web,side', 'nginx:1.27,envoy', 'app=web,tier in (a,b)'],
  );
  assert.deepEqual(
    row({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: meta('web-abc'),
      spec: { replicas: 3, selector, template },
      status: { replicas: 3, readyReplicas: 1 },
    }).slice(0, 5),
    ['web-abc', 3, 3, 1, '5m'],
  );
  const dsTemplate = {
    ...template,
    spec: { ...template.spec, nodeSelector: { 'kubernetes.io/os': 'linux' } },
  };
  assert.deepEqual(
    row({
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: meta('agent'),
      spec: { selector, template: dsTemplate },
      status: {
        desiredNumberScheduled: 2,
        currentNumberScheduled: 2,
        numberReady: 1,
        updatedNumberScheduled: 2,
        numberAvailable: 1,
        numberMisscheduled: 0,
      },
    }).slice(0, 8),
    ['agent', 2, 2, 1, 2, 1, 'kubernetes.io/os=linux', '5m'],
  );
  const job = (spec: Record<string, unknown>, status: Record<string, unknown>) =>
    row({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: meta('pi'),
      spec: { template, ...spec },
      status,
    }).slice(0, 5);
  assert.deepEqual(
    job(
      { completions: 1 },
      {
        succeeded: 1,
        startTime: '2026-01-01T11:56:00Z',
        completionTime: '2026-01-01T11:56:42Z',
        conditions: [{ type: 'Complete', status: 'True' }],
      },
    ),
    ['pi', 'Complete', '1/1', '42s', '5m'],
  );
  assert.deepEqual(job({ parallelism: 3 }, { startTime: '2026-01-01T11:59:00Z' }), [
    'pi',
    'Running',
    '0/1 of 3',
    '60s',
    '5m',
  ]);
  assert.deepEqual(job({ completions: 2 }, { conditions: [{ type: 'Failed', status: 'True' }] }), [
    'pi',
    'Failed',
    '0/2',
    '',
    '5m',
  ]);
  assert.deepEqual(
    row({
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: meta('hello'),
      spec: { schedule: '*/5 * * * *', suspend: false, jobTemplate: { spec: { template } } },
      status: { active: [{ name: 'hello-1' }], lastScheduleTime: '2026-01-01T11:59:30Z' },
    }).slice(0, 7),
    ['hello', '*/5 * * * *', '<none>', 'False', 1, '30s', '5m'],
  );
});

test('service, endpoints, config, secret, namespace, lease, runtimeclass, bucket rows', () => {
  assert.deepEqual(
    row({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta('web'),
      spec: {
        type: 'NodePort',
        clusterIP: '10.96.0.10',
        selector: { app: 'web' },
        ports: [
          { port: 80, protocol: 'TCP', nodePort: 30080 },
          { port: 53, protocol: 'UDP' },
        ],
      },
    }),
    ['web', 'NodePort', '10.96.0.10', '<none>', '80:30080/TCP,53/UDP', '5m', 'app=web'],
  );
  assert.deepEqual(
    row({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta('lb'),
      spec: { type: 'LoadBalancer', clusterIP: '10.96.0.11', ports: [{ port: 443 }] },
    }).slice(1, 5),
    ['LoadBalancer', '10.96.0.11', '<pending>', '443/TCP'],
  );
  assert.deepEqual(
    row({
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: meta('web'),
      subsets: [
        {
          addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }, { ip: '10.0.0.3' }, { ip: '10.0.0.4' }],
          ports: [{ port: 8080 }],
        },
      ],
    }),
    ['web', '10.0.0.1:8080,10.0.0.2:8080,10.0.0.3:8080 + 1 more...', '5m'],
  );
  assert.deepEqual(row({ apiVersion: 'v1', kind: 'Endpoints', metadata: meta('none') })[1], '<none>');
  assert.deepEqual(
    row({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: meta('c'),
      data: { a: '1', b: '2' },
      binaryData: { c: 'AA==' },
    }),
    ['c', 3, '5m'],
  );
  assert.deepEqual(
    row({ apiVersion: 'v1', kind: 'Secret', metadata: meta('s'), type: 'Opaque', data: { a: 'YQ==' } }),
    ['s', 'Opaque', 1, '5m'],
  );
  assert.deepEqual(
    row({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'team', creationTimestamp: '2025-12-30T09:00:00Z' },
      status: { phase: 'Active' },
    }),
    ['team', 'Active', '2d3h'],
  );
  assert.deepEqual(
    row({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: meta('ctrl'),
      spec: { holderIdentity: 'server-1' },
    }),
    ['ctrl', 'server-1', '5m'],
  );
  assert.deepEqual(
    row({
      apiVersion: 'node.k8s.io/v1',
      kind: 'RuntimeClass',
      metadata: { name: 'vm', creationTimestamp: created },
      handler: 'vm',
    }),
    ['vm', 'vm', '5m'],
  );
  assert.deepEqual(
    row({
      apiVersion: 'storage.stratus.dev/v1',
      kind: 'Bucket',
      metadata: { name: 'photos', creationTimestamp: created },
      spec: { owner: 'alice' },
      status: { objects: 12, bytes: 4096 },
    }),
    ['photos', 'alice', 12, 4096, 'Off', '5m'],
  );
});

test('HorizontalPodAutoscaler rows show TARGETS as kubectl: current/target per metric, <unknown> before a reading', () => {
  const hpa = (status?: unknown, metrics?: unknown[]): KubeObject => ({
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: meta('web'),
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
      minReplicas: 1,
      maxReplicas: 5,
      metrics: metrics ?? [
        {
          type: 'Resource',
          resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } },
        },
      ],
    },
    ...(status ? { status } : {}),
  });
  assert.deepEqual(row(hpa()), ['web', 'Deployment/web', 'cpu: <unknown>/50%', '1', 5, 0, '5m']);
  const reading = {
    currentReplicas: 2,
    desiredReplicas: 2,
    currentMetrics: [
      {
        type: 'Resource',
        resource: { name: 'cpu', current: { averageUtilization: 12, averageValue: '12m' } },
      },
    ],
  };
  assert.equal(row(hpa(reading))[2], 'cpu: 12%/50%');
  assert.equal(row(hpa(reading))[5], 2);
  const memory = {
    type: 'Resource',
    resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '100Mi' } },
  };
  const three = [memory, memory, memory];
  assert.equal(row(hpa(undefined, three))[2], 'memory: <unknown>/100Mi, memory: <unknown>/100Mi + 1 more...');
});
