import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../common/clock.js';
import { ResourceCollector } from './resource-collector.js';
import type { ContainerSample } from './resource-usage.js';

describe('ResourceCollector', () => {
  it('answers the usage between its last two samples, timed by its clock', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    let cpu = 0;
    let node = 0;
    const containers = (): Promise<ContainerSample[]> =>
      Promise.resolve([
        {
          namespace: 'ns',
          pod: 'p',
          podUid: 'u',
          container: 'c',
          id: 'id1',
          usage: { cpuSeconds: cpu, memoryBytes: 5 },
        },
      ]);
    const collector = new ResourceCollector({
      node: 'n1',
      containers,
      nodeUsage: () => ({ cpuSeconds: node, memoryBytes: 7 }),
      clock,
    });
    assert.deepEqual(collector.summary().pods, []);
    await collector.sample();
    assert.deepEqual(collector.summary().pods, [], 'one sample is no window');
    clock.advance(10_000);
    cpu = 5;
    node = 20;
    await collector.sample();
    const s = collector.summary();
    assert.equal(s.windowSeconds, 10);
    assert.equal(s.pods[0]?.containers[0]?.usage.cpuNanoCores, 0.5e9);
    assert.deepEqual(s.nodeUsage, { cpuNanoCores: 2e9, memoryBytes: 7 });
    await collector.close();
  });

  it('keeps the last summary when a round fails, and reports the error', async () => {
    const clock = new ManualClock();
    const errors: unknown[] = [];
    let fail = false;
    const collector = new ResourceCollector({
      node: 'n1',
      containers: () => (fail ? Promise.reject(new Error('runtime gone')) : Promise.resolve([])),
      nodeUsage: () => ({ cpuSeconds: clock.now() / 1000, memoryBytes: 1 }),
      clock,
      onError: (e) => errors.push(e),
    });
    await collector.sample();
    clock.advance(1000);
    await collector.sample();
    fail = true;
    clock.advance(1000);
    await collector.sample();
    assert.equal(collector.summary().nodeUsage?.cpuNanoCores, 1e9);
    assert.match(String(errors[0]), /runtime gone/);
    await collector.close();
  });
});
