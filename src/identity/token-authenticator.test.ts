import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ManualClock } from '../common/clock.js';
import { SqliteStore } from '../store/index.js';
import { eventually } from '../api/testing.js';
import { bootstrapAdmin } from './bootstrap-admin.js';
import { TokenAuthenticator } from './token-authenticator.js';
import { createToken, hashToken, newToken, TOKEN_NAMESPACE, tokenSecretName } from './token-secret.js';

async function withStore(fn: (store: SqliteStore, dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-identity-'));
  const store = await SqliteStore.open(join(dir, 'state.db'), { compactIntervalMs: 0 });
  try {
    await fn(store, dir);
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

test('a created token authenticates its user and is stored only as a hash', () =>
  withStore(async (store) => {
    const token = await createToken(store, { username: 'alice', groups: ['dev'] });
    assert.ok(Buffer.from(token, 'base64url').length >= 32);
    const auth = new TokenAuthenticator(store);
    assert.deepEqual(await auth.authenticate(`Bearer ${token}`), {
      username: 'alice',
      groups: ['dev', 'system:authenticated'],
    });
    const secret = await store.get('secrets', TOKEN_NAMESPACE, tokenSecretName(hashToken(token)));
    assert.ok(secret);
    assert.equal(secret.type, 'stratus.dev/token');
    assert.ok(!JSON.stringify(secret).includes(token), 'the plain token is not stored');
  }));

test('missing, malformed and unknown tokens do not authenticate', () =>
  withStore(async (store) => {
    await createToken(store, { username: 'alice', groups: [] });
    const auth = new TokenAuthenticator(store);
    assert.equal(await auth.authenticate(undefined), undefined);
    assert.equal(await auth.authenticate('Basic abc'), undefined);
    assert.equal(await auth.authenticate('Bearer '), undefined);
    assert.equal(await auth.authenticate('Bearer not-a-token'), undefined);
  }));

test('a deleted token stops working once the watch has seen the deletion, however warm the cache', () =>
  withStore(async (store) => {
    const token = await createToken(store, { username: 'bob', groups: [] });
    const auth = new TokenAuthenticator(store);
    await auth.start();
    try {
      for (let i = 0; i < 3; i++) assert.ok(await auth.authenticate(`Bearer ${token}`));
      await store.delete('secrets', TOKEN_NAMESPACE, tokenSecretName(hashToken(token)));
      assert.ok(await eventually(async () => (await auth.authenticate(`Bearer ${token}`)) === undefined));
    } finally {
      await auth.close();
    }
  }));

test('an expired token does not authenticate, cached or not', () =>
  withStore(async (store) => {
    const clock = new ManualClock();
    const token = await createToken(store, { username: 'carol', groups: [] }, { clock, ttlMs: 60_000 });
    const auth = new TokenAuthenticator(store, { clock });
    await auth.start();
    try {
      assert.ok(await auth.authenticate(`Bearer ${token}`));
      clock.advance(60_000);
      assert.equal(await auth.authenticate(`Bearer ${token}`), undefined);
      assert.equal(await new TokenAuthenticator(store, { clock }).authenticate(`Bearer ${token}`), undefined);
    } finally {
      await auth.close();
    }
  }));

test('bootstrapAdmin writes a 0600 kubeconfig and keeps the token across starts', () =>
  withStore(async (store, dir) => {
    const first = await bootstrapAdmin(store, dir, { serverUrl: 'http://127.0.0.1:1111' });
    assert.equal((await stat(first.kubeconfigPath)).mode & 0o777, 0o600);
    const doc = parse(await readFile(first.kubeconfigPath, 'utf8')) as {
      'current-context': string;
      clusters: Array<{ cluster: { server: string } }>;
      users: Array<{ user: { token: string } }>;
    };
    assert.equal(doc['current-context'], 'stratus');
    assert.equal(doc.clusters[0]?.cluster.server, 'http://127.0.0.1:1111');
    assert.equal(doc.users[0]?.user.token, first.token);
    const auth = new TokenAuthenticator(store);
    assert.equal((await auth.authenticate(`Bearer ${first.token}`))?.username, 'admin');

    const second = await bootstrapAdmin(store, dir, { serverUrl: 'http://127.0.0.1:2222' });
    assert.equal(second.token, first.token);
    const again = parse(await readFile(second.kubeconfigPath, 'utf8')) as {
      clusters: Array<{ cluster: { server: string } }>;
    };
    assert.equal(again.clusters[0]?.cluster.server, 'http://127.0.0.1:2222');
  }));

test('bootstrapAdmin replaces a kubeconfig token the store no longer holds', () =>
  withStore(async (store, dir) => {
    const first = await bootstrapAdmin(store, dir, { serverUrl: 'http://127.0.0.1:1111' });
    await store.delete('secrets', TOKEN_NAMESPACE, tokenSecretName(hashToken(first.token)));
    const second = await bootstrapAdmin(store, dir, { serverUrl: 'http://127.0.0.1:1111' });
    assert.notEqual(second.token, first.token);
  }));

test('tokens never start with a dash, so a command line takes them as values of --token', () => {
  const tokens = Array.from({ length: 1000 }, () => newToken());
  for (const token of tokens) assert.match(token, /^stratus_[A-Za-z0-9_-]{43}$/);
  assert.equal(new Set(tokens).size, tokens.length);
});
