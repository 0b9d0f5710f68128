import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { buildPodStatus, podPhase, type ContainerView, type PodView } from './pod-status.js';
import { goDuration } from './container-view.js';
import { parseLogQuery } from './log-server.js';

const running: ContainerView = {
  name: 'a',
  image: 'x',
  state: { running: { startedAt: 't' } },
  restartCount: 0,
  ready: true,
};
const exited = (code: number): ContainerView => ({
  name: 'a',
  image: 'x',
  state: { terminated: { exitCode: code } },
  restartCount: 0,
  ready: false,
});
const view = (containers: ContainerView[], extra: Partial<PodView> = {}): PodView => ({
  init: [],
  containers,
  initialized: true,
  hostIP: '127.0.0.1',
  startTime: '2026-01-01T00:00:00Z',
  ...extra,
});

describe('podPhase', () => {
  it('follows kubelet: Pending, Running, Succeeded, Failed by restart policy', () => {
    assert.equal(podPhase('Always', view([running])), 'Running');
    assert.equal(podPhase('Always', view([running], { initialized: false })), 'Pending');
    const waiting: ContainerView = { ...running, state: { waiting: { reason: 'ContainerCreating' } } };
    assert.equal(podPhase('Always', view([waiting])), 'Pending');
    const crashLoop: ContainerView = { ...waiting, lastState: { terminated: { exitCode: 1 } } };
    assert.equal(podPhase('Always', view([crashLoop])), 'Running');
    assert.equal(podPhase('Never', view([exited(0)])), 'Succeeded');
    assert.equal(podPhase('Never', view([exited(1)])), 'Failed');
    assert.equal(podPhase('OnFailure', view([exited(0)])), 'Succeeded');
    assert.equal(podPhase('OnFailure', view([exited(1)])), 'Running');
    assert.equal(podPhase('Always', view([running], { failed: { reason: 'x' } })), 'Failed');
  });
});

describe('buildPodStatus', () => {
  const pod: Pod = { metadata: { name: 'p' }, spec: { containers: [{ name: 'a' }] } };
  it('writes the conditions and keeps transition times while unchanged', () => {
    const first = buildPodStatus(pod, view([{ ...running, ready: false }]), 'T1');
    const ready = first.conditions?.find((c) => c.type === 'Ready');
    assert.equal(ready?.status, 'False');
    assert.equal(ready?.reason, 'ContainersNotReady');
    assert.equal(ready?.message, 'containers with unready status: [a]');
    const second = buildPodStatus({ ...pod, status: first }, view([running]), 'T2');
    assert.equal(second.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime, 'T2');
    assert.equal(second.conditions?.find((c) => c.type === 'PodScheduled')?.lastTransitionTime, 'T1');
    assert.equal(second.containerStatuses?.[0]?.ready, true);
    assert.equal(second.phase, 'Running');
  });
  it('marks a finished pod PodCompleted', () => {
    const done = buildPodStatus(
      { ...pod, spec: { ...pod.spec, containers: [{ name: 'a' }], restartPolicy: 'Never' } },
      view([exited(0)]),
      'T',
    );
    assert.equal(done.phase, 'Succeeded');
    assert.equal(done.conditions?.find((c) => c.type === 'Ready')?.reason, 'PodCompleted');
  });
});

describe('goDuration and parseLogQuery', () => {
  it('prints durations as Go does', () => {
    assert.deepEqual([200, 10_000, 1600, 300_000, 80_000].map(goDuration), [
      '200ms',
      '10s',
      '1.6s',
      '5m0s',
      '1m20s',
    ]);
  });
  it('reads the log query', () => {
    const q = new URLSearchParams(
      'follow=true&tailLines=5&sinceSeconds=x&previous=true&timestamps=1&limitBytes=9',
    );
    assert.deepEqual(parseLogQuery(q), {
      follow: true,
      tailLines: 5,
      previous: true,
      timestamps: true,
      limitBytes: 9,
    });
  });
});
