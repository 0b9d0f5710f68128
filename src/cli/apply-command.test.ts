import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StatusError } from '../client/index.js';
import { CliHarness, EXAMPLES_DIR } from './cli-harness.js';

let h: CliHarness;
before(async () => {
  h = await CliHarness.start();
});
after(async () => {
  await h.close();
});

test('apply -f examples/ creates every object, in file order', async () => {
  const r = await h.run(['apply', '-f', EXAMPLES_DIR]);
  assert.equal(r.stderr, '');
  assert.equal(r.code, 0);
  assert.equal(
    r.stdout,
    [
      'cronjob.batch/tick created',
      'ingressclass.networking.k8s.io/stratus created',
      'ingress.networking.k8s.io/web created',
      'job.batch/crunch created',
      'configmap/web-config created',
      'deployment.apps/web created',
      'service/web created',
      '',
    ].join('\n'),
  );
  const deploy = await h.client.get('deploy', 'web');
  assert.equal((deploy['spec'] as { replicas: number }).replicas, 3);
  assert.equal(deploy.metadata.managedFields?.[0]?.manager, 'stratus');
});

test('applying the same manifests again changes nothing; an edit is configured', async () => {
  const again = await h.run(['apply', '-f', join(EXAMPLES_DIR, 'web.yaml')]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(
    again.stdout,
    /^configmap\/web-config (unchanged|configured)\ndeployment\.apps\/web (unchanged|configured)\n/,
  );
  const edited = `apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
  labels: {app: web}
data:
  GREETING: Hello again
`;
  const r = await h.run(['apply', '-f', '-'], { stdin: edited });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'configmap/web-config configured\n');
  const cm = await h.client.get('configmap', 'web-config');
  assert.deepEqual(cm['data'], { GREETING: 'Hello again' });
});

test('stdin takes multi-document YAML; -n places objects without a namespace', async () => {
  await h.client.create('namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } });
  const docs = ['one', 'two', 'three']
    .map((n) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${n}\ndata:\n  k: v\n`)
    .join('---\n');
  const r = await h.run(['apply', '-n', 'team-a', '-f', '-'], { stdin: docs });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'configmap/one created\nconfigmap/two created\nconfigmap/three created\n');
  const list = await h.client.list('cm', { namespace: 'team-a' });
  assert.deepEqual(list.items.map((i) => i.metadata.name).sort(), ['one', 'three', 'two']);
});

test('--dry-run=server validates without storing', async () => {
  const doc = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: dry}\ndata: {a: b}\n';
  const r = await h.run(['apply', '--dry-run=server', '-f', '-'], { stdin: doc });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'configmap/dry created (server dry run)\n');
  await assert.rejects(
    h.client.get('cm', 'dry'),
    (err: unknown) => err instanceof StatusError && err.reason === 'NotFound',
  );
});

test('an unknown field is refused with a message naming it, and exit 1; valid objects still apply', async () => {
  const file = join(h.dir, 'bad.yaml');
  await writeFile(
    file,
    `apiVersion: apps/v1
kind: Deployment
metadata: {name: bad}
spec:
  replicaz: 2
  selector: {matchLabels: {app: bad}}
  template:
    metadata: {labels: {app: bad}}
    spec:
      containers: [{name: c, image: node:20-alpine}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: fine}
`,
  );
  const r = await h.run(['apply', '-f', file]);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, 'configmap/fine created\n');
  assert.match(r.stderr, /^Error from server \(\w+\): error when applying ".*bad\.yaml": .*replicaz/);
  assert.equal(r.stderr.trimEnd().split('\n').length, 1);
});

test('a manifest that is not YAML, or names no kind, is an error naming the file', async () => {
  const r = await h.run(['apply', '-f', '-'], { stdin: 'apiVersion: v1\nmetadata: {name: x}\n' });
  assert.equal(r.code, 1);
  assert.equal(r.stderr, 'error: error validating - (document 1): kind not set\n');
  const missing = await h.run(['apply', '-f', join(h.dir, 'nope.yaml')]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^error: the path ".*nope\.yaml" does not exist\n$/);
  const unknown = await h.run(['apply', '-f', '-'], {
    stdin: 'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n',
  });
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /Widget/);
});
