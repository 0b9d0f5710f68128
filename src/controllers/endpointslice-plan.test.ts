import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod, Service } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../common/kube-object.js';
import {
  desiredEndpoints,
  planSlices as planFor,
  serviceOwner,
  type Slice,
  type SlicePlan,
} from './endpointslice-plan.js';

type Svc = Service & KubeObject;

/** planSlices for a Service, as the endpointslice controller calls it. */
const planSlices = (
  svc: Svc,
  existing: readonly Slice[],
  groups: Parameters<typeof planFor>[2],
  max?: number,
): SlicePlan => planFor(serviceOwner(svc), existing, groups, max);

const service = (extra: Partial<Service['spec']> = {}): Svc => ({
  metadata: { name: 'web', namespace: 'default', uid: 'svc-1', labels: { team: 'a' } },
  spec: {
    clusterIP: '127.77.0.5',
    selector: { app: 'web' },
    ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }],
    ...extra,
  },
});

function pod(i: number, o: { hostPort?: number; ready?: boolean; terminating?: boolean } = {}): Pod {
  return {
    metadata: {
      name: `p${i}`,
      namespace: 'default',
      uid: `u${i}`,
      ...(o.hostPort !== undefined
        ? { annotations: { 'stratus.dev/host-ports': JSON.stringify({ 'c/http': o.hostPort }) } }
        : {}),
      ...(o.terminating ? { deletionTimestamp: '2024-01-01T00:00:00Z' } : {}),
    },
    spec: { nodeName: 'n1', containers: [{ name: 'c', ports: [{ name: 'http', containerPort: 8080 }] }] },
    status: {
      phase: 'Running',
      hostIP: '127.0.0.1',
      podIP: `10.1.${i >> 8}.${i & 255}`,
      conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }],
    },
  };
}

const zone = (): string => 'zone-a';

/** Applies a plan the way the API would (names for new slices, resourceVersions), for the next pass. */
function apply(existing: Slice[], plan: SlicePlan): Slice[] {
  const gone = new Set(plan.delete.map((s) => s.metadata.name));
  const updated = new Map(plan.update.map((s) => [s.metadata.name, s]));
  let n = existing.length;
  return [
    ...existing.filter((s) => !gone.has(s.metadata.name)).map((s) => updated.get(s.metadata.name) ?? s),
    ...plan.create.map((s) => ({ ...s, metadata: { ...s.metadata, name: `web-${n++}` } })),
  ];
}

test('250 pods fill slices of at most 100; a second pass writes nothing; one change rewrites one slice', () => {
  const svc = service();
  const pods = Array.from({ length: 250 }, (_, i) => pod(i));
  let plan = planSlices(svc, [], desiredEndpoints(svc, pods, zone));
  assert.deepEqual(
    plan.create.map((s) => s.endpoints?.length),
    [100, 100, 50],
  );
  const first = plan.create[0]!;
  assert.equal(first.metadata.generateName, 'web-');
  assert.deepEqual(first.metadata.labels, {
    team: 'a',
    'kubernetes.io/service-name': 'web',
    'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
  });
  assert.deepEqual(first.metadata.ownerReferences?.[0], {
    apiVersion: 'v1',
    kind: 'Service',
    name: 'web',
    uid: 'svc-1',
    controller: true,
    blockOwnerDeletion: true,
  });
  assert.deepEqual(first.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
  assert.deepEqual(first.endpoints?.[0], {
    addresses: ['10.1.0.0'],
    conditions: { ready: true, serving: true, terminating: false },
    targetRef: { kind: 'Pod', namespace: 'default', name: 'p0', uid: 'u0' },
    nodeName: 'n1',
    zone: 'zone-a',
  });
  let slices = apply([], plan);
  plan = planSlices(svc, slices, desiredEndpoints(svc, pods, zone));
  assert.deepEqual(plan, { create: [], update: [], delete: [] });

  // p7 terminates: it stays, as terminating and not ready, in the one slice that holds it.
  const changed = pods.map((p, i) => (i === 7 ? pod(7, { terminating: true }) : p));
  plan = planSlices(svc, slices, desiredEndpoints(svc, changed, zone));
  assert.equal(plan.update.length, 1);
  assert.equal(plan.create.length + plan.delete.length, 0);
  const e7 = plan.update[0]?.endpoints?.find((e) => e.targetRef?.name === 'p7');
  assert.deepEqual(e7?.conditions, { ready: false, serving: true, terminating: true });
  slices = apply(slices, plan);

  // Scaling down to 20 of the first slice's pods empties the two others: they go, and the
  // first one is rewritten in place.
  const kept = new Set((slices[0]?.endpoints ?? []).slice(0, 20).map((e) => e.targetRef?.name));
  plan = planSlices(
    svc,
    slices,
    desiredEndpoints(
      svc,
      changed.filter((p) => kept.has(p.metadata?.name)),
      zone,
    ),
  );
  assert.equal(plan.delete.length, 2);
  assert.equal(plan.create.length, 0);
  assert.deepEqual(
    plan.update.map((s) => [s.metadata.name, s.endpoints?.length]),
    [[slices[0]?.metadata.name, 20]],
  );
});

test('pods whose ports resolve differently (host ports) get slices of their own port sets', () => {
  const svc = service();
  const groups = desiredEndpoints(
    svc,
    [pod(1, { hostPort: 40001 }), pod(2, { hostPort: 40002 }), pod(3)],
    zone,
  );
  const plan = planSlices(svc, [], groups);
  const shape = plan.create.map(
    (s) => `${s.ports?.[0]?.port}:${(s.endpoints ?? []).map((e) => e.addresses.join()).join()}`,
  );
  assert.deepEqual(shape.sort(), ['40001:127.0.0.1', '40002:127.0.0.1', '8080:10.1.0.3']);
});

test('no endpoints: one empty placeholder slice, kept as is; publishNotReadyAddresses makes all ready', () => {
  const svc = service();
  let plan = planSlices(svc, [], desiredEndpoints(svc, [], zone));
  assert.equal(plan.create.length, 1);
  assert.deepEqual(plan.create[0]?.endpoints, []);
  assert.deepEqual(plan.create[0]?.ports, []);
  const slices = apply([], plan);
  plan = planSlices(svc, slices, desiredEndpoints(svc, [], zone));
  assert.deepEqual(plan, { create: [], update: [], delete: [] });

  // The placeholder is reused (updated) for the first endpoints rather than deleted and recreated.
  const published = service({ publishNotReadyAddresses: true });
  plan = planSlices(published, slices, desiredEndpoints(published, [pod(1, { ready: false })], zone));
  assert.equal(plan.create.length + plan.delete.length, 0);
  assert.equal(plan.update[0]?.metadata.name, slices[0]?.metadata.name);
  assert.deepEqual(plan.update[0]?.endpoints?.[0]?.conditions, {
    ready: true,
    serving: false,
    terminating: false,
  });
});

test('slices of an older Service of the same name are replaced', () => {
  const svc = service();
  const old = apply(
    [],
    planSlices(
      { ...svc, metadata: { ...svc.metadata, uid: 'svc-0' } },
      [],
      desiredEndpoints(svc, [pod(1)], zone),
    ),
  );
  const plan = planSlices(svc, old, desiredEndpoints(svc, [pod(1)], zone));
  assert.equal(plan.delete.length, 1);
  assert.equal(plan.create.length, 1);
  assert.equal(plan.create[0]?.metadata.ownerReferences?.[0]?.uid, 'svc-1');
});
