import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ADD,
  CoreV1Api,
  DELETE,
  KubeConfig,
  PatchStrategy,
  UPDATE,
  Watch,
  makeInformer,
  setHeaderOptions,
  type V1ConfigMap,
} from '@kubernetes/client-node';
import { startServer, type RunningServer } from '../cli/server.js';

let dir: string;
let server: RunningServer;
let kc: KubeConfig;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stratus-client-node-'));
  server = await startServer({ dataDir: join(dir, 'data'), apiPort: 0 });
  kc = new KubeConfig();
  // The kubeconfig as written: https with the server's self-signed CA in certificate-authority-data.
  kc.loadFromFile(server.kubeconfigPath);
});
after(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

test('client-node lists, creates (without apiVersion/kind) and patches with the written kubeconfig', async () => {
  const core = kc.makeApiClient(CoreV1Api);
  const namespaces = await core.listNamespace();
  assert.ok(namespaces.items.some((n) => n.metadata?.name === 'kube-system'));
  const created = await core.createNamespacedConfigMap({
    namespace: 'default',
    body: { metadata: { name: 'from-client-node' }, data: { a: '1' } },
  });
  assert.equal(created.metadata?.name, 'from-client-node');
  assert.ok(created.metadata?.uid);
  const patched = await core.patchNamespacedConfigMap(
    { name: 'from-client-node', namespace: 'default', body: { data: { a: '2' } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
  assert.equal(patched.data?.a, '2');
  const listed = await core.listNamespacedConfigMap({ namespace: 'default' });
  assert.ok(listed.items.some((c) => c.metadata?.name === 'from-client-node'));
});

test('client-node Watch receives ADDED for an object created after it started', async () => {
  const core = kc.makeApiClient(CoreV1Api);
  const list = await core.listNamespacedConfigMap({ namespace: 'default' });
  const watch = new Watch(kc);
  let resolveAdded: (name: string) => void = () => undefined;
  const added = new Promise<string>((resolve) => (resolveAdded = resolve));
  const controller = await watch.watch(
    '/api/v1/namespaces/default/configmaps',
    { resourceVersion: list.metadata?.resourceVersion },
    (type: string, object: V1ConfigMap) => {
      if (type === 'ADDED' && object.metadata?.name === 'watched-cm') resolveAdded(object.metadata.name);
    },
    () => undefined,
  );
  try {
    await core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'watched-cm' } },
    });
    const timeout = new Promise<string>((_, reject) =>
      setTimeout(() => reject(new Error('no ADDED event in 10 s')), 10_000).unref(),
    );
    assert.equal(await Promise.race([added, timeout]), 'watched-cm');
  } finally {
    controller.abort();
  }
});

/** Waits (bounded) until `check` holds, re-checking whenever `changed` is called. */
function until(check: () => boolean, what: string): { changed: () => void; done: Promise<void> } {
  let settle: () => void = () => undefined;
  const done = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), 20_000);
    timer.unref();
    settle = () => {
      if (!check()) return;
      clearTimeout(timer);
      resolve();
    };
  });
  return { changed: () => settle(), done };
}

test('client-node informers: the initial list, then add, update and delete, and the cache', async () => {
  const core = kc.makeApiClient(CoreV1Api);
  const ns = 'informed';
  await core.createNamespace({ body: { metadata: { name: ns } } });
  const labelled = (name: string): V1ConfigMap => ({
    metadata: { name, labels: { informer: 'yes' } },
    data: { a: '1' },
  });
  await core.createNamespacedConfigMap({ namespace: ns, body: labelled('before') });
  await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'unlabelled' } } });
  const informer = makeInformer(
    kc,
    `/api/v1/namespaces/${ns}/configmaps`,
    () => core.listNamespacedConfigMap({ namespace: ns, labelSelector: 'informer=yes' }),
    'informer=yes',
  );
  const seen: string[] = [];
  let wait = until(() => seen.includes('add before'), 'the initial list');
  const record = (verb: string) => (o: V1ConfigMap) => {
    seen.push(`${verb} ${o.metadata?.name ?? ''}${verb === 'update' ? `=${o.data?.a ?? ''}` : ''}`);
    wait.changed();
  };
  informer.on(ADD, record('add'));
  informer.on(UPDATE, record('update'));
  informer.on(DELETE, record('delete'));
  await informer.start();
  try {
    await wait.done;
    wait = until(() => seen.includes('delete later'), 'add, update and delete of "later"');
    await core.createNamespacedConfigMap({ namespace: ns, body: labelled('later') });
    await core.patchNamespacedConfigMap(
      { name: 'later', namespace: ns, body: { data: { a: '2' } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await core.deleteNamespacedConfigMap({ name: 'later', namespace: ns });
    await wait.done;
    assert.deepEqual(seen, ['add before', 'add later', 'update later=2', 'delete later']);
    assert.deepEqual(
      informer.list(ns).map((o) => o.metadata?.name),
      ['before'],
    );
    assert.equal(informer.get('before', ns)?.data?.a, '1');
  } finally {
    await informer.stop();
  }
});
