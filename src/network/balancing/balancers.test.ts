import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ALGORITHMS, type AlgorithmName } from '../proxy-config.js';
import { seededRandom, type Candidate } from './balancer.js';
import { balancingContract, type BalancingSubject, type SubjectEndpoint } from './balancing-contract.js';
import { createBalancer } from './create-balancer.js';
import { slowStartWeight } from './slow-start.js';
import { WeightedRoundRobin } from './weighted-round-robin.js';

/** The algorithm alone: in-flight counts kept here, as a data plane keeps them. */
function pureSubject(algorithm: AlgorithmName): BalancingSubject {
  const balancer = createBalancer(algorithm, { random: seededRandom(7) });
  let endpoints: SubjectEndpoint[] = [];
  const active = new Map<string, number>();
  const start = (key?: string) => {
    const candidates: Candidate[] = endpoints.map((e) => ({
      id: e.id,
      weight: e.weight,
      active: active.get(e.id) ?? 0,
    }));
    const chosen = balancer.pick(candidates, { key });
    assert.ok(chosen, 'no endpoint chosen');
    active.set(chosen.id, (active.get(chosen.id) ?? 0) + 1);
    return Promise.resolve({
      endpoint: chosen.id,
      finish: () => {
        active.set(chosen.id, (active.get(chosen.id) ?? 1) - 1);
        return Promise.resolve();
      },
    });
  };
  return {
    setEndpoints: (eps) => {
      endpoints = [...eps];
      return Promise.resolve();
    },
    start,
    send: async (key) => {
      const h = await start(key);
      await h.finish();
      return h.endpoint;
    },
    close: () => Promise.resolve(),
  };
}

for (const algorithm of ALGORITHMS) {
  balancingContract('pure algorithm', algorithm, () => Promise.resolve(pureSubject(algorithm)), {
    exact: true,
  });
}

describe('algorithm details', () => {
  it('every algorithm returns undefined for no candidates and the only one for one', () => {
    for (const algorithm of ALGORITHMS) {
      const b = createBalancer(algorithm);
      assert.equal(b.pick([], { key: 'k' }), undefined, algorithm);
      const only = { id: 'a', weight: 1, active: 9 };
      assert.equal(b.pick([only], { key: 'k' }), only, algorithm);
    }
  });

  it('smooth weighted round robin interleaves 5:1:1 as nginx does', () => {
    const b = new WeightedRoundRobin();
    const c: Candidate[] = [
      { id: 'a', weight: 5, active: 0 },
      { id: 'b', weight: 1, active: 0 },
      { id: 'c', weight: 1, active: 0 },
    ];
    const order = Array.from({ length: 7 }, () => b.pick(c)?.id).join('');
    assert.equal(order, 'aabacaa');
  });

  it('weighted least connections compares load per unit of weight', () => {
    const b = createBalancer('weighted-least-connections');
    const pick = b.pick([
      { id: 'a', weight: 4, active: 3 },
      { id: 'b', weight: 1, active: 1 },
    ]);
    assert.equal(pick?.id, 'a');
  });

  it('power of two draws in proportion to weight', () => {
    const b = createBalancer('power-of-two', { random: seededRandom(3) });
    const seen = new Map<string, number>();
    const c: Candidate[] = [
      { id: 'a', weight: 8, active: 0 },
      { id: 'b', weight: 1, active: 0 },
      { id: 'c', weight: 1, active: 0 },
    ];
    for (let i = 0; i < 1000; i++) {
      const id = b.pick(c)?.id as string;
      seen.set(id, (seen.get(id) ?? 0) + 1);
    }
    // Ties go to the first draw, which is 'a' 80 % of the time.
    assert.ok((seen.get('a') ?? 0) > 700, JSON.stringify([...seen]));
  });

  it('hashing without a key falls back to round robin', () => {
    for (const algorithm of ['source-hash', 'consistent-hash'] as const) {
      const b = createBalancer(algorithm);
      const c: Candidate[] = [
        { id: 'a', weight: 1, active: 0 },
        { id: 'b', weight: 1, active: 0 },
      ];
      assert.deepEqual([b.pick(c)?.id, b.pick(c)?.id, b.pick(c)?.id], ['a', 'b', 'a'], algorithm);
    }
  });

  it('slow start ramps from a tenth of the weight to all of it over the window', () => {
    assert.equal(slowStartWeight(10, 1000, 1000, 10_000), 1);
    assert.equal(slowStartWeight(10, 1000, 6000, 10_000), 5);
    assert.equal(slowStartWeight(10, 1000, 11_000, 10_000), 10);
    assert.equal(slowStartWeight(10, 1000, 5000, 0), 10);
  });
});
