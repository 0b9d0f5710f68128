import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseMeminfo, parseProcStat } from './node-usage.js';
import { cpuQuantity, goDuration, memoryQuantity, summarize, type NodeSample } from './resource-usage.js';

const sample = (atMs: number, cpu: number, containers: [string, string, number, number][]): NodeSample => ({
  atMs,
  node: { cpuSeconds: cpu, memoryBytes: 4 << 30 },
  containers: containers.map(([id, pod, cpuSeconds, memoryBytes]) => ({
    namespace: 'default',
    pod,
    podUid: `uid-${pod}`,
    container: 'main',
    id,
    usage: { cpuSeconds, memoryBytes },
  })),
});

describe('resource usage', () => {
  it('turns two samples into rates over their window', () => {
    const prev = sample(0, 100, [
      ['a', 'busy', 10, 1 << 20],
      ['b', 'idle', 1, 2 << 20],
    ]);
    const cur = sample(15_000, 115, [
      ['a', 'busy', 25, 3 << 20],
      ['b', 'idle', 1, 2 << 20],
      ['c', 'new', 5, 1 << 20],
    ]);
    const s = summarize('n1', prev, cur);
    assert.equal(s.windowSeconds, 15);
    assert.equal(s.timestamp, '1970-01-01T00:00:15.000Z');
    assert.deepEqual(s.nodeUsage, { cpuNanoCores: 1e9, memoryBytes: 4 << 30 });
    // A container first seen in the newer sample has no window yet.
    assert.deepEqual(
      s.pods.map((p) => [p.name, p.containers[0]?.usage]),
      [
        ['busy', { cpuNanoCores: 1e9, memoryBytes: 3 << 20 }],
        ['idle', { cpuNanoCores: 0, memoryBytes: 2 << 20 }],
      ],
    );
  });

  it('a restarted container (new id) and a counter going back never give a negative rate', () => {
    const s = summarize('n1', sample(0, 10, [['a', 'p', 50, 1]]), sample(1000, 5, [['a2', 'p', 1, 1]]));
    assert.deepEqual(s.pods, []);
    assert.equal(s.nodeUsage?.cpuNanoCores, 0);
    assert.deepEqual(summarize('n1', undefined, sample(0, 1, [])).pods, []);
    assert.equal(summarize('n1', undefined, sample(0, 1, [])).nodeUsage, undefined);
  });

  it('writes quantities as metrics-server does', () => {
    assert.equal(cpuQuantity(1234567.4), '1234567n');
    assert.equal(memoryQuantity(4096), '4Ki');
    assert.equal(memoryQuantity(1000), '1000');
    assert.equal(goDuration(15), '15s');
    assert.equal(goDuration(15.0024), '15.002s');
  });

  it('reads /proc/stat and /proc/meminfo', () => {
    assert.equal(parseProcStat('cpu  100 20 30 5000 40 5 5 10 0 0\ncpu0 1 2 3\n'), 1.7);
    assert.equal(parseProcStat('intr 1 2 3'), undefined);
    const meminfo = 'MemTotal:        8000000 kB\nMemFree:  100 kB\nMemAvailable:    6000000 kB\n';
    assert.equal(parseMeminfo(meminfo), 2_000_000 * 1024);
    assert.equal(parseMeminfo('MemTotal: 1 kB\n'), undefined);
  });
});
