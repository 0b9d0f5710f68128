/**
 * The one behavioural suite of the balancing algorithms. It drives a `BalancingSubject`: the
 * pure algorithm itself (balancers.test.ts) or a whole data plane with real upstream servers
 * and real clients (node and haproxy drivers), so every data plane is held to what the
 * algorithms promise. `exact` subjects (pure) must hit exact counts; data planes get
 * tolerances, since threads and a real network stand between the client and the algorithm.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AlgorithmName } from '../proxy-config.js';

/** An endpoint of the subject: ids are the names the subject reports back. */
export interface SubjectEndpoint {
  id: string;
  weight: number;
}

/** A request in flight: where it went; `finish()` lets it complete. */
export interface HeldRequest {
  endpoint: string;
  finish(): Promise<void>;
}

/** What the suite drives. Keys are IPv4 loopback addresses, usable as a hash key or a source. */
export interface BalancingSubject {
  /** Replaces the endpoint set (ids from a pool the subject knows) and waits until it applies. */
  setEndpoints(endpoints: readonly SubjectEndpoint[]): Promise<void>;
  /** Starts one request and resolves once the endpoint is known; it stays in flight until finished. */
  start(key?: string): Promise<HeldRequest>;
  /** One complete request; the endpoint that served it. */
  send(key?: string): Promise<string>;
  close(): Promise<void>;
}

/** Options of balancingContract. */
export interface ContractOptions {
  /** Pure subjects: exact counts. Data planes: tolerances. */
  exact: boolean;
  /** Keys in the remapping test (default 2,000). */
  remapKeys?: number;
}

/** The ids the suite uses: e0 … e9. */
export const CONTRACT_ENDPOINTS = Array.from({ length: 10 }, (_, i) => `e${i}`);

/** The key of client `i`: a loopback address a data plane can also see as a source address. */
export function contractKey(i: number): string {
  return `127.20.${(i >> 8) & 0xff}.${i & 0xff}`;
}

const equal = (ids: string[], weight = 1): SubjectEndpoint[] => ids.map((id) => ({ id, weight }));

async function counts(
  subject: BalancingSubject,
  n: number,
  key?: (i: number) => string,
): Promise<Map<string, number>> {
  const seen = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const id = await subject.send(key?.(i));
    seen.set(id, (seen.get(id) ?? 0) + 1);
  }
  return seen;
}

function near(
  actual: number | undefined,
  expected: number,
  exact: boolean,
  tolerance: number,
  what: string,
): void {
  const got = actual ?? 0;
  if (exact) assert.equal(got, expected, what);
  else
    assert.ok(Math.abs(got - expected) <= tolerance, `${what}: ${got}, expected ${expected} ± ${tolerance}`);
}

/** Maps each key to its endpoint, `rounds` times, and checks the answer never changes. */
async function keyMap(subject: BalancingSubject, keys: number, rounds = 1): Promise<Map<number, string>> {
  const map = new Map<number, string>();
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < keys; i++) {
      const id = await subject.send(contractKey(i));
      const before = map.get(i);
      if (before !== undefined) assert.equal(id, before, `key ${contractKey(i)} moved without a change`);
      map.set(i, id);
    }
  }
  return map;
}

