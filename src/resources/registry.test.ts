import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRegistry } from './registry.js';
import { resolveSchema } from './schemas.js';
import type { ArraySchema, ObjectSchema } from './schema.js';

const registry = createRegistry();

test('lookups by path, store key, kind and user-typed names', () => {
  const deploy = registry.get('apps', 'v1', 'deployments');
  assert.equal(deploy?.kind, 'Deployment');
  assert.equal(deploy?.listKind, 'DeploymentList');
  assert.equal(deploy?.storageResource, 'deployments.apps');
  assert.equal(registry.byStorageResource('pods')?.kind, 'Pod');
  assert.equal(registry.byStorageResource('leases.coordination.k8s.io')?.kind, 'Lease');
  assert.equal(registry.byKind('v1', 'Service')?.plural, 'services');
  assert.equal(registry.byKind('storage.stratus.dev/v1', 'Bucket')?.namespaced, false);
  assert.equal(registry.byKind('apps/v1', 'Pod'), undefined);
  const names: Record<string, string> = {
    ns: 'Namespace',
    po: 'Pod',
    pod: 'Pod',
    Pods: 'Pod',
    svc: 'Service',
    cm: 'ConfigMap',
    ep: 'Endpoints',
    endpoints: 'Endpoints',
    no: 'Node',
    ev: 'Event',
    deploy: 'Deployment',
    rs: 'ReplicaSet',
    ds: 'DaemonSet',
    cj: 'CronJob',
    job: 'Job',
    'deployments.apps': 'Deployment',
    'deploy.apps': 'Deployment',
    'jobs.v1.batch': 'Job',
    lease: 'Lease',
    runtimeclass: 'RuntimeClass',
    bucket: 'Bucket',
    Secret: 'Secret',
    sa: 'ServiceAccount',
  };
  for (const [name, kind] of Object.entries(names)) assert.equal(registry.resolve(name)?.kind, kind, name);
  assert.equal(registry.resolve('nonsense'), undefined);
  assert.equal(registry.resolve('deployments.batch'), undefined);
});

test('scope, categories, short names and subresources as Kubernetes', () => {
  const byPlural = (p: string) => registry.all().find((t) => t.plural === p)!;
  assert.deepEqual(
    registry
      .inCategory('all')
      .map((t) => t.plural)
      .sort(),
    [
      'cronjobs',
      'daemonsets',
      'deployments',
      'horizontalpodautoscalers',
      'jobs',
      'pods',
      'replicasets',
      'services',
    ],
  );
  assert.deepEqual(byPlural('pods').subresources, [
    'status',
    'log',
    'binding',
    'eviction',
    'exec',
    'attach',
    'portforward',
  ]);
  assert.deepEqual(byPlural('deployments').subresources, ['status', 'scale']);
  assert.deepEqual(byPlural('replicasets').subresources, ['status', 'scale']);
  assert.deepEqual(byPlural('serviceaccounts').subresources, ['token']);
  for (const p of ['daemonsets', 'jobs', 'cronjobs', 'nodes', 'namespaces', 'services']) {
    assert.deepEqual(byPlural(p).subresources, ['status'], p);
  }
  const cluster = registry
    .all()
    .filter((t) => !t.namespaced)
    .map((t) => t.plural)
    .sort();
  assert.deepEqual(cluster, [
    'accesskeys',
    'buckets',
    'clusterrolebindings',
    'clusterroles',
    'ingressclasses',
    'namespaces',
    'nodecredentialrequests',
    'nodes',
    'pricesheets',
    'runtimeclasses',
    'selfsubjectaccessreviews',
    'selfsubjectreviews',
    'selfsubjectrulesreviews',
    'subjectaccessreviews',
  ]);
  assert.deepEqual(byPlural('deployments').scale, {
    specReplicasPath: '.spec.replicas',
    statusReplicasPath: '.status.replicas',
    labelSelectorPath: '.spec.selector',
  });
  assert.ok(byPlural('pods').verbs.includes('watch'));
  assert.deepEqual(registry.groups(), [
    { group: '', versions: ['v1'] },
    { group: 'apps', versions: ['v1'] },
    { group: 'batch', versions: ['v1'] },
    { group: 'autoscaling', versions: ['v2', 'v1'] },
    { group: 'coordination.k8s.io', versions: ['v1'] },
    { group: 'node.k8s.io', versions: ['v1'] },
    { group: 'discovery.k8s.io', versions: ['v1'] },
    { group: 'networking.k8s.io', versions: ['v1'] },
    { group: 'storage.stratus.dev', versions: ['v1'] },
    { group: 'billing.stratus.dev', versions: ['v1'] },
    { group: 'iam.stratus.dev', versions: ['v1'] },
    { group: 'rbac.authorization.k8s.io', versions: ['v1'] },
    { group: 'authentication.k8s.io', versions: ['v1'] },
    { group: 'authorization.k8s.io', versions: ['v1'] },
  ]);
});

