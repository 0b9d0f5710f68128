import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { hasCode } from '../../common/stratus-error.js';
import { obj } from '../contract/helpers.js';
import { runStoreContract } from '../store-contract.js';
import type { WatchEvent } from '../store.js';
import { EtcdCluster, etcdSkip } from '../testing/etcd-cluster.js';
import { EtcdStore } from './etcd-store.js';

/** Waits (bounded, polling) until `check` holds. */
async function until(what: string, check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

if (etcdSkip) {
  test('etcd store on 3 members', { skip: etcdSkip }, () => undefined);
} else {
  let cluster: Promise<EtcdCluster> | undefined;
  let n = 0;
  after(async () => {
    if (cluster !== undefined) await (await cluster).close();
  });
  runStoreContract('etcd, 3 members', async () => {
    const c = await (cluster ??= EtcdCluster.start(3));
    const prefix = `/contract-${++n}/`;
    // Each test talks to another member first, so all three serve the suite.
    const endpoints = [...c.endpoints.slice(n % 3), ...c.endpoints.slice(0, n % 3)];
    return {
      store: await EtcdStore.open(endpoints, { prefix, compactIntervalMs: 0 }),
      reopen: () => EtcdStore.open(endpoints, { prefix, compactIntervalMs: 0 }),
      cleanup: () => Promise.resolve(),
    };
  });

  describe('etcd store: a member dies', () => {
    test('killing one of 3 members during a write burst loses no acknowledged write', async (t) => {
      const c = await EtcdCluster.start(3);
      const store = await EtcdStore.open(c.endpoints, { prefix: '/burst/' });
      const acked = new Map<string, string>();
      const unavailable: string[] = [];
      const watched = new Set<string>();
      const watcher = await store.watch(
        'configmaps',
        { fromRevision: await store.currentRevision() },
        (e: WatchEvent) => {
          if (e.type === 'ADDED') watched.add(e.object.metadata.name ?? '');
        },
      );
      let kill: Promise<void> | undefined;
      let afterKill = 0;
      try {
        await Promise.all(
          Array.from({ length: 8 }, async (_, k) => {
            for (let i = 0; i < 100; i++) {
              const name = `w${k}-${i}`;
              try {
                const o = await store.create(
                  'configmaps',
                  obj(name, 'burst', undefined, { data: { i: String(i) } }),
                );
                acked.set(name, o.metadata.resourceVersion as string);
                if (kill !== undefined) afterKill++;
              } catch (err) {
                // Only "etcd did not answer" may fail a write; its outcome is unknown, so it
                // is not counted as acknowledged.
                if (!hasCode(err, 'STORE_UNAVAILABLE')) throw err;
                unavailable.push(name);
              }
              // The member the store talks to first dies once a fifth of the burst is in.
              if (acked.size >= 160 && kill === undefined) kill = c.kill(0);
            }
          }),
        );
        await kill;
        t.diagnostic(
          `acknowledged ${acked.size} (${afterKill} after the kill), unavailable ${unavailable.length}`,
        );
        assert.ok(afterKill > 0, 'writes went on after the kill');
        assert.ok(acked.size + unavailable.length === 800);
        const list = await store.list('configmaps', { namespace: 'burst' });
        const stored = new Map(list.items.map((o) => [o.metadata.name ?? '', o.metadata.resourceVersion]));
        for (const [name, rv] of acked)
          assert.equal(stored.get(name), rv, `acknowledged ${name}@${rv} is stored`);
        // The watch moved to another member and missed nothing acknowledged.
        await until('the watch to deliver every acknowledged write', () =>
          [...acked.keys()].every((name) => watched.has(name)),
        );
      } catch (err) {
        (err as Error).message += `\n${c.logs()}`;
        throw err;
      } finally {
        await watcher.close();
        await store.close();
        await c.close();
      }
    });
  });
}
