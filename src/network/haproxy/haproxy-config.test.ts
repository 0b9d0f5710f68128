import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ALGORITHMS, normalizeConfig, type ListenerConfig } from '../proxy-config.js';
import { balanceLines, renderConfig } from './haproxy-config.js';
import { findHaproxy } from './haproxy-process.js';
import { SlotTable } from './slot-table.js';

const listener = (extra: Partial<ListenerConfig>): ListenerConfig => ({
  name: 'default/web:http',
  address: '127.0.0.1',
  port: 8080,
  protocol: 'http',
  endpoints: [
    { id: 'a', address: '127.0.0.1', port: 9001, weight: 3 },
    { id: 'b', address: '127.0.0.1', port: 9002, terminating: true, ready: false },
  ],
  ...extra,
});

function render(extra: Partial<ListenerConfig>, bake = true): string {
  const ls = normalizeConfig({ listeners: [listener(extra)] });
  const t = new SlotTable(2);
  t.assign(ls[0]!.endpoints.map((e) => e.id));
  return renderConfig(
    ls,
    new Map([['default/web:http', t]]),
    { dir: '/tmp/x', threads: 2, cookieKey: 'k', hardStopAfterMs: 1000 },
    bake,
  );
}

describe('haproxy configuration', () => {
  it('maps every algorithm to a balance line', () => {
    const lines = ALGORITHMS.map((algorithm) =>
      balanceLines(
        normalizeConfig({
          listeners: [listener({ algorithm, hashOn: { source: 'cookie', name: 'sid' } })],
        })[0]!,
      ).join(' | '),
    );
    assert.deepEqual(lines, [
      'balance roundrobin',
      'balance roundrobin',
      'balance leastconn',
      'balance leastconn',
      'balance random(2)',
      'balance source | hash-type map-based sdbm avalanche',
      'balance hash req.cook(sid) | hash-type consistent sdbm avalanche',
    ]);
  });

  it('writes occupied slots with their state and free ones as a server-template range', () => {
    const text = render({ algorithm: 'weighted-round-robin' });
    assert.match(text, /server s1 127\.0\.0\.1:9001 weight 3\n/);
    assert.match(text, /server s2 127\.0\.0\.1:9002 weight 1 disabled\n/);
    assert.match(text, /server-template s 3-8 0\.0\.0\.0:0 disabled\n/);
    assert.equal(render({}, false).includes('9001'), false, 'the structure holds no endpoint state');
    assert.equal(render({}, false), render({ endpoints: [] }, false));
  });

  it('produces configurations HAProxy accepts, for every algorithm and option', (t) => {
    const binary = findHaproxy();
    if (binary === undefined) {
      if (process.env.CI === 'true') throw new Error('HAProxy is not installed');
      return t.skip('HAProxy is not installed');
    }
    const dir = mkdtempSync(join(tmpdir(), 'stratus-hcfg-'));
    try {
      for (const algorithm of ALGORITHMS) {
        const text = render({
          algorithm,
          hashOn: { source: 'header', name: 'x-user' },
          persistence: { type: 'cookie', cookieName: 'LB' },
          healthCheck: { type: 'http', path: '/healthz' },
          passiveHealth: {},
          maxConnectionsPerEndpoint: 10,
          maxBodyBytes: 1000,
          ...(algorithm.startsWith('weighted') ? { slowStartMs: 5000 } : {}),
        });
        writeFileSync(join(dir, 'h.cfg'), text);
        const result: SpawnSyncReturns<string> = spawnSync(binary, ['-c', '-f', join(dir, 'h.cfg')], {
          encoding: 'utf8',
        });
        assert.equal(result.status, 0, `${algorithm}: ${result.stderr}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
