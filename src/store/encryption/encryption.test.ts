import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { KubeObject } from '../../common/kube-object.js';
import { rejectsWith, Recorder } from '../contract/helpers.js';
import { SqliteStore } from '../sqlite-store.js';
import type { StoredChange } from '../store.js';
import { EncryptingStore, SEALED_FIELD } from './encrypting-store.js';
import { parseEncryptionConfig, type EncryptionConfig } from './encryption-config.js';
import { openValue, sealValue } from './value-cipher.js';

function configText(providers: string, resources = '[secrets, accesskeys.iam.stratus.dev]'): string {
  return `apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
  - resources: ${resources}
    providers:
${providers}`;
}

const aesgcm = (...keys: Array<[string, Buffer]>): string =>
  `      - aesgcm:\n          keys:\n${keys
    .map(([n, k]) => `            - name: ${n}\n              secret: ${k.toString('base64')}\n`)
    .join('')}`;
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
const IDENTITY = '      - identity: {}\n';

const secret = (name: string, value: string, labels?: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name, namespace: 'default', ...(labels ? { labels } : {}) },
  type: 'Opaque',
  data: { v: Buffer.from(value).toString('base64') },
});

test('the configuration: providers in order, wildcards, and errors naming the field', () => {
  const k1 = randomBytes(32);
  const config = parseEncryptionConfig(configText(aesgcm(['k1', k1]) + IDENTITY, "['*.*']"));
  assert.deepEqual(config.resources, ['secrets', 'configmaps', 'accesskeys.iam.stratus.dev']);
  assert.deepEqual(
    config.providersFor('secrets')?.map((p) => p.type),
    ['aesgcm', 'identity'],
  );
  assert.equal(config.providersFor('pods'), undefined);
  const bad: Array<[string, RegExp]> = [
    ['kind: Nope\n', /kind: must be an EncryptionConfiguration/],
    [configText(aesgcm(['k', randomBytes(7)])), /keys\[0\]\.secret: .*got 7, expected one of \[16 24 32\]/],
    [configText(aesgcm(['k', k1], ['k', k1])), /keys\[1\]\.name: Duplicate value: "k"/],
    [configText(aesgcm(['a:b', k1])), /keys\[0\]\.name: .*should not contain ':'/],
    [configText('      - secretbox: {keys: []}\n'), /secretbox is not supported by Stratus/],
    [configText(IDENTITY, '[pods]'), /resources\[0\]\.resources\[0\]: Invalid value: "pods"/],
    [configText('      - {}\n'), /providers\[0\]: exactly one provider type/],
  ];
  for (const [text, message] of bad) assert.throws(() => parseEncryptionConfig(text), message);
});

test('sealed values: AES-GCM and AES-CBC round trips, bound to their object, stale unless the first key', () => {
  const [k1, k2] = [randomBytes(32), randomBytes(16)];
  const rotated = parseEncryptionConfig(configText(aesgcm(['new', k2], ['old', k1]))).providersFor(
    'secrets',
  )!;
  const old = parseEncryptionConfig(configText(aesgcm(['old', k1]))).providersFor('secrets')!;
  const sealed = sealValue(old[0]!, 'hello', 'secrets/a/b')!;
  assert.match(sealed, /^k8s:enc:aesgcm:v1:old:/);
  assert.ok(!sealed.includes('hello'));
  assert.deepEqual(openValue(old, sealed, 'secrets/a/b'), { plaintext: 'hello', stale: false });
  assert.deepEqual(openValue(rotated, sealed, 'secrets/a/b'), { plaintext: 'hello', stale: true });
  const fresh = sealValue(rotated[0]!, 'hello', 'secrets/a/b')!;
  assert.match(fresh, /^k8s:enc:aesgcm:v1:new:/);
  assert.throws(() => openValue(old, fresh, 'secrets/a/b'), /no aesgcm key named "new"/);
  // Copied onto another object, or altered, it does not open.
  assert.throws(() => openValue(old, sealed, 'secrets/a/c'), /decryption with key "old" failed/);
  const flipped = sealed.slice(0, -4) + (sealed.endsWith('AAAA') ? 'BBBB' : 'AAAA');
  assert.throws(() => openValue(old, flipped, 'secrets/a/b'), /STORE_DECRYPT_FAILED|failed/);
  const cbc = parseEncryptionConfig(
    configText(
      '      - aescbc:\n          keys:\n            - name: c\n' +
        `              secret: ${k1.toString('base64')}\n`,
    ),
  ).providersFor('secrets')!;
  const c = sealValue(cbc[0]!, 'world', 'x')!;
  assert.match(c, /^k8s:enc:aescbc:v1:c:/);
  assert.equal(openValue(cbc, c, 'x').plaintext, 'world');
  assert.equal(sealValue({ type: 'identity', keys: [] }, 'x', 'x'), undefined);
});

