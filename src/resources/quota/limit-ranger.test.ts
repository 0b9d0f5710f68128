import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../../common/kube-object.js';
import { createRegistry } from '../registry.js';
import {
  aggregateMessage,
  applyLimitRangeDefaults,
  limitRangeErrors,
  LIMIT_RANGER_ANNOTATION,
} from './index.js';

const limitRanges = createRegistry().resolve('limitranges')!;

function limitRange(limits: object[]): KubeObject {
  return limitRanges.defaults({
    apiVersion: 'v1',
    kind: 'LimitRange',
    metadata: { name: 'lr', namespace: 'a' },
    spec: { limits },
  });
}

test('a LimitRange fills its own defaults as Kubernetes: default from max, defaultRequest from default then min', () => {
  const lr = limitRange([{ type: 'Container', max: { cpu: '2' }, min: { memory: '64Mi' } }]);
  assert.deepEqual((lr.spec as { limits: object[] }).limits[0], {
    type: 'Container',
    max: { cpu: '2' },
    min: { memory: '64Mi' },
    default: { cpu: '2' },
    defaultRequest: { cpu: '2', memory: '64Mi' },
  });
});

test('pods without requests or limits get the defaults and the limit-ranger annotation', () => {
  const lr = limitRange([
    { type: 'Container', default: { cpu: '500m', memory: '256Mi' }, defaultRequest: { cpu: '100m' } },
  ]);
  const pod: Pod = {
    metadata: { name: 'p' },
    spec: {
      containers: [
        { name: 'web', image: 'x' },
        { name: 'side', image: 'x', resources: { limits: { cpu: '1' }, requests: { cpu: '1' } } },
      ],
      initContainers: [{ name: 'init', image: 'x' }],
    },
  };
  applyLimitRangeDefaults(pod, lr);
  assert.deepEqual(pod.spec?.containers[0]?.resources, {
    limits: { cpu: '500m', memory: '256Mi' },
    requests: { cpu: '100m', memory: '256Mi' },
  });
  assert.deepEqual(pod.spec?.containers[1]?.resources, {
    limits: { cpu: '1', memory: '256Mi' },
    requests: { cpu: '1', memory: '256Mi' },
  });
  assert.equal(
    pod.metadata?.annotations?.[LIMIT_RANGER_ANNOTATION],
    'LimitRanger plugin set: cpu, memory request for container web; cpu, memory limit for container web; ' +
      'memory request for container side; memory limit for container side; ' +
      'cpu, memory request for init container init; cpu, memory limit for init container init',
  );
});

test('min, max and ratio bounds give Kubernetes messages', () => {
  const lr = limitRange([
    { type: 'Container', max: { cpu: '1' }, min: { memory: '64Mi' }, maxLimitRequestRatio: { memory: '2' } },
    { type: 'Pod', max: { memory: '1Gi' } },
  ]);
  const pod: Pod = {
    spec: {
      containers: [
        {
          name: 'a',
          image: 'x',
          resources: { limits: { cpu: '2', memory: '512Mi' }, requests: { cpu: '500m', memory: '128Mi' } },
        },
        {
          name: 'b',
          image: 'x',
          resources: { limits: { cpu: '1', memory: '768Mi' }, requests: { memory: '32Mi' } },
        },
      ],
    },
  };
  assert.deepEqual(limitRangeErrors(pod, lr), [
    'maximum cpu usage per Container is 1, but limit is 2',
    'memory max limit to request ratio per Container is 2, but provided ratio is 4.000000',
    'minimum memory usage per Container is 64Mi, but request is 32Mi',
    'memory max limit to request ratio per Container is 2, but provided ratio is 24.000000',
    'maximum memory usage per Pod is 1Gi, but limit is 1280Mi',
  ]);
  const unbounded: Pod = { spec: { containers: [{ name: 'c', image: 'x' }] } };
  assert.deepEqual(
    limitRangeErrors(unbounded, limitRange([{ type: 'Pod', max: { cpu: '1' }, min: { cpu: '100m' } }])),
    [
      'minimum cpu usage per Pod is 100m.  No request is specified',
      'maximum cpu usage per Pod is 1.  No limit is specified',
    ],
  );
  assert.equal(aggregateMessage(['x']), 'x');
  assert.equal(aggregateMessage(['x', 'y', 'x']), '[x, y]');
});

test('LimitRange validation as ValidateLimitRange', () => {
  const errs = limitRanges
    .validate(
      limitRange([
        { type: 'Container', min: { cpu: '2' }, max: { cpu: '1' }, maxLimitRequestRatio: { memory: '500m' } },
        { type: 'Pod', default: { cpu: '1' } },
        { type: 'Container' },
        { type: 'Widget', max: { gpu: '1' } },
      ]),
    )
    .map((e) => `${e.field}: ${e.message}`);
  assert.deepEqual(errs.sort(), [
    'spec.limits[0].defaultRequest[cpu]: Invalid value: "1": min value 2 is greater than default request value 1',
    'spec.limits[0].default[cpu]: Invalid value: "2": min value 2 is greater than default value 1',
    'spec.limits[0].maxLimitRequestRatio[memory]: Invalid value: "500m": ratio 500m is less than 1',
    'spec.limits[0].min[cpu]: Invalid value: "2": min value 2 is greater than max value 1',
    "spec.limits[1].default: Forbidden: may not be specified when `type` is 'Pod'",
    'spec.limits[2].type: Duplicate value: "Container"',
    'spec.limits[3].type: Invalid value: "Widget": must be a standard limit type or fully qualified',
  ]);
});
