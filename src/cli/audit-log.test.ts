import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditEvent } from '../api/index.js';
import { kubectlSkipReason, runKubectl } from '../controllers/testing.js';
import { startServer, type RunningServer } from './server.js';

const skip = kubectlSkipReason() ?? false;
let dir: string;
let server: RunningServer;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stratus-audit-'));
  if (skip !== false) return;
  server = await startServer({
    dataDir: join(dir, 'data'),
    apiPort: 0,
    audit: { maxBytes: 64 * 1024, maxBackups: 1 },
  });
});
after(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

const kubectl = (args: string[]) => runKubectl(dir, server.kubeconfigPath, args);

async function events(): Promise<AuditEvent[]> {
  const path = join(dir, 'data', 'audit.log');
  const files = [`${path}.1`, path].filter((f) => existsSync(f));
  const text = (await Promise.all(files.map((f) => readFile(f, 'utf8')))).join('');
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as AuditEvent);
}

test(
  'the audit log records every mutating and every refused request: who, what, when, result',
  { skip },
  async () => {
    let r = await kubectl(['create', 'configmap', 'audited', '--from-literal=k=v']);
    assert.equal(r.code, 0, r.stderr);
    r = await kubectl(['get', 'configmap', 'audited']);
    assert.equal(r.code, 0, r.stderr);
    r = await kubectl(['create', 'configmap', 'audited', '--from-literal=k=v']);
    assert.notEqual(r.code, 0, 'already exists');
    r = await kubectl(['get', 'secrets', '--as=mallory']);
    assert.match(r.stderr, /forbidden/);
    const bad = await fetch(`${server.httpUrl}/api/v1/namespaces/default/pods`, {
      headers: { authorization: 'Bearer not-a-token' },
    });
    assert.equal(bad.status, 401);
    r = await kubectl(['delete', 'configmap', 'audited']);
    assert.equal(r.code, 0, r.stderr);

    const all = await events();
    const about = all.filter((e) => e.objectRef?.name === 'audited');
    assert.deepEqual(
      about.map((e) => `${e.verb} ${e.responseStatus.code} ${e.user.username ?? ''}`),
      ['create 201 admin', 'create 409 admin', 'delete 200 admin'],
      'the get was not logged; the failed create was, with its result',
    );
    const [created, conflict] = about;
    assert.deepEqual(created?.objectRef, {
      resource: 'configmaps',
      namespace: 'default',
      name: 'audited',
      apiVersion: 'v1',
    });
    assert.match(created?.userAgent ?? '', /^kubectl/);
    assert.equal(created?.sourceIPs[0], '127.0.0.1');
    assert.ok(
      Date.parse(created?.stageTimestamp ?? '') >= Date.parse(created?.requestReceivedTimestamp ?? ''),
    );
    assert.equal(conflict?.responseStatus.reason, 'AlreadyExists');

    const denied = all.find((e) => e.impersonatedUser?.username === 'mallory');
    assert.equal(denied?.verb, 'list');
    assert.equal(denied?.user.username, 'admin', 'who asked, and whom they acted as');
    assert.equal(denied?.responseStatus.code, 403);
    assert.equal(denied?.annotations?.['authorization.k8s.io/decision'], 'forbid');
    assert.match(denied?.responseStatus.message ?? '', /User "mallory" cannot list resource "secrets"/);

    const unauthenticated = all.find((e) => e.responseStatus.code === 401);
    assert.deepEqual(unauthenticated?.user, {});
    assert.equal(unauthenticated?.requestURI, '/api/v1/namespaces/default/pods');
    const reads = all.filter((e) => ['get', 'list', 'watch'].includes(e.verb));
    assert.ok(
      reads.every((e) => e.responseStatus.code === 401 || e.responseStatus.code === 403),
      'allowed reads are never logged',
    );
  },
);
