import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultPullPolicy, familiarName, normalizeReference, parseReference } from './reference.js';

const D = `sha256:${'a'.repeat(64)}`;

test('references normalize as Docker does', () => {
  const cases: [string, string][] = [
    ['busybox', 'docker.io/library/busybox:latest'],
    ['library/busybox:1.36', 'docker.io/library/busybox:1.36'],
    ['docker.io/busybox', 'docker.io/library/busybox:latest'],
    ['index.docker.io/team/app:v1', 'docker.io/team/app:v1'],
    ['team/app', 'docker.io/team/app:latest'],
    ['localhost/app', 'localhost/app:latest'],
    ['localhost:5000/x/y:tag', 'localhost:5000/x/y:tag'],
    ['127.0.0.1:5000/x', '127.0.0.1:5000/x:latest'],
    ['quay.io/a/b/c:1.0-rc_1', 'quay.io/a/b/c:1.0-rc_1'],
    [`busybox@${D}`, `docker.io/library/busybox@${D}`],
    [`host:5000/x/y:tag@${D}`, `host:5000/x/y:tag@${D}`],
    ['a__b/c.d-e', 'docker.io/a__b/c.d-e:latest'],
  ];
  for (const [input, want] of cases) assert.equal(normalizeReference(input), want, input);
});

test('invalid references are refused with a reason', () => {
  for (const bad of ['', 'Busybox', 'busybox:', 'busybox@sha256:abc', 'a//b', 'a/-b', ':tag', 'x:y:z/w']) {
    assert.throws(() => parseReference(bad), { code: 'IMAGE_REFERENCE_INVALID' }, bad);
  }
});

test('familiar names and default pull policies', () => {
  assert.equal(familiarName(parseReference('busybox')), 'busybox');
  assert.equal(familiarName(parseReference('team/app')), 'team/app');
  assert.equal(familiarName(parseReference('localhost:5000/app')), 'localhost:5000/app');
  assert.equal(defaultPullPolicy('busybox'), 'Always');
  assert.equal(defaultPullPolicy('busybox:latest'), 'Always');
  assert.equal(defaultPullPolicy('busybox:1.36'), 'IfNotPresent');
  assert.equal(defaultPullPolicy(`busybox@${D}`), 'IfNotPresent');
});
