import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import {
  deploymentStatus,
  fenceposts,
  intOrPercent,
  newReplicaSetReplicas,
  oldReplicaSetsReplicas,
} from './deployment-rollout.js';

function deployment(
  replicas: number,
  maxSurge: number | string,
  maxUnavailable: number | string,
): Deployment {
  return {
    metadata: { name: 'web', generation: 2 },
    spec: {
      replicas,
      selector: {},
      template: {},
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge, maxUnavailable } },
    },
  };
}

function rs(name: string, replicas: number, availableReplicas: number, created: string): ReplicaSet {
  return {
    metadata: { name, creationTimestamp: created },
    spec: { replicas, selector: {} },
    status: { replicas, availableReplicas, readyReplicas: availableReplicas },
  };
}

test('percentages round up for surge and down for unavailability', () => {
  assert.equal(intOrPercent('25%', 10, true), 3);
  assert.equal(intOrPercent('25%', 10, false), 2);
  assert.deepEqual(fenceposts(deployment(3, '25%', '25%')), { maxSurge: 1, maxUnavailable: 0 });
  assert.deepEqual(fenceposts(deployment(3, 0, 0)), { maxSurge: 0, maxUnavailable: 1 });
});

test('a simulated rolling update never drops below replicas - maxUnavailable and converges', () => {
  for (const [surge, unavailable] of [
    [1, 0],
    [0, 1],
    ['25%', '25%'],
    [2, 2],
  ] as const) {
    const d = deployment(5, surge, unavailable);
    const floor = 5 - fenceposts(d).maxUnavailable;
    let newRS = rs('new', 0, 0, '2026-01-02T00:00:00Z');
    let oldRS = rs('old', 5, 5, '2026-01-01T00:00:00Z');
    for (let step = 0; step < 50; step++) {
      const grown = newReplicaSetReplicas(d, newRS, [newRS, oldRS]);
      // Pods of the new set become available at once in this simulation, one step later.
      newRS = rs('new', grown, newRS.spec?.replicas ?? 0, '2026-01-02T00:00:00Z');
      const shrunk = oldReplicaSetsReplicas(d, newRS, [oldRS]).get('old') ?? 0;
      oldRS = rs(
        'old',
        shrunk,
        Math.min(shrunk, oldRS.status?.availableReplicas ?? 0),
        '2026-01-01T00:00:00Z',
      );
      const availableNow = (newRS.status?.availableReplicas ?? 0) + (oldRS.status?.availableReplicas ?? 0);
      assert.ok(availableNow >= floor, `available ${availableNow} < ${floor} with surge ${surge}`);
      const total = (newRS.spec?.replicas ?? 0) + (oldRS.spec?.replicas ?? 0);
      assert.ok(total <= 5 + fenceposts(d).maxSurge, `total ${total} over surge`);
      newRS = rs('new', newRS.spec?.replicas ?? 0, newRS.spec?.replicas ?? 0, '2026-01-02T00:00:00Z');
    }
    assert.equal(newRS.spec?.replicas, 5);
    assert.equal(oldRS.spec?.replicas, 0);
  }
});

test('unhealthy old pods are removed first', () => {
  const d = deployment(4, 0, 1);
  const newRS = rs('new', 0, 0, '2026-01-02T00:00:00Z');
  const old = rs('old', 4, 2, '2026-01-01T00:00:00Z');
  // Budget: 4 pods - floor 3 = 1, spent on an unavailable pod; available ones stay (2 < floor).
  assert.equal(oldReplicaSetsReplicas(d, newRS, [old]).get('old'), 3);
  const roomy = deployment(4, 0, 3);
  assert.equal(oldReplicaSetsReplicas(roomy, newRS, [old]).get('old'), 1);
});

test('status reports counts and the Available and Progressing conditions', () => {
  const d = deployment(3, 1, 0);
  const newRS = rs('web-abc', 3, 3, '2026-01-02T00:00:00Z');
  const status = deploymentStatus(d, newRS, [newRS], { now: Date.UTC(2026, 0, 3) });
  assert.equal(status.observedGeneration, 2);
  assert.equal(status.availableReplicas, 3);
  assert.equal(status.updatedReplicas, 3);
  assert.deepEqual(
    status.conditions?.map((c) => [c.type, c.status, c.reason]),
    [
      ['Available', 'True', 'MinimumReplicasAvailable'],
      ['Progressing', 'True', 'NewReplicaSetAvailable'],
    ],
  );
});

test('a rollout without progress past its deadline is reported', () => {
  const d = deployment(3, 1, 0);
  d.spec!.progressDeadlineSeconds = 60;
  const newRS = rs('web-new', 1, 0, '2026-01-02T00:00:00Z');
  const old = rs('web-old', 3, 3, '2026-01-01T00:00:00Z');
  const t0 = Date.UTC(2026, 0, 3);
  d.status = deploymentStatus(d, newRS, [newRS, old], { now: t0 });
  assert.equal(d.status.conditions?.[1]?.reason, 'ReplicaSetUpdated');
  const later = deploymentStatus(d, newRS, [newRS, old], { now: t0 + 61_000 });
  assert.equal(later.conditions?.[1]?.reason, 'ProgressDeadlineExceeded');
  assert.equal(later.conditions?.[1]?.status, 'False');
});
