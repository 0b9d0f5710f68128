import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { topNodesTable, topPodsTable } from './top-table.js';

const podMetrics = (ns: string, name: string, containers: [string, string, string][]) => ({
  metadata: { name, namespace: ns },
  containers: containers.map(([n, cpu, memory]) => ({ name: n, usage: { cpu, memory } })),
});

describe('kubectl top tables', () => {
  it('nodes: millicores rounded up, Mi rounded down, shares of allocatable or capacity', () => {
    const metrics = [
      { metadata: { name: 'n1' }, usage: { cpu: '500000001n', memory: '1048575Ki' } },
      { metadata: { name: 'gone' }, usage: { cpu: '1', memory: '1' } },
    ];
    const nodes = [
      {
        metadata: { name: 'n1' },
        status: { allocatable: { cpu: '2', memory: '2Gi' }, capacity: { cpu: '4', memory: '4Gi' } },
      },
    ];
    assert.deepEqual(topNodesTable(metrics, nodes), {
      headers: ['NAME', 'CPU(cores)', 'CPU(%)', 'MEMORY(bytes)', 'MEMORY(%)'],
      rows: [['n1', '501m', '25%', '1023Mi', '49%']],
    });
    assert.deepEqual(topNodesTable(metrics, nodes, true).rows, [['n1', '501m', '12%', '1023Mi', '24%']]);
  });

  it('pods: sums of containers, one row per container, a namespace column with -A', () => {
    const m = [
      podMetrics('a', 'web', [
        ['main', '100m', '10Mi'],
        ['side', '250000n', '1Mi'],
      ]),
    ];
    assert.deepEqual(topPodsTable(m), {
      headers: ['NAME', 'CPU(cores)', 'MEMORY(bytes)'],
      rows: [['web', '101m', '11Mi']],
    });
    assert.deepEqual(topPodsTable(m, { containers: true, allNamespaces: true }), {
      headers: ['NAMESPACE', 'POD', 'NAME', 'CPU(cores)', 'MEMORY(bytes)'],
      rows: [
        ['a', 'web', 'main', '100m', '10Mi'],
        ['a', 'web', 'side', '1m', '1Mi'],
      ],
    });
  });
});
