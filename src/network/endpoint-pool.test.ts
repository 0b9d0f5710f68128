import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../common/clock.js';
import { AffinityTable, affinityTableLength } from './affinity-table.js';
import { EndpointPool, persistenceCookie, type ActiveCounts } from './endpoint-pool.js';
import { normalizeConfig, type EndpointConfig, type ListenerConfig } from './proxy-config.js';

class Counts implements ActiveCounts {
  readonly map = new Map<string, number>();
  get(id: string): number {
    return this.map.get(id) ?? 0;
  }
  add(id: string, d: number): void {
    this.map.set(id, this.get(id) + d);
  }
}

const eps = (...ids: string[]): EndpointConfig[] =>
  ids.map((id, i) => ({ id, address: '127.0.0.1', port: 1000 + i }));

function pool(extra: Partial<ListenerConfig>, clock = new ManualClock(), counts = new Counts()) {
  const config = (x: Partial<ListenerConfig>) =>
    normalizeConfig({
      listeners: [
        {
          name: 'l',
          address: '127.0.0.1',
          port: 80,
          protocol: 'http',
          endpoints: eps('a', 'b'),
          ...extra,
          ...x,
        },
      ],
    })[0]!;
  const affinity = new AffinityTable(new Int32Array(affinityTableLength(64)));
  const p = new EndpointPool(config({}), { clock, counts, affinity });
  const pick = (r = {}) => p.choose(r).endpoint?.id;
  return { p, pick, clock, counts, update: (x: Partial<ListenerConfig>) => p.update(config(x)) };
}

describe('endpoint pool', () => {
  it('sends nothing to terminating endpoints while ready ones exist, then falls back to serving ones', () => {
    const { pick, update } = pool({});
    update({ endpoints: [{ ...eps('a')[0]!, terminating: true, ready: false }, ...eps('x', 'b').slice(1)] });
    for (let i = 0; i < 4; i++) assert.equal(pick(), 'b');
    update({ endpoints: [{ ...eps('a')[0]!, terminating: true, ready: false, serving: true }] });
    assert.equal(pick(), 'a');
    update({ endpoints: [{ ...eps('a')[0]!, terminating: true, ready: false, serving: false }] });
    assert.equal(pick(), undefined);
  });

  it('leaves out unhealthy endpoints and ramps them back with slow start', () => {
    const clock = new ManualClock(0);
    const { p, pick } = pool({ algorithm: 'weighted-round-robin', slowStartMs: 10_000 }, clock);
    p.setHealthy('b', false);
    for (let i = 0; i < 5; i++) assert.equal(pick(), 'a');
    p.setHealthy('b', true);
    const share = (): number => {
      let b = 0;
      for (let i = 0; i < 200; i++) if (pick() === 'b') b++;
      return b / 200;
    };
    assert.ok(share() < 0.15, 'a recovered endpoint got its full share at once');
    clock.advance(10_000);
    assert.ok(Math.abs(share() - 0.5) < 0.05, 'slow start did not end');
  });

  it('ejects after consecutive failures and takes the endpoint back after the cool-down', () => {
    const clock = new ManualClock(0);
    const { p, pick } = pool({ passiveHealth: { consecutiveFailures: 3, ejectMs: 5000 } }, clock);
    assert.equal(p.failure('b'), undefined);
    p.success('b');
    p.failure('b');
    p.failure('b');
    assert.equal(p.failure('b'), 5000);
    assert.equal(p.state('b'), 'ejected');
    for (let i = 0; i < 4; i++) assert.equal(pick(), 'a');
    clock.advance(5000);
    assert.equal(p.state('b'), 'serving');
    assert.deepEqual(new Set([pick(), pick()]), new Set(['a', 'b']));
  });

  it('keeps a cookie client on its endpoint while it may take requests', () => {
    const { p, pick } = pool({ persistence: { type: 'cookie' } });
    const cookie = persistenceCookie('l', 'b');
    for (let i = 0; i < 5; i++) assert.equal(p.choose({ cookie }).endpoint?.id, 'b');
    assert.equal(p.choose({ cookie }).endpoint !== undefined && 'persisted' in p.choose({ cookie }), true);
    p.setHealthy('b', false);
    assert.equal(p.choose({ cookie }).endpoint?.id, 'a');
    assert.equal(pick({ cookie: 'forged' }) !== undefined, true);
  });

  it('remembers a client address until the affinity times out', () => {
    const clock = new ManualClock(0);
    const { p } = pool({ persistence: { type: 'source', timeoutMs: 10_000 } }, clock);
    const first = p.choose({ clientAddress: '10.0.0.1' }).endpoint?.id;
    for (let i = 0; i < 5; i++) assert.equal(p.choose({ clientAddress: '10.0.0.1' }).endpoint?.id, first);
    clock.advance(10_001);
    const after = new Set([0, 1, 2].map(() => p.choose({ clientAddress: '10.0.0.1' }).endpoint?.id));
    assert.ok(after.size >= 1);
  });

  it('skips endpoints at their connection limit and says when all are full', () => {
    const counts = new Counts();
    const { p } = pool({ maxConnectionsPerEndpoint: 2 }, new ManualClock(), counts);
    counts.add('a', 2);
    for (let i = 0; i < 3; i++) assert.equal(p.choose().endpoint?.id, 'b');
    counts.add('b', 2);
    assert.deepEqual(p.choose(), { endpoint: undefined, reason: 'full' });
    assert.deepEqual(p.choose({ exclude: new Set(['a', 'b']) }), {
      endpoint: undefined,
      reason: 'no-endpoint',
    });
  });
});
