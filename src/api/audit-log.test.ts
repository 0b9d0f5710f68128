import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { auditEvent, shouldAudit, type AuditEvent } from './audit-event.js';
import { AuditLog } from './audit-log.js';
import { requestInfo } from './request-attributes.js';

const event = (name: string, code = 201): AuditEvent =>
  auditEvent({
    id: name,
    info: requestInfo('POST', '/api/v1/namespaces/default/configmaps', new URLSearchParams()),
    requestURI: '/api/v1/namespaces/default/configmaps',
    sourceIP: '127.0.0.1',
    userAgent: 'test',
    code,
    trace: { user: { username: 'alice', groups: ['system:authenticated'] }, name },
    receivedMs: 0,
    doneMs: 1,
  });

test('audit events: mutating and refused requests only, with who, what, when and the result', () => {
  assert.equal(shouldAudit('create', 201), true);
  assert.equal(shouldAudit('delete', 404), true);
  assert.equal(shouldAudit('get', 200), false);
  assert.equal(shouldAudit('list', 403), true);
  assert.equal(shouldAudit('watch', 401), true);
  const e = event('cm-1');
  assert.deepEqual(e.objectRef, {
    resource: 'configmaps',
    namespace: 'default',
    name: 'cm-1',
    apiVersion: 'v1',
  });
  assert.equal(e.verb, 'create');
  assert.equal(e.user.username, 'alice');
  assert.equal(e.requestReceivedTimestamp, '1970-01-01T00:00:00.000000Z');
  assert.deepEqual(e.responseStatus, { metadata: {}, code: 201 });
  assert.deepEqual(e.annotations, { 'authorization.k8s.io/decision': 'allow' });
  const refused = auditEvent({
    ...{ id: 'x', requestURI: '/api/v1/secrets', sourceIP: '::1', userAgent: undefined, code: 403 },
    info: requestInfo('GET', '/api/v1/secrets', new URLSearchParams()),
    trace: { status: { reason: 'Forbidden', message: 'no' } },
    receivedMs: 0,
    doneMs: 0,
  });
  assert.deepEqual(refused.responseStatus, {
    metadata: {},
    code: 403,
    status: 'Failure',
    reason: 'Forbidden',
    message: 'no',
  });
  assert.deepEqual(refused.user, {});
  assert.equal(refused.annotations?.['authorization.k8s.io/decision'], 'forbid');
});

test('the audit log: JSON lines, mode 0600, rotated at maxBytes keeping maxBackups files', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-audit-'));
  const path = join(dir, 'logs', 'audit.log');
  try {
    const line = JSON.stringify(event('cm-0000')).length + 1;
    const log = new AuditLog({ path, maxBytes: line * 3, maxBackups: 2 });
    for (let i = 0; i < 20; i++) log.record(event(`cm-${String(i).padStart(4, '0')}`));
    log.close();
    assert.deepEqual(log.stats, { written: 20, dropped: 0 });
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.equal(existsSync(`${path}.3`), false, 'only maxBackups rotated files are kept');
    const files = [`${path}.2`, `${path}.1`, path];
    const names: string[] = [];
    for (const f of files) {
      const text = await readFile(f, 'utf8');
      assert.ok(text.length <= line * 3, `${f} holds at most maxBytes`);
      for (const l of text.trimEnd().split('\n'))
        names.push((JSON.parse(l) as AuditEvent).objectRef?.name ?? '');
    }
    // The newest events in order, oldest file first: files of 3 lines, the current one has 2.
    const kept = (from: number, to: number): string[] =>
      Array.from({ length: to - from + 1 }, (_, i) => `cm-${String(from + i).padStart(4, '0')}`);
    assert.deepEqual(names, kept(12, 19));
    // Reopening appends to what is there, and rotates when full.
    const again = new AuditLog({ path, maxBytes: line * 3, maxBackups: 2 });
    again.record(event('cm-0020'));
    again.record(event('cm-0021'));
    again.close();
    assert.match(await readFile(`${path}.1`, 'utf8'), /cm-0018[^]*cm-0019[^]*cm-0020/);
    assert.match(await readFile(`${path}.2`, 'utf8'), /cm-0015/);
    assert.match(await readFile(path, 'utf8'), /^[^\n]*cm-0021[^\n]*\n$/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