async function withStores(
  body: (inner: SqliteStore, open: (config: EncryptionConfig) => EncryptingStore) => Promise<void>,
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-encrypting-'));
  const inner = await SqliteStore.open(join(dir, 'state.db'), { compactIntervalMs: 0 });
  try {
    await body(
      inner,
      (config) =>
        new EncryptingStore(inner, {
          config,
          writeOnly: { 'accesskeys.iam.stratus.dev': ['spec.secretAccessKey'] },
        }),
    );
  } finally {
    await inner.close();
    await rm(dir, { recursive: true, force: true });
  }
}

test('the encrypting store: ciphertext below, plaintext above, labels still select, rotation marks stale', async () => {
  await withStores(async (inner, open) => {
    const [k1, k2] = [randomBytes(32), randomBytes(32)];
    const first = open(parseEncryptionConfig(configText(aesgcm(['k1', k1]) + IDENTITY)));
    const rec = await Recorder.start(first, 'secrets', { fromRevision: await inner.currentRevision() });
    const made = await first.create('secrets', secret('a', 'top-secret', { app: 'x' }));
    assert.deepEqual(made['data'], secret('a', 'top-secret').data, 'the reply is plaintext');
    const raw = (await inner.get('secrets', 'default', 'a'))!;
    assert.ok(!JSON.stringify(raw).includes(Buffer.from('top-secret').toString('base64')));
    assert.match(String(raw[SEALED_FIELD]), /^k8s:enc:aesgcm:v1:k1:/);
    assert.deepEqual(raw.metadata.labels, { app: 'x' }, 'labels stay readable for selectors');
    assert.equal(raw.type, 'Opaque');
    const read = await first.get('secrets', 'default', 'a');
    assert.deepEqual(read?.['data'], secret('a', 'top-secret').data);
    assert.equal((await first.list('secrets', { labelSelector: 'app=x' })).items.length, 1);
    const [event] = await rec.waitFor(1);
    assert.deepEqual(event?.object['data'], secret('a', 'top-secret').data);
    await rec.close();
    // A plaintext object written before encryption reads, and is stale.
    await inner.create('secrets', secret('legacy', 'old'));
    const legacy = (await first.get('secrets', 'default', 'legacy'))!;
    assert.equal(first.isStale('secrets', legacy), true);
    assert.equal(first.isStale('secrets', read!), false);

    const rotated = open(parseEncryptionConfig(configText(aesgcm(['k2', k2], ['k1', k1]))));
    const again = (await rotated.get('secrets', 'default', 'a'))!;
    assert.equal(rotated.isStale('secrets', again), true, 'sealed with a key no longer first');
    const rewritten = await rotated.update('secrets', again);
    assert.equal(rotated.isStale('secrets', rewritten), false);
    assert.match(String((await inner.get('secrets', 'default', 'a'))![SEALED_FIELD]), /:k2:/);

    const lost = open(parseEncryptionConfig(configText(aesgcm(['k3', randomBytes(32)]))));
    await rejectsWith(lost.get('secrets', 'default', 'a'), 'STORE_DECRYPT_FAILED', 500);
    await lost.delete('secrets', 'default', 'a');
    assert.equal(await inner.get('secrets', 'default', 'a'), undefined, 'what no key opens can be deleted');
  });
});

