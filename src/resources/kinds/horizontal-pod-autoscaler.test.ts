/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-explicit-any -- tests read objects by path */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../common/kube-object.js';
import { createRegistry } from '../registry.js';
import { hpaV1ToV2, hpaV2ToV1 } from './horizontal-pod-autoscaler-v1.js';

const registry = createRegistry();
const v2 = registry.get('autoscaling', 'v2', 'horizontalpodautoscalers')!;

function hpa(spec: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
      maxReplicas: 5,
      ...spec,
    },
  };
}

test('defaults as Kubernetes: minReplicas 1, cpu at 80 %, a given behavior completed', () => {
  const d = v2.defaults(hpa({ behavior: { scaleDown: { stabilizationWindowSeconds: 5 } } })) as any;
  assert.equal(d.spec.minReplicas, 1);
  assert.deepEqual(d.spec.metrics, [
    { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } },
  ]);
  assert.deepEqual(d.spec.behavior.scaleDown, {
    stabilizationWindowSeconds: 5,
    selectPolicy: 'Max',
    policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
  });
  assert.equal(d.spec.behavior.scaleUp.policies.length, 2);
  assert.equal((v2.defaults(hpa({})) as any).spec.behavior, undefined);
});

test('validation names the field', () => {
  const fields = (spec: Record<string, unknown>): string[] =>
    v2.validate(v2.defaults(hpa(spec))).map((e) => e.field ?? '');
  assert.deepEqual(fields({}), []);
  assert.deepEqual(fields({ minReplicas: 6 }), ['spec.maxReplicas']);
  assert.deepEqual(fields({ minReplicas: 0 }), ['spec.minReplicas']);
  assert.deepEqual(
    fields({ metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization' } } }] }),
    ['spec.metrics[0].resource.target.averageUtilization'],
  );
  assert.deepEqual(
    fields({
      behavior: {
        scaleUp: { selectPolicy: 'Most', policies: [{ type: 'Pods', value: 0, periodSeconds: 15 }] },
      },
    }),
    ['spec.behavior.scaleUp.selectPolicy', 'spec.behavior.scaleUp.policies[0].value'],
  );
});

test('autoscaling/v1 converts to the stored v2 and back', () => {
  const v1: KubeObject = {
    apiVersion: 'autoscaling/v1',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
      minReplicas: 1,
      maxReplicas: 5,
      targetCPUUtilizationPercentage: 50,
    },
  };
  const stored = hpaV1ToV2(v1) as any;
  assert.equal(stored.apiVersion, 'autoscaling/v2');
  assert.deepEqual(stored.spec.metrics, [
    { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } },
  ]);
  stored.status = {
    currentReplicas: 2,
    desiredReplicas: 3,
    currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 75 } } }],
    conditions: [{ type: 'AbleToScale', status: 'True', reason: 'SucceededRescale' }],
  };
  const back = hpaV2ToV1(stored) as any;
  assert.deepEqual(back.spec, v1['spec']);
  assert.deepEqual(back.status, {
    currentReplicas: 2,
    desiredReplicas: 3,
    currentCPUUtilizationPercentage: 75,
  });
  assert.match(back.metadata.annotations['autoscaling.alpha.kubernetes.io/conditions'], /SucceededRescale/);
});
