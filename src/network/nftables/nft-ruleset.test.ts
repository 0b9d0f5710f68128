import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalizeConfig, type ListenerConfig } from '../proxy-config.js';
import { kernelCapable, kernelEndpoints, nftRuleset, tableName } from './nft-ruleset.js';

const listener = (extra: Partial<ListenerConfig> = {}): ListenerConfig => ({
  name: 'default/web:80',
  address: '127.77.0.10',
  port: 80,
  protocol: 'tcp',
  endpoints: [
    { id: 'a', address: '127.0.0.1', port: 31001, weight: 3 },
    { id: 'b', address: '127.0.0.1', port: 31002, weight: 1 },
  ],
  ...extra,
});
const one = (l: ListenerConfig) => normalizeConfig({ listeners: [l] });

test('round robin takes turns with numgen inc; weights become ranges of it; source-hash uses jhash', () => {
  assert.match(
    nftRuleset('t', one(listener())).script,
    /chain svc-0 \{\n\s+numgen inc mod 2 vmap \{ 0 : goto ep-0-0, 1 : goto ep-0-1 \}/,
  );
  const weighted = nftRuleset('t', one(listener({ algorithm: 'weighted-round-robin' })));
  assert.match(weighted.script, /numgen inc mod 4 vmap \{ 0-2 : goto ep-0-0, 3 : goto ep-0-1 \}/);
  assert.match(
    weighted.script,
    /chain ep-0-0 \{\n\s+counter\n\s+meta l4proto tcp dnat to 127\.0\.0\.1:31001\n/,
  );
  assert.match(weighted.script, /elements = \{ 127\.77\.0\.10 \. tcp \. 80 : goto svc-0 \}/);
  assert.deepEqual(weighted.chains.get('ep-0-1'), { listener: 'default/web:80', endpoint: 'b' });
  const hashed = nftRuleset('t', one(listener({ algorithm: 'source-hash', protocol: 'udp' }))).script;
  assert.match(hashed, /jhash ip saddr mod 2 vmap \{ 0 : goto ep-0-0, 1 : goto ep-0-1 \}/);
  assert.match(hashed, /meta l4proto udp dnat to 127\.0\.0\.1:31001/);
});

test('ClientIP affinity: a dynamic set per endpoint, checked before the choice, refreshed on use', () => {
  const { script } = nftRuleset(
    't',
    one(listener({ persistence: { type: 'source', timeoutMs: 10_800_000 } })),
  );
  assert.match(script, /set aff-0-0 \{ type ipv4_addr; flags dynamic,timeout; timeout 10800s; \}/);
  assert.match(
    script,
    /chain svc-0 \{\n\s+ip saddr @aff-0-0 goto ep-0-0\n\s+ip saddr @aff-0-1 goto ep-0-1\n\s+numgen/,
  );
  assert.match(script, /chain ep-0-1 \{\n\s+counter\n\s+update @aff-0-1 \{ ip saddr \}\n/);
});

test('the whole table is replaced in one transaction; a listener with nowhere to send is left out', () => {
  const { script } = nftRuleset('stratus-n1', one(listener({ endpoints: [] })));
  assert.match(script, /^table ip stratus-n1 \{\}\ndelete table ip stratus-n1\ntable ip stratus-n1 \{\n/);
  assert.doesNotMatch(script, /elements|chain svc-/);
  assert.match(
    script,
    /type nat hook output priority -100; policy accept;\n\s+ip daddr \. meta l4proto \. th dport vmap @services/,
  );
  assert.match(script, /type nat hook prerouting priority -100/);
});

test('endpoints: ready ones; when none is ready, the terminating ones still serving (no refusal in a rollout)', () => {
  const [l] = one(
    listener({
      endpoints: [
        { id: 'old', address: '127.0.0.1', port: 1, ready: false, serving: true, terminating: true },
        { id: 'gone', address: '127.0.0.1', port: 2, ready: false, serving: false, terminating: true },
        { id: 'new', address: '127.0.0.1', port: 3, ready: false },
      ],
    }),
  );
  assert.deepEqual(
    kernelEndpoints(l!).map((e) => e.id),
    ['old'],
  );
  const [w] = one(
    listener({
      algorithm: 'weighted-round-robin',
      endpoints: [{ id: 'z', address: '127.0.0.1', port: 1, weight: 0 }],
    }),
  );
  assert.deepEqual(kernelEndpoints(w!), []);
});

test('only what the kernel does exactly as userspace goes there', () => {
  const capable = (extra: Partial<ListenerConfig>) => kernelCapable(one(listener(extra))[0]!);
  assert.equal(capable({}), true);
  assert.equal(capable({ protocol: 'http' }), false);
  assert.equal(capable({ algorithm: 'least-connections' }), false);
  assert.equal(capable({ healthCheck: { type: 'tcp' } }), false);
  assert.equal(capable({ port: 0 }), false);
  assert.equal(capable({ address: '::1' }), false);
  assert.equal(tableName('Node.1:x'), 'stratus-Node_1_x');
});