/** Registers the suite for `algorithm` on the subject that `make` builds. */
export function balancingContract(
  label: string,
  algorithm: AlgorithmName,
  make: () => Promise<BalancingSubject>,
  options: ContractOptions,
): void {
  const { exact } = options;
  describe(`${label}: ${algorithm}`, () => {
    let subject: BalancingSubject;
    before(async () => {
      subject = await make();
    });
    after(async () => {
      await subject.close();
    });

    it('uses only the current endpoints and reaches each of them', async () => {
      await subject.setEndpoints(equal(['e0', 'e1', 'e2']));
      const seen = await counts(subject, 90, contractKey);
      assert.deepEqual([...seen.keys()].sort(), ['e0', 'e1', 'e2']);
      await subject.setEndpoints(equal(['e0', 'e2']));
      const after = await counts(subject, 40, contractKey);
      assert.equal(after.get('e1'), undefined, 'a removed endpoint got requests');
    });

    if (algorithm === 'round-robin') {
      it('gives 3 equal endpoints equal counts, weights ignored', async () => {
        await subject.setEndpoints(equal(['e0', 'e1', 'e2']));
        const seen = await counts(subject, 300);
        for (const id of ['e0', 'e1', 'e2']) near(seen.get(id), 100, exact, 6, id);
        await subject.setEndpoints([
          { id: 'e0', weight: 3 },
          { id: 'e1', weight: 1 },
        ]);
        const weighted = await counts(subject, 200);
        near(weighted.get('e0'), 100, exact, 6, 'e0 with weight 3');
      });
    }

    if (algorithm === 'weighted-least-connections') {
      it('spreads concurrent requests 3:1 over weights 3:1', async () => {
        await subject.setEndpoints([
          { id: 'e0', weight: 3 },
          { id: 'e1', weight: 1 },
        ]);
        const held: HeldRequest[] = [];
        try {
          for (let i = 0; i < 8; i++) held.push(await subject.start());
          const onHeavy = held.filter((h) => h.endpoint === 'e0').length;
          near(onHeavy, 6, exact, 1, 'requests in flight on e0 (weight 3) of 8');
        } finally {
          for (const h of held) await h.finish();
        }
      });
    }

    if (algorithm === 'weighted-round-robin') {
      it('follows weights 3:1', async () => {
        await subject.setEndpoints([
          { id: 'e0', weight: 3 },
          { id: 'e1', weight: 1 },
        ]);
        const seen = await counts(subject, 400);
        near(seen.get('e0'), 300, exact, 12, 'e0 (weight 3)');
        near(seen.get('e1'), 100, exact, 12, 'e1 (weight 1)');
      });
    }

    if (algorithm === 'least-connections' || algorithm === 'weighted-least-connections') {
      it('steers new requests away from endpoints holding slow ones', async () => {
        await subject.setEndpoints(equal(['e0', 'e1', 'e2']));
        const held = [await subject.start(), await subject.start()];
        try {
          const busy = new Set(held.map((h) => h.endpoint));
          assert.equal(busy.size, 2, 'two slow requests went to one endpoint');
          const seen = await counts(subject, 30);
          const free = ['e0', 'e1', 'e2'].find((id) => !busy.has(id)) as string;
          assert.equal(
            seen.get(free),
            30,
            `fast requests went to busy endpoints: ${JSON.stringify([...seen])}`,
          );
        } finally {
          for (const h of held) await h.finish();
        }
      });
    }

    if (algorithm === 'power-of-two') {
      it('rarely chooses the endpoint holding a slow request', async () => {
        await subject.setEndpoints(equal(['e0', 'e1', 'e2']));
        const held = await subject.start();
        try {
          const seen = await counts(subject, 150);
          const share = (seen.get(held.endpoint) ?? 0) / 150;
          // Round robin would give it a third; two distinct draws never choose it, HAProxy's
          // draws (which may repeat) about a ninth.
          assert.ok(share <= (exact ? 0 : 0.2), `the busy endpoint got ${(share * 100).toFixed(0)} %`);
        } finally {
          await held.finish();
        }
      });
    }

    if (algorithm === 'source-hash' || algorithm === 'consistent-hash') {
      it('keeps each key on one endpoint and spreads keys over all', async () => {
        await subject.setEndpoints(equal(['e0', 'e1', 'e2']));
        const map = await keyMap(subject, 60, 3);
        assert.deepEqual([...new Set(map.values())].sort(), ['e0', 'e1', 'e2']);
      });
    }

    if (algorithm === 'consistent-hash') {
      const keys = options.remapKeys ?? 2000;
      const remap = async (from: number): Promise<{ moved: number; wrong: number }> => {
        await subject.setEndpoints(equal(CONTRACT_ENDPOINTS.slice(0, from)));
        const before = await keyMap(subject, keys);
        await subject.setEndpoints(equal(CONTRACT_ENDPOINTS.slice(0, from + 1)));
        const after = await keyMap(subject, keys);
        const added = CONTRACT_ENDPOINTS[from] as string;
        let moved = 0;
        let wrong = 0;
        for (const [k, id] of after) {
          if (id === before.get(k)) continue;
          moved++;
          if (id !== added) wrong++;
        }
        return { moved: moved / keys, wrong };
      };
      it('moves about half of the keys when going from 1 to 2 endpoints, all to the new one', async () => {
        const { moved, wrong } = await remap(1);
        assert.equal(wrong, 0, 'keys moved between endpoints that stayed');
        assert.ok(moved >= 0.3 && moved <= (exact ? 0.65 : 0.8), `moved ${(moved * 100).toFixed(1)} %`);
      });
      it('moves about a tenth of the keys when going from 9 to 10 endpoints, all to the new one', async () => {
        const { moved, wrong } = await remap(9);
        assert.equal(wrong, 0, 'keys moved between endpoints that stayed');
        assert.ok(moved > 0.02 && moved <= (exact ? 0.15 : 0.17), `moved ${(moved * 100).toFixed(1)} %`);
      });
    }
  });
}
