/**
 * The store benchmark (`make bench` once registered in bench/run.ts as
 * `{ name: 'store', specifier: '../src/store/testing/store-bench.js', exportName: 'benchStore' }`).
 * The peer is raw better-sqlite3 on the same kind of file with the same pragmas, committing each
 * insert on its own: what the store would cost without group commit and without its bookkeeping.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { BenchResult } from '../../../bench/result.js';
import type { KubeObject } from '../../common/kube-object.js';
import { SqliteStore } from '../sqlite-store.js';

function pod(name: string, i: number): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'bench', labels: { app: 'bench' } },
    spec: { nodeName: `n${i % 10}`, containers: [{ name: 'c', image: 'busybox', args: ['x'.repeat(600)] }] },
    status: { phase: 'Running' },
  };
}

function perSecond(count: number, startMs: number): number {
  return (count / Math.max(1, performance.now() - startMs)) * 1000;
}

/** Runs the store figures against raw SQLite in temp dirs and returns them; removes its files. */
export async function benchStore(): Promise<BenchResult[]> {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-store-bench-'));
  try {
    const creates = 4000;
    const writers = 64;
    // Peer: one autocommit INSERT per object, FULL sync, WAL.
    const raw = new Database(join(dir, 'raw.db'));
    raw.pragma('journal_mode = WAL');
    raw.pragma('synchronous = FULL');
    raw.exec('CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT NOT NULL)');
    const ins = raw.prepare<[string, string]>('INSERT INTO kv (k, v) VALUES (?, ?)');
    const sel = raw.prepare<[string], string>('SELECT v FROM kv WHERE k = ?').pluck();
    let t = performance.now();
    for (let i = 0; i < creates; i++) ins.run(`p${i}`, JSON.stringify(pod(`p${i}`, i)));
    const rawCreates = perSecond(creates, t);
    t = performance.now();
    const gets = 50_000;
    for (let i = 0; i < gets; i++) JSON.parse(sel.get(`p${i % creates}`) as string);
    const rawGets = perSecond(gets, t);
    raw.close();

    const store = await SqliteStore.open(join(dir, 'store.db'), { compactIntervalMs: 0 });
    try {
      t = performance.now();
      for (let i = 0; i < 1000; i++) await store.create('pods', pod(`s${i}`, i));
      const sequential = perSecond(1000, t);
      t = performance.now();
      await Promise.all(
        Array.from({ length: writers }, async (_, w) => {
          for (let i = w; i < creates; i += writers) await store.create('pods', pod(`p${i}`, i));
        }),
      );
      const concurrent = perSecond(creates, t);
      t = performance.now();
      for (let i = 0; i < gets; i++) await store.get('pods', 'bench', `p${i % creates}`);
      const storeGets = perSecond(gets, t);
      const peer = (value: number): { name: string; value: number } => ({ name: 'raw sqlite', value });
      return [
        {
          name: `store create/s, ${writers} concurrent callers`,
          value: concurrent,
          unit: 'ops/s',
          peer: peer(rawCreates),
          ratio: concurrent / rawCreates,
          goal: '>= 2000 ops/s',
        },
        {
          name: 'store create/s, one caller',
          value: sequential,
          unit: 'ops/s',
          peer: peer(rawCreates),
          ratio: sequential / rawCreates,
        },
        {
          name: 'store get/s',
          value: storeGets,
          unit: 'ops/s',
          peer: peer(rawGets),
          ratio: storeGets / rawGets,
          goal: '>= 10000 ops/s',
        },
      ];
    } finally {
      await store.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
