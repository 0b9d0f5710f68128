import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { kubectlSkipReason, runKubectl } from '../controllers/testing.js';
import { eventually } from '../api/testing.js';
import { CliHarness } from './cli-harness.js';

const skip = kubectlSkipReason() ?? false;
let h: CliHarness;

const kubectl = (args: string[]) => runKubectl(h.dir, h.server.kubeconfigPath, args);

async function ok(args: string[]): Promise<string> {
  const r = await kubectl(args);
  assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function applyYaml(name: string, text: string, ns: string): Promise<void> {
  const file = join(h.dir, name);
  await writeFile(file, text);
  await ok(['apply', '-n', ns, '-f', file]);
}

before(async () => {
  if (skip) return;
  h = await CliHarness.start();
  await ok(['create', 'namespace', 'team']);
});
after(async () => {
  if (!skip) await h.close();
});

test('kubectl create quota, get quota and a refused kubectl run', { skip }, async () => {
  await ok(['create', 'quota', 'q', '--hard=pods=1,count/configmaps=5,requests.memory=1Gi', '-n', 'team']);
  assert.ok(
    await eventually(async () => /pods: 0\/1/.test(await ok(['get', 'quota', '-n', 'team']))),
    'the controller fills the status',
  );
  await ok([
    'run',
    'web',
    '--image=busybox',
    '--restart=Never',
    '--overrides={"spec":{"containers":[{"name":"web","image":"busybox","resources":{"requests":{"memory":"256Mi"}}}]}}',
    '-n',
    'team',
  ]);
  const refused = await kubectl([
    'run',
    'db',
    '--image=busybox',
    '--restart=Never',
    '--overrides={"spec":{"containers":[{"name":"db","image":"busybox","resources":{"requests":{"memory":"256Mi"}}}]}}',
    '-n',
    'team',
  ]);
  assert.notEqual(refused.code, 0);
  assert.match(
    refused.stderr,
    /Error from server \(Forbidden\): pods "db" is forbidden: exceeded quota: q, requested: pods=1, used: pods=1, limited: pods=1/,
  );
  assert.equal((await kubectl(['get', 'pod', 'db', '-n', 'team'])).code, 1, 'nothing stored');
  assert.ok(
    await eventually(async () => {
      const out = await ok(['get', 'quota', 'q', '-n', 'team']);
      return /^q\s+\S+\s+count\/configmaps: 0\/5, pods: 1\/1, requests\.memory: 256Mi\/1Gi\s*$/m.test(out);
    }),
    'kubectl get quota shows used/hard',
  );
  const described = await ok(['describe', 'quota', 'q', '-n', 'team']);
  assert.match(described, /requests\.memory\s+256Mi\s+1Gi/);
});

test('LimitRange defaults and bounds through kubectl', { skip }, async () => {
  await ok(['create', 'namespace', 'limited']);
  await applyYaml(
    'limits.yaml',
    `apiVersion: v1
kind: LimitRange
metadata:
  name: limits
spec:
  limits:
  - type: Container
    default: {cpu: 500m, memory: 256Mi}
    defaultRequest: {cpu: 100m}
    max: {cpu: "1"}
    min: {memory: 64Mi}
`,
    'limited',
  );
  const lr = JSON.parse(await ok(['get', 'limitrange', 'limits', '-n', 'limited', '-o', 'json'])) as {
    spec: { limits: Array<Record<string, unknown>> };
  };
  assert.deepEqual(
    lr.spec.limits[0]?.defaultRequest,
    { cpu: '100m', memory: '256Mi' },
    'LimitRange defaults',
  );
  await ok(['run', 'plain', '--image=busybox', '--restart=Never', '-n', 'limited']);
  const pod = JSON.parse(await ok(['get', 'pod', 'plain', '-n', 'limited', '-o', 'json'])) as {
    metadata: { annotations?: Record<string, string> };
    spec: { containers: Array<{ resources: unknown }> };
  };
  assert.deepEqual(pod.spec.containers[0]?.resources, {
    limits: { cpu: '500m', memory: '256Mi' },
    requests: { cpu: '100m', memory: '256Mi' },
  });
  assert.equal(
    pod.metadata.annotations?.['kubernetes.io/limit-ranger'],
    'LimitRanger plugin set: cpu, memory request for container plain; cpu, memory limit for container plain',
  );
  const big = await kubectl([
    'run',
    'big',
    '--image=busybox',
    '--restart=Never',
    '--overrides={"spec":{"containers":[{"name":"big","image":"busybox","resources":{"limits":{"cpu":"2"}}}]}}',
    '-n',
    'limited',
  ]);
  assert.notEqual(big.code, 0);
  assert.match(big.stderr, /pods "big" is forbidden: maximum cpu usage per Container is 1, but limit is 2/);
  // A default limit below what the pod requests makes the pod invalid, as in Kubernetes.
  const greedy = await kubectl([
    'run',
    'greedy',
    '--image=busybox',
    '--restart=Never',
    '--overrides={"spec":{"containers":[{"name":"greedy","image":"busybox","resources":{"requests":{"cpu":"800m"}}}]}}',
    '-n',
    'limited',
  ]);
  assert.notEqual(greedy.code, 0);
  assert.match(
    greedy.stderr,
    /Pod "greedy" is invalid: spec\.containers\[0\]\.resources\.requests: Invalid value: "800m": must be less than or equal to cpu limit of 500m/,
  );
  assert.match(await ok(['get', 'limits', '-n', 'limited']), /^NAME\s+CREATED AT\nlimits\s+\d{4}-/);
});