test('stored text for the watch cache: plaintext resources as the store wrote them, encrypted ones opened', async () => {
  await withStores(async (inner, open) => {
    const store = open(parseEncryptionConfig(configText(aesgcm(['k1', randomBytes(32)]))));
    const from = await inner.currentRevision();
    const secrets: StoredChange[] = [];
    const configMaps: StoredChange[] = [];
    const watchers = [
      await store.watchStored('secrets', from, (c) => secrets.push(c)),
      await store.watchStored('configmaps', from, (c) => configMaps.push(c)),
    ];
    await store.create('secrets', secret('a', 'top-secret'));
    const cm = await store.create('configmaps', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c', namespace: 'default' },
      data: { k: 'v' },
    });
    while (secrets.length < 1 || configMaps.length < 1) await new Promise((r) => setImmediate(r));
    const opened = JSON.parse(secrets[0]?.value ?? '{}') as KubeObject;
    assert.deepEqual(opened['data'], secret('a', 'top-secret').data, 'an encrypted resource arrives opened');
    assert.equal(opened[SEALED_FIELD], undefined);
    assert.equal(configMaps[0]?.value, JSON.stringify(cm), 'a plaintext one as the store wrote it');
    const listed = await store.listStored('secrets');
    assert.deepEqual((JSON.parse(listed.items[0]?.value ?? '{}') as KubeObject)['data'], opened['data']);
    for (const w of watchers) await w.close();
  });
});

test('write-only fields: shown by the create reply and the revealing view only, kept by updates, immutable', async () => {
  await withStores(async (inner, open) => {
    const store = open(parseEncryptionConfig(configText(aesgcm(['k1', randomBytes(32)]))));
    const key: KubeObject = {
      apiVersion: 'iam.stratus.dev/v1',
      kind: 'AccessKey',
      metadata: { name: 'AKIAEXAMPLE' },
      spec: { user: 'alice', secretAccessKey: 'S'.repeat(40) },
    };
    // As `kubectl apply` sends it: a copy of the manifest in an annotation.
    key.metadata.annotations = { [LAST_APPLIED]: JSON.stringify(key) };
    const R = 'accesskeys.iam.stratus.dev';
    const made = await store.create(R, key);
    assert.equal((made.spec as { secretAccessKey?: string }).secretAccessKey, 'S'.repeat(40));
    const read = (await store.get(R, '', 'AKIAEXAMPLE'))!;
    assert.deepEqual(read.spec, { user: 'alice' });
    const applied = JSON.parse(read.metadata.annotations?.[LAST_APPLIED] ?? '') as KubeObject;
    assert.deepEqual(applied.spec, { user: 'alice' });
    assert.deepEqual((await store.list(R)).items[0]?.spec, { user: 'alice' });
    assert.ok(!JSON.stringify(await inner.get(R, '', 'AKIAEXAMPLE')).includes('S'.repeat(40)));
    const labelled = await store.update(R, { ...read, metadata: { ...read.metadata, labels: { a: 'b' } } });
    assert.deepEqual(labelled.spec, { user: 'alice' });
    const revealed = (await store.revealing().get(R, '', 'AKIAEXAMPLE'))!;
    assert.equal((revealed.spec as { secretAccessKey?: string }).secretAccessKey, 'S'.repeat(40));
    await rejectsWith(
      store.update(R, { ...labelled, spec: { user: 'alice', secretAccessKey: 'T'.repeat(40) } }),
      'STORE_FIELD_IMMUTABLE',
      422,
    );
  });
});
