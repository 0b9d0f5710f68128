import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import {
  REVISION_HASH_LABEL,
  daemonPod,
  nodeShouldRunDaemonPod,
  nodeShouldKeepDaemonPod,
  planDaemonSet,
  templateHash,
} from './daemonset-plan.js';

const NOW = Date.UTC(2026, 0, 1);

function ds(image = 'a', extra: Partial<NonNullable<DaemonSet['spec']>> = {}): DaemonSet {
  return {
    metadata: { name: 'd', namespace: 'default', uid: 'u', generation: 2 },
    spec: {
      selector: { matchLabels: { app: 'd' } },
      template: { metadata: { labels: { app: 'd' } }, spec: { containers: [{ name: 'c', image }] } },
      ...extra,
    },
  };
}
const node = (name: string, extra: Partial<Node> = {}): Node => ({
  metadata: { name, labels: {} },
  ...extra,
});
function running(set: DaemonSet, nodeName: string, name: string, ready = true): Pod {
  const p = daemonPod(set, nodeName);
  return {
    ...p,
    metadata: { ...p.metadata, name },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  };
}

test('nodeShouldRunDaemonPod honours nodeSelector, affinity and taints with the daemon tolerations', () => {
  const t = ds().spec?.template;
  assert.equal(nodeShouldRunDaemonPod(node('n'), t), true);
  const unreachable = node('n', {
    spec: { taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }] },
  });
  assert.equal(nodeShouldRunDaemonPod(unreachable, t), true);
  const gpu = node('n', { spec: { taints: [{ key: 'gpu', effect: 'NoSchedule' }] } });
  assert.equal(nodeShouldRunDaemonPod(gpu, t), false);
  const sel = ds('a').spec!.template;
  sel.spec!.nodeSelector = { disk: 'ssd' };
  assert.equal(nodeShouldRunDaemonPod(node('n'), sel), false);
  assert.equal(
    nodeShouldRunDaemonPod(node('n', { metadata: { name: 'n', labels: { disk: 'ssd' } } }), sel),
    true,
  );
});

test('planDaemonSet creates one pod per eligible node, deletes duplicates, keeps a pod a NoSchedule taint came after', () => {
  const set = ds();
  const nodes = [
    node('n1'),
    node('n2'),
    node('n3', { spec: { taints: [{ key: 'x', effect: 'NoSchedule' }] } }),
  ];
  const pods = [running(set, 'n1', 'p1'), running(set, 'n1', 'p1b', false), running(set, 'n3', 'p3')];
  const plan = planDaemonSet(set, { nodes, pods, now: NOW });
  assert.deepEqual(plan.createOn, ['n2']);
  assert.deepEqual(plan.delete.sort(), ['p1b']); // p3 stays: only NoExecute taints evict
  assert.equal(plan.status.desiredNumberScheduled, 2);
  assert.equal(plan.status.currentNumberScheduled, 1);
  assert.equal(plan.status.numberMisscheduled, 1);
  assert.equal(plan.status.numberReady, 1);
  assert.equal(plan.status.updatedNumberScheduled, 1);
  assert.equal(plan.status.observedGeneration, 2);
});

test('planDaemonSet rolls an update one unavailable node at a time', () => {
  const v1 = ds('a');
  const v2 = ds('b');
  assert.notEqual(templateHash(v1.spec?.template), templateHash(v2.spec?.template));
  const nodes = [node('n1'), node('n2'), node('n3')];
  const oldPods = ['n1', 'n2', 'n3'].map((n) => running(v1, n, `old-${n}`));
  const first = planDaemonSet(v2, { nodes, pods: oldPods, now: NOW });
  assert.equal(first.delete.length, 1);
  assert.equal(first.status.updatedNumberScheduled, 0);
  // The replaced node has a new pod that is not ready yet: nothing more goes.
  const gone = first.delete[0]!.slice(4);
  const next = oldPods.filter((p) => p.metadata?.name !== first.delete[0]);
  next.push(running(v2, gone, 'new', false));
  assert.deepEqual(planDaemonSet(v2, { nodes, pods: next, now: NOW }).delete, []);
  next[next.length - 1] = running(v2, gone, 'new', true);
  const third = planDaemonSet(v2, { nodes, pods: next, now: NOW });
  assert.equal(third.delete.length, 1);
  assert.equal(third.status.updatedNumberScheduled, 1);
  assert.equal(next.at(-1)?.metadata?.labels?.[REVISION_HASH_LABEL], templateHash(v2.spec?.template));
  // OnDelete never deletes old pods.
  assert.deepEqual(
    planDaemonSet(ds('b', { updateStrategy: { type: 'OnDelete' } }), { nodes, pods: oldPods, now: NOW })
      .delete,
    [],
  );
});

test('a daemon pod stays on a node that became unreachable; no new one goes there', () => {
  const t = ds().spec?.template;
  const lost = node('n', {
    spec: {
      taints: [
        { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' },
        { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' },
      ],
    },
  });
  assert.equal(nodeShouldRunDaemonPod(lost, t), false);
  assert.equal(nodeShouldKeepDaemonPod(lost, t), true);
  const evicting = node('n', { spec: { taints: [{ key: 'maintenance', effect: 'NoExecute' }] } });
  assert.equal(nodeShouldKeepDaemonPod(evicting, t), false);
});
