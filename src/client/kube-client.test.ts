import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../cli/server.js';
import type { KubeObject } from '../common/kube-object.js';
import { KubeClient, parseWarnings, StatusError, UnknownResourceError, type WatchEvent } from './index.js';

let dir: string;
let server: RunningServer;
let client: KubeClient;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stratus-client-'));
  server = await startServer({ dataDir: dir, apiPort: 0 });
  client = KubeClient.fromKubeconfig(server.kubeconfigPath);
});
after(async () => {
  await client.close();
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

const cm = (name: string, data: Record<string, string> = { a: '1' }): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, labels: { test: 'client' } },
  data,
});

function isReason(reason: string): (err: unknown) => boolean {
  return (err) => err instanceof StatusError && err.reason === reason;
}

test('the client trusts the cluster CA from the kubeconfig and resolves names through discovery', async () => {
  assert.ok(server.kubeconfigPath);
  assert.match(client.config.server, /^https:/);
  for (const name of ['deploy', 'deployments', 'deployment.apps', 'Deployment']) {
    const info = await client.resolve(name);
    assert.equal(`${info.group}/${info.resource}`, 'apps/deployments', name);
  }
  assert.equal((await client.resolveKind('v1', 'ConfigMap')).resource, 'configmaps');
  await assert.rejects(client.resolve('widgets'), UnknownResourceError);
});

test('create, get, list, patch, update and delete; refusals carry the Status reason', async () => {
  const created = await client.create('cm', cm('one'));
  assert.equal(created.metadata.namespace, 'default');
  await assert.rejects(client.create('cm', cm('one')), isReason('AlreadyExists'));
  assert.deepEqual((await client.get('configmaps', 'one'))['data'], { a: '1' });
  const patched = await client.patch('cm', 'one', { data: { b: '2' } });
  assert.deepEqual(patched['data'], { a: '1', b: '2' });
  await assert.rejects(
    client.update('cm', { ...cm('one'), metadata: { ...created.metadata } }),
    isReason('Conflict'),
  );
  const updated = await client.update('cm', { ...cm('one', { c: '3' }), metadata: patched.metadata });
  assert.deepEqual(updated['data'], { c: '3' });
  const list = await client.list('cm', { labelSelector: 'test=client' });
  assert.deepEqual(
    list.items.map((i) => i.metadata.name),
    ['one'],
  );
  assert.ok(list.metadata.resourceVersion);
  const table = await client.table('cm', { labelSelector: 'test=client' });
  assert.equal(table.kind, 'Table');
  assert.equal(table.rows[0]?.cells[0], 'one');
  await client.delete('cm', 'one');
  await assert.rejects(client.get('cm', 'one'), (err: unknown) => {
    return (
      err instanceof StatusError && err.reason === 'NotFound' && err.message === 'configmaps "one" not found'
    );
  });
});

test('server-side apply creates, then updates, and reports which', async () => {
  const first = await client.apply(cm('applied'));
  assert.equal(first.created, true);
  const second = await client.apply(cm('applied', { a: '2' }));
  assert.equal(second.created, false);
  assert.deepEqual(second.object['data'], { a: '2' });
  assert.equal(second.object.metadata.managedFields?.[0]?.manager, 'stratus');
  await client.delete('cm', 'applied');
});

test('watch yields events from a resourceVersion and ends quietly on abort', async () => {
  const list = await client.list('cm', { labelSelector: 'test=watch' });
  const stop = new AbortController();
  const seen: WatchEvent[] = [];
  const events = client.watch('cm', {
    labelSelector: 'test=watch',
    signal: stop.signal,
    ...(list.metadata.resourceVersion ? { resourceVersion: list.metadata.resourceVersion } : {}),
  });
  const w = { ...cm('w'), metadata: { name: 'w', labels: { test: 'watch' } } };
  await client.create('cm', w);
  await client.patch('cm', 'w', { data: { x: 'y' } });
  await client.delete('cm', 'w');
  const deadline = setTimeout(() => stop.abort(), 30_000);
  for await (const event of events) {
    if (event.type === 'BOOKMARK') continue;
    seen.push(event);
    if (seen.length === 3) stop.abort();
  }
  clearTimeout(deadline);
  assert.deepEqual(
    seen.map((e) => [e.type, e.object.metadata.name]),
    [
      ['ADDED', 'w'],
      ['MODIFIED', 'w'],
      ['DELETED', 'w'],
    ],
  );
});

test('close ends a watch that is waiting for events', async () => {
  const other = KubeClient.fromKubeconfig(server.kubeconfigPath);
  const events = other.watch('cm', { labelSelector: 'test=never' });
  const next = events.next();
  // Give the request a moment to be sent before closing; the iterator must end either way.
  await new Promise((resolve) => setImmediate(resolve));
  await other.close();
  assert.deepEqual(await next, { value: undefined, done: true });
});

test('Warning headers yield their quoted messages, several joined by commas', () => {
  assert.deepEqual(parseWarnings(undefined), []);
  assert.deepEqual(parseWarnings('299 - "unknown field \\"spec.foo\\"", 299 - "a, b"'), [
    'unknown field "spec.foo"',
    'a, b',
  ]);
});
