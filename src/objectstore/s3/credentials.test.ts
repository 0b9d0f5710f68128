import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../store/sqlite-store.js';
import { ACCESS_KEY_RESOURCE, StoreCredentials, bootstrapS3Admin, createAccessKey } from './credentials.js';

test('access keys are created in the store, cached, and forgotten when deleted', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-cred-'));
  const store = await SqliteStore.open(join(dir, 'store.db'));
  const creds = new StoreCredentials(store);
  try {
    const key = await createAccessKey(store, 'alice');
    assert.match(key.accessKeyId, /^AKIA[A-Z2-7]{16}$/);
    assert.equal(key.secretAccessKey.length, 40);
    assert.deepEqual(await creds.lookup(key.accessKeyId), {
      secretAccessKey: key.secretAccessKey,
      user: 'alice',
    });
    assert.equal(await creds.lookup('AKIANOSUCHKEY0000000'), undefined);
    const later = await createAccessKey(store, 'bob');
    assert.equal((await creds.lookup(later.accessKeyId))?.user, 'bob');
    await store.delete(ACCESS_KEY_RESOURCE, '', key.accessKeyId);
    let gone = false;
    for (let i = 0; i < 500 && !gone; i++) {
      gone = (await creds.lookup(key.accessKeyId)) === undefined;
      if (!gone) await new Promise((r) => setTimeout(r, 10));
    }
    assert.ok(gone, 'a deleted key stops working');
  } finally {
    await creds.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('bootstrapS3Admin writes aws-cli files with mode 0600 once and reuses the pair', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-boot-'));
  const store = await SqliteStore.open(join(dir, 'store.db'));
  try {
    const first = await bootstrapS3Admin(store, dir, { endpoint: 'http://127.0.0.1:9000' });
    assert.equal(first.user, 'admin');
    const text = await readFile(join(dir, 's3-credentials'), 'utf8');
    assert.equal(
      text,
      `[default]\naws_access_key_id = ${first.accessKeyId}\naws_secret_access_key = ${first.secretAccessKey}\n`,
    );
    assert.equal((await stat(join(dir, 's3-credentials'))).mode & 0o777, 0o600);
    assert.equal((await stat(join(dir, 's3-config'))).mode & 0o777, 0o600);
    assert.match(
      await readFile(join(dir, 's3-config'), 'utf8'),
      /endpoint_url = http:\/\/127\.0\.0\.1:9000\ns3 =\n {4}addressing_style = path\n/,
    );
    const second = await bootstrapS3Admin(store, dir, {
      endpoint: 'https://127.0.0.1:9000',
      caBundle: '/data/tls/ca.crt',
    });
    assert.deepEqual(second, first);
    assert.match(
      await readFile(join(dir, 's3-config'), 'utf8'),
      /endpoint_url = https:\/\/127\.0\.0\.1:9000\nca_bundle = \/data\/tls\/ca\.crt\ns3 =\n/,
    );
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
});
