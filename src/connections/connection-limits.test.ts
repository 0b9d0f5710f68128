import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClientCounts, clientKey, resolveLimits } from './connection-limits.js';

test('limits: given over base over defaults; caps follow the open-file limit', () => {
  assert.deepEqual(resolveLimits(undefined, {}, 20_000), {
    headersTimeoutMs: 30_000,
    keepAliveTimeoutMs: 65_000,
    requestTimeoutMs: 0,
    maxConnections: 5000,
    maxConnectionsPerClient: 1024,
  });
  const small = resolveLimits({}, {}, 1024);
  assert.equal(small.maxConnections, 256);
  assert.equal(small.maxConnectionsPerClient, 64);
  assert.equal(resolveLimits(undefined, {}, 1 << 20).maxConnections, 8192);
  const mixed = resolveLimits({ headersTimeoutMs: 5 }, { headersTimeoutMs: 7, keepAliveTimeoutMs: 9 }, 1024);
  assert.equal(mixed.headersTimeoutMs, 5);
  assert.equal(mixed.keepAliveTimeoutMs, 9);
});

test('client counts: a cap per client and one in total', () => {
  const counts = new ClientCounts({ maxConnections: 3, maxConnectionsPerClient: 2 });
  assert.equal(counts.admit('a'), undefined);
  assert.equal(counts.admit('a'), undefined);
  assert.equal(counts.admit('a'), 'client');
  assert.equal(counts.admit('b'), undefined);
  assert.equal(counts.admit('c'), 'total');
  counts.release('a');
  assert.equal(counts.size, 2);
  assert.equal(counts.admit('c'), undefined);
  assert.equal(counts.admit('a'), 'total');
});

test('client keys: IPv4-mapped IPv6 counts as IPv4', () => {
  assert.equal(clientKey('::ffff:127.0.0.2'), '127.0.0.2');
  assert.equal(clientKey('::1'), '::1');
  assert.equal(clientKey(undefined), '');
});
