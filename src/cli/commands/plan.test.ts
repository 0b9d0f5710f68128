import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startSimulatedNodes, type SimulatedNodes } from '../../agent/simulated-nodes.js';
import { CliHarness } from '../cli-harness.js';

let h: CliHarness;
let sim: SimulatedNodes;
before(async () => {
  h = await CliHarness.start();
  sim = await startSimulatedNodes({
    client: h.client,
    count: 2,
    capacity: { cpu: '2', memory: '4Gi', pods: '10' },
  });
});
after(async () => {
  await sim.close();
  await h.close();
});

const MANIFEST = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: c, image: nginx, resources: {requests: {cpu: 600m}}}]
---
apiVersion: v1
kind: Pod
metadata: {name: huge}
spec:
  containers: [{name: c, image: x, resources: {requests: {cpu: "3"}}}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: ignored}
data: {a: b}
`;

test('stratus plan shows where each pod would land and why one fits nowhere, changing nothing', async () => {
  const file = join(h.dir, 'app.yaml');
  await writeFile(file, MANIFEST);
  const r = await h.run(['plan', '-f', file]);
  assert.equal(r.stderr, '');
  assert.equal(r.code, 2, 'exit 2: a pod would not fit');
  const lines = r.stdout.split('\n');
  // Bin-packing: all three 600m pods fit on sim-node-0 (1.8 of 2 cpu), so it takes them all.
  assert.match(
    lines[0] ?? '',
    /^\+ pod default\/web-1 \(deployment\/web, 1 of 3\) -> node sim-node-0 \(score [\d.]+\)$/,
  );
  assert.match(r.stdout, /\+ pod default\/web-2 \(deployment\/web, 2 of 3\) -> node sim-node-0/);
  assert.match(r.stdout, /\+ pod default\/web-3 \(deployment\/web, 3 of 3\) -> node sim-node-0/);
  assert.match(
    r.stdout,
    /! pod default\/huge \(pod\/huge\) cannot be placed: 0\/2 nodes are available: 2 Insufficient cpu\.\n {4}sim-node-0: Insufficient cpu\n {4}sim-node-1: Insufficient cpu\n/,
  );
  assert.match(
    r.stdout,
    /Plan: 3 of 4 pod\(s\) placed on 1 of 2 node\(s\), 1 unschedulable\. Nothing was changed\.\n$/,
  );
  assert.equal((await h.client.list('deployments')).items.length, 0);
  assert.equal((await h.client.list('pods')).items.length, 0);
  assert.equal(
    (await h.client.list('configmaps', { fieldSelector: 'metadata.name=ignored' })).items.length,
    0,
  );

  const spread = await h.run(['plan', '-f', file, '--strategy', 'spread']);
  assert.match(spread.stdout, /web-1 .* -> node sim-node-0/);
  assert.match(spread.stdout, /web-2 .* -> node sim-node-1/);
});
