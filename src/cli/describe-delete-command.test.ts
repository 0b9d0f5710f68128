import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { StatusError } from '../client/index.js';
import { CliHarness, EXAMPLES_DIR } from './cli-harness.js';

let h: CliHarness;
before(async () => {
  h = await CliHarness.start();
  const r = await h.run(['apply', '-f', join(EXAMPLES_DIR, 'web.yaml')]);
  assert.equal(r.code, 0, r.stderr);
});
after(async () => {
  await h.close();
});

test('describe shows metadata, the spec summary and the events about the object', async () => {
  const now = new Date().toISOString();
  const event = (name: string, kind: string, target: string, message: string) => ({
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name },
    involvedObject: { apiVersion: 'apps/v1', kind, name: target, namespace: 'default' },
    reason: 'ScalingReplicaSet',
    message,
    type: 'Normal',
    source: { component: 'deployment-controller' },
    firstTimestamp: now,
    lastTimestamp: now,
    count: 1,
  });
  await h.client.create('events', event('web.1', 'Deployment', 'web', 'Scaled up replica set web-abc to 3'));
  await h.client.create('events', event('other.1', 'Deployment', 'other', 'not about web'));
  await h.client.create('events', event('rs.1', 'ReplicaSet', 'web', 'not about the deployment'));
  const r = await h.run(['describe', 'deployment', 'web']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Name: +web\nNamespace: +default\nLabels: +app=web\n/);
  assert.match(r.stdout, /\nReplicas: +3 desired \|/);
  assert.match(r.stdout, /\n {4}Image: +node:20-alpine\n/);
  assert.match(r.stdout, /\n {4}Environment Variables from: +web-config ConfigMap\n/);
  assert.match(r.stdout, /\nEvents:\n {2}Type +Reason +Age +From +Message\n/);
  assert.match(
    r.stdout,
    /\n {2}Normal +ScalingReplicaSet +\d+s +deployment-controller +Scaled up replica set web-abc to 3\n/,
  );
  assert.doesNotMatch(r.stdout, /not about/);
  const cm = await h.run(['describe', 'cm/web-config']);
  assert.equal(cm.code, 0, cm.stderr);
  assert.match(cm.stdout, /\nData: +GREETING: Hello from Stratus\n/);
  assert.match(cm.stdout, /\nEvents: +<none>\n$/);
});

test('describe of a missing object is the server NotFound, exit 1', async () => {
  const r = await h.run(['describe', 'svc', 'nope']);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, 'Error from server (NotFound): services "nope" not found\n');
});

test('delete by name and by file, then NotFound on the second try', async () => {
  const r = await h.run(['delete', 'deploy', 'web']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'deployment.apps "web" deleted\n');
  const again = await h.run(['delete', 'deployment.apps/web']);
  assert.equal(again.code, 1);
  assert.equal(again.stderr, 'Error from server (NotFound): deployments.apps "web" not found\n');
  const quiet = await h.run(['delete', 'deploy', 'web', '--ignore-not-found']);
  assert.equal(quiet.code, 0);
  const byFile = await h.run(['delete', '-f', join(EXAMPLES_DIR, 'web.yaml'), '--ignore-not-found']);
  assert.equal(byFile.code, 0, byFile.stderr);
  assert.equal(byFile.stdout, 'configmap "web-config" deleted\nservice "web" deleted\n');
  await assert.rejects(
    h.client.get('svc', 'web'),
    (err: unknown) => err instanceof StatusError && err.reason === 'NotFound',
  );
});

test('kubeconfig prints the path a cloud wrote, or its contents', async () => {
  const dataDir = join(h.dir, 'data');
  const r = await h.run(['kubeconfig', '--data-dir', dataDir]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `${h.server.kubeconfigPath}\n`);
  const p = await h.run(['kubeconfig', '--data-dir', dataDir, '--print']);
  assert.equal(p.stdout, await readFile(h.server.kubeconfigPath, 'utf8'));
  assert.ok(p.stdout.includes(h.server.apiUrl));
});

test('a server that refuses connections is one error line, exit 1', async () => {
  const kubeconfig = join(h.dir, 'dead.yaml');
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
  const text = (await readFile(h.server.kubeconfigPath, 'utf8')).replace(
    h.server.apiUrl,
    `http://127.0.0.1:${port}`,
  );
  await writeFile(kubeconfig, text);
  const r = await h.run(['get', 'pods', '--kubeconfig', kubeconfig]);
  assert.equal(r.code, 1);
  assert.equal(
    r.stderr,
    `error: The connection to the server 127.0.0.1:${port} was refused - did you specify the right host or port?\n`,
  );
});
