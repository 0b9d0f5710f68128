import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../common/clock.js';
import { Expectations } from '../machinery/index.js';
import { canonicalJson, podTemplateHash } from './pod-template-hash.js';

test('the pod-template-hash ignores key order and changes with the template', () => {
  const a = {
    metadata: { labels: { app: 'web', tier: 'x' } },
    spec: { containers: [{ name: 'c', image: 'nginx:1' }] },
  };
  const b = {
    spec: { containers: [{ image: 'nginx:1', name: 'c' }] },
    metadata: { labels: { tier: 'x', app: 'web' } },
  };
  assert.equal(canonicalJson(a), canonicalJson(b));
  assert.equal(podTemplateHash(a), podTemplateHash(b));
  assert.match(podTemplateHash(a), /^[bcdfghjklmnpqrstvwxz2456789]{6,10}$/);
  const c = { ...a, spec: { containers: [{ name: 'c', image: 'nginx:2' }] } };
  assert.notEqual(podTemplateHash(a), podTemplateHash(c));
  assert.notEqual(podTemplateHash(a), podTemplateHash(a, 1), 'the collision count changes the hash');
});

test('expectations hold a controller back until its creations and deletions are seen', () => {
  const clock = new ManualClock();
  const e = new Expectations(clock);
  assert.ok(e.satisfied('ns/rs'));
  e.expect('ns/rs', 2, ['ns/p1']);
  assert.ok(!e.satisfied('ns/rs'));
  e.creationObserved('ns/rs');
  e.creationObserved('ns/rs');
  assert.ok(!e.satisfied('ns/rs'), 'the deletion is still pending');
  e.deletionObserved('ns/rs', 'ns/p1');
  e.deletionObserved('ns/rs', 'ns/p1');
  assert.ok(e.satisfied('ns/rs'));
  e.expect('ns/rs', 1);
  assert.ok(!e.satisfied('ns/rs'));
  clock.advance(5 * 60_000 + 1);
  assert.ok(e.satisfied('ns/rs'), 'an expectation expires after five minutes');
});