test('every schema reference resolves and the Scale schema is present', () => {
  const doc = registry.schemas;
  for (const [name, def] of Object.entries(doc.definitions)) {
    const walk = (n: unknown): void => {
      const node = n as {
        type: string;
        ref?: string;
        items?: unknown;
        values?: unknown;
        properties?: Record<string, unknown>;
      };
      if (node.type === 'ref') assert.ok(doc.definitions[node.ref!], `${name} → ${node.ref}`);
      if (node.items) walk(node.items);
      if (node.values) walk(node.values);
      for (const p of Object.values(node.properties ?? {})) walk(p);
    };
    walk(def);
  }
  const scale = resolveSchema(doc, registry.scaleSchema) as ObjectSchema;
  assert.deepEqual(Object.keys(scale.properties).sort(), [
    'apiVersion',
    'kind',
    'metadata',
    'spec',
    'status',
  ]);
});

test('list metadata for strategic merge patch and server-side apply', () => {
  const list = (def: string, prop: string): ArraySchema => {
    const s = registry.schemas.definitions[def] as ObjectSchema;
    return s.properties[prop] as ArraySchema;
  };
  const core = 'io.k8s.api.core.v1';
  const pick = (a: ArraySchema) => ({
    mergeKey: a.mergeKey,
    patchStrategy: a.patchStrategy,
    listType: a.listType,
    listMapKeys: a.listMapKeys,
  });
  assert.deepEqual(pick(list(`${core}.PodSpec`, 'containers')), {
    mergeKey: 'name',
    patchStrategy: 'merge',
    listType: 'map',
    listMapKeys: ['name'],
  });
  assert.deepEqual(pick(list(`${core}.PodSpec`, 'volumes')), {
    mergeKey: 'name',
    patchStrategy: 'merge,retainKeys',
    listType: 'map',
    listMapKeys: ['name'],
  });
  assert.deepEqual(pick(list(`${core}.Container`, 'ports')), {
    mergeKey: 'containerPort',
    patchStrategy: 'merge',
    listType: 'map',
    listMapKeys: ['containerPort', 'protocol'],
  });
  assert.deepEqual(pick(list(`${core}.ServiceSpec`, 'ports')), {
    mergeKey: 'port',
    patchStrategy: 'merge',
    listType: 'map',
    listMapKeys: ['port', 'protocol'],
  });
  assert.equal(list(`${core}.Container`, 'env').mergeKey, 'name');
  assert.equal(list(`${core}.Container`, 'volumeMounts').mergeKey, 'mountPath');
  assert.deepEqual(pick(list(`${core}.Container`, 'envFrom')), {
    mergeKey: undefined,
    patchStrategy: undefined,
    listType: 'atomic',
    listMapKeys: undefined,
  });
  assert.equal(list(`${core}.PodSpec`, 'tolerations').listType, 'atomic');
  assert.equal(list(`${core}.PodSpec`, 'hostAliases').mergeKey, 'ip');
  assert.deepEqual(list(`${core}.PodSpec`, 'topologySpreadConstraints').listMapKeys, [
    'topologyKey',
    'whenUnsatisfiable',
  ]);
  assert.equal(list(`${core}.PodSpec`, 'imagePullSecrets').mergeKey, 'name');
  const meta = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';
  assert.deepEqual(pick(list(meta, 'finalizers')), {
    mergeKey: undefined,
    patchStrategy: 'merge',
    listType: 'set',
    listMapKeys: undefined,
  });
  assert.equal(list(meta, 'ownerReferences').mergeKey, 'uid');
  for (const def of [
    `${core}.PodStatus`,
    'io.k8s.api.apps.v1.DeploymentStatus',
    'io.k8s.api.apps.v1.ReplicaSetStatus',
    'io.k8s.api.apps.v1.DaemonSetStatus',
    'io.k8s.api.batch.v1.JobStatus',
    `${core}.NodeStatus`,
  ]) {
    assert.equal(list(def, 'conditions').mergeKey, 'type', def);
  }
  assert.equal(list(`${core}.NodeStatus`, 'addresses').mergeKey, 'type');
  assert.equal(list(`${core}.EndpointSubset`, 'addresses').listType, 'atomic');
  assert.equal(list(`${core}.EndpointSubset`, 'ports').listType, 'atomic');
});

test('other parts can register their own kinds and schemas', () => {
  const r = createRegistry({
    definitions: {
      'dev.stratus.functions.v1.Function': {
        type: 'object',
        properties: {
          metadata: { type: 'ref', ref: 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' },
          apiVersion: { type: 'string' },
          kind: { type: 'string' },
        },
      },
    },
    kinds: [
      {
        group: 'functions.stratus.dev',
        version: 'v1',
        kind: 'Function',
        plural: 'functions',
        namespaced: true,
        schemaRef: 'dev.stratus.functions.v1.Function',
        columns: [],
        cells: () => [],
      },
    ],
  });
  assert.equal(r.resolve('functions.functions.stratus.dev')?.kind, 'Function');
  assert.equal(createRegistry().resolve('function'), undefined, 'the default registry is unchanged');
});
