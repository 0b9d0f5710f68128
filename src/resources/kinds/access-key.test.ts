import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../common/kube-object.js';
import { formatFieldError } from '../errors.js';
import { createRegistry } from '../registry.js';

const registry = createRegistry();
const type = registry.byKind('iam.stratus.dev/v1', 'AccessKey')!;
const key = (name: string, spec: Record<string, unknown>): KubeObject => ({
  apiVersion: 'iam.stratus.dev/v1',
  kind: 'AccessKey',
  metadata: { name },
  spec,
});
const errors = (o: KubeObject): string[] => type.validate(type.defaults(o), undefined).map(formatFieldError);
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

test('AccessKey is cluster-scoped under accesskeys.iam.stratus.dev and accepts an AWS-style pair', () => {
  assert.equal(type.namespaced, false);
  assert.equal(type.storageResource, 'accesskeys.iam.stratus.dev');
  assert.equal(registry.resolve('accesskeys'), type);
  assert.deepEqual(errors(key('AKIAIOSFODNN7EXAMPLE', { user: 'admin', secretAccessKey: SECRET })), []);
});

test('AccessKey needs a user and a 40-character secret, and never shows the secret in errors or tables', () => {
  const missing = errors(key('AKIAIOSFODNN7EXAMPLE', {}));
  assert.ok(
    missing.some((e) => e.includes('spec.user')),
    missing.join('\n'),
  );
  assert.ok(
    missing.some((e) => e.includes('spec.secretAccessKey')),
    missing.join('\n'),
  );
  // Reads never show the secret, so an update (a relabel) may leave it out.
  const stored = key('AKIAIOSFODNN7EXAMPLE', { user: 'admin', secretAccessKey: SECRET });
  assert.deepEqual(type.validate(key('AKIAIOSFODNN7EXAMPLE', { user: 'admin' }), stored), []);
  const short = errors(key('AKIAIOSFODNN7EXAMPLE', { user: 'admin', secretAccessKey: 'tooShortSecret' }));
  assert.equal(short.length, 1);
  assert.ok(!short[0]!.includes('tooShortSecret'), short[0]);
  assert.equal(errors(key('AKIA IOSFODNN7', { user: 'admin', secretAccessKey: SECRET })).length, 1);
  const cells = type.cells(key('AKIAIOSFODNN7EXAMPLE', { user: 'admin', secretAccessKey: SECRET }), 0);
  assert.equal(cells.length, 3);
  assert.ok(!cells.includes(SECRET));
});
