/**
 * A child process for the durability test: opens a SqliteStore at argv[2] and creates objects
 * from argv[3] concurrent loops until killed (or a safety bound), printing each name on stdout
 * only after its create resolved, i.e. after the write was acknowledged. Not part of the product.
 */
import { SqliteStore } from '../sqlite-store.js';

const path = process.argv[2];
const loops = Number(process.argv[3] ?? '8');
if (path === undefined) throw new TypeError('usage: write-burst.js DB_PATH [LOOPS]');

const store = await SqliteStore.open(path, { compactIntervalMs: 0, synchronous: 'full' });
const deadline = Date.now() + 60_000;
const maxPerLoop = 50_000;
await Promise.all(
  Array.from({ length: loops }, async (_, k) => {
    for (let i = 0; i < maxPerLoop && Date.now() < deadline; i++) {
      const name = `w${k}-${i}`;
      await store.create('configmaps', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name, namespace: 'burst' },
        data: { i: String(i), pad: 'p'.repeat(200) },
      });
      process.stdout.write(`${name}\n`);
    }
  }),
);
await store.close();
