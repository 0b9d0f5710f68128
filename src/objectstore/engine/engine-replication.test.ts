import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EngineObjectStore } from './engine-store.js';
import { body, dataFiles, readAll, withStore } from './test-helpers.js';

async function expectAll(s: EngineObjectStore, bucket: string, keys: string[]): Promise<void> {
  for (const k of keys)
    assert.equal((await readAll((await s.getObject(bucket, k)).body)).toString(), `value of ${k}`, k);
  const listed = await s.listObjects(bucket, {});
  assert.deepEqual(listed.objects.map((o) => o.key).sort(), [...keys].sort());
}

async function fullyReplicated(s: EngineObjectStore, bucket: string, keys: string[]): Promise<void> {
  for (const k of keys) {
    const ex = await s.explain(bucket, k);
    for (const f of ex.files) {
      const primaries = f.copies.filter((c) => c.role === 'primary');
      assert.equal(primaries.length, 3, `${k}: ${JSON.stringify(f.copies)}`);
      assert.ok(
        primaries.every((c) => c.state === 'ok'),
        `${k}: ${JSON.stringify(f.copies)}`,
      );
    }
    assert.ok(
      ex.index.replicas.filter((r) => r.role === 'primary').every((r) => r.present),
      JSON.stringify(ex.index),
    );
  }
}

test('quorum: a device folder removed during writes and reads fails no request and loses nothing; it comes back empty and replication refills it', async () => {
  await withStore(3, async (s, { paths }) => {
    await s.createBucket('quorum', 'o');
    const keys: string[] = [];
    const put = async (k: string): Promise<void> => {
      await s.putObject('quorum', k, body(`value of ${k}`), {});
      keys.push(k);
    };
    const writes = (async () => {
      for (let i = 0; i < 40; i++) await put(`k${i}`);
    })();
    const reads = (async () => {
      for (let i = 0; i < 40; i++) {
        const known = [...keys];
        for (const k of known.slice(-3)) await readAll((await s.getObject('quorum', k)).body);
        await s.listObjects('quorum', { maxKeys: 5 });
        await new Promise((r) => setImmediate(r));
      }
    })();
    await new Promise((r) => setTimeout(r, 5));
    // Writes in flight may add files while the folder is being removed: retry a few times.
    const removal = (async () => {
      for (let attempt = 0; ; attempt++) {
        try {
          await rm(paths[1]!, { recursive: true, force: true });
          return;
        } catch (err) {
          if (attempt >= 20) throw err;
        }
      }
    })();
    const results = await Promise.allSettled([writes, reads, removal]);
    for (const r of results) if (r.status === 'rejected') throw r.reason;
    for (let i = 40; i < 50; i++) await put(`k${i}`);
    await expectAll(s, 'quorum', keys);
    assert.equal((await s.status()).devices.find((d) => d.id === 'd1')?.health.reason, 'missing');

    await mkdir(paths[1]!);
    await expectAll(s, 'quorum', keys);
    const rep = await s.replicateOnce();
    assert.ok(rep.filesCopied >= 50, `copied ${rep.filesCopied}`);
    await fullyReplicated(s, 'quorum', keys);
    assert.equal((await dataFiles(paths[1]!)).length, 50);
    await expectAll(s, 'quorum', keys);
  });
});

test('a flipped byte is detected on read (served from another replica) and by the auditor, quarantined, then repaired', async () => {
  await withStore(3, async (s, { paths }) => {
    await s.createBucket('rot', 'o');
    const keys = ['a', 'b'];
    for (const k of keys) await s.putObject('rot', k, body(`value of ${k}`), {});
    const flip = async (key: string): Promise<string> => {
      const ex = await s.explain('rot', key);
      const dev = ex.files[0]!.copies[0]!.device;
      const file = (await dataFiles(paths[Number(dev.slice(1))]!)).find((f) => f.includes(ex.hash))!;
      const bytes = await readFile(file);
      bytes[0] = bytes[0]! ^ 0x01;
      await writeFile(file, bytes);
      return dev;
    };
    const badA = await flip('a');
    assert.equal((await readAll((await s.getObject('rot', 'a')).body)).toString(), 'value of a');
    const quarantinedA = await readdir(join(paths[Number(badA.slice(1))]!, 'quarantined', 'objects')).catch(
      () => [],
    );
    assert.equal(quarantinedA.length, 1);
    assert.equal(
      (await s.explain('rot', 'a')).files[0]!.copies.find((c) => c.device === badA)?.state,
      'missing',
    );

    const badB = await flip('b');
    assert.equal(
      (await s.explain('rot', 'b')).files[0]!.copies.find((c) => c.device === badB)?.state,
      'corrupt',
    );
    const audit = await s.auditOnce();
    assert.equal(audit.lastPassCorrupt, 1);
    assert.equal(audit.lastPassObjects, 5);
    assert.equal(
      (await s.explain('rot', 'b')).files[0]!.copies.find((c) => c.device === badB)?.state,
      'missing',
    );

    await s.replicateOnce();
    await fullyReplicated(s, 'rot', keys);
    assert.equal((await s.auditOnce()).lastPassCorrupt, 0);
    await expectAll(s, 'rot', keys);
  });
});

test('adding a 4th device and rebalancing moves about a quarter; every object stays readable during and after', async () => {
  await withStore(3, async (s, { dir }) => {
    await s.createBucket('grow', 'o');
    const keys = Array.from({ length: 40 }, (_, i) => `obj/${i}`);
    for (const k of keys) await s.putObject('grow', k, body(`value of ${k}`), {});
    await s.addDevice({ id: 'd3', path: join(dir, 'd3'), zone: 'z3' });
    const { moved } = await s.rebalance();
    const slots = 3 * 64;
    assert.ok(moved / slots > 0.15 && moved / slots < 0.35, `moved ${moved} of ${slots}`);
    await expectAll(s, 'grow', keys);
    await s.putObject('grow', 'during', body('value of during'), {});
    keys.push('during');
    await expectAll(s, 'grow', keys);
    const rep = await s.replicateOnce();
    assert.ok(rep.handoffPartitionsRemoved > 0);
    await expectAll(s, 'grow', keys);
    await fullyReplicated(s, 'grow', keys);
    let total = 0;
    for (const d of ['d0', 'd1', 'd2', 'd3']) total += (await dataFiles(join(dir, d))).length;
    assert.equal(total, keys.length * 3);
    const d3 = (await dataFiles(join(dir, 'd3'))).length;
    assert.ok(d3 > 0 && d3 < keys.length * 1.5, `d3 holds ${d3}`);
  });
});

test('with 4 devices a missing primary is replaced by a handoff; when it returns empty, replication refills it and drops the handoff copies', async () => {
  await withStore(4, async (s, { paths }) => {
    await s.createBucket('hand', 'o');
    const keys = Array.from({ length: 20 }, (_, i) => `h${i}`);
    await rm(paths[2]!, { recursive: true, force: true });
    for (const k of keys) await s.putObject('hand', k, body(`value of ${k}`), {});
    await expectAll(s, 'hand', keys);
    let total = 0;
    for (const p of paths) total += (await dataFiles(p)).length;
    assert.equal(total, keys.length * 3, 'three copies of everything while a device is missing');
    await mkdir(paths[2]!);
    await s.replicateOnce();
    await fullyReplicated(s, 'hand', keys);
    total = 0;
    for (const p of paths) total += (await dataFiles(p)).length;
    assert.equal(total, keys.length * 3, 'handoff copies removed');
    await expectAll(s, 'hand', keys);
  });
});

test('a full device leaves the write set instead of failing writes', async () => {
  const { openObjectStore } = await import('./engine-store.js');
  const { mkdtemp } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const dir = await mkdtemp(join(tmpdir(), 'stratus-full-'));
  const store = await openObjectStore({
    devices: [0, 1, 2, 3].map((i) => ({
      id: `d${i}`,
      path: join(dir, `d${i}`),
      zone: `z${i}`,
      ...(i === 1 ? { reserveBytes: Number.MAX_SAFE_INTEGER } : {}),
    })),
    partPower: 6,
  });
  try {
    await store.createBucket('full', 'o');
    const keys = Array.from({ length: 20 }, (_, i) => `f${i}`);
    for (const k of keys) await store.putObject('full', k, body(`value of ${k}`), {});
    await expectAll(store, 'full', keys);
    assert.equal((await dataFiles(join(dir, 'd1'))).length, 0);
    const health = (await store.status()).devices.find((d) => d.id === 'd1')?.health;
    assert.match(health?.lowSpace ?? '', /device d1 .* free, below the reserve of/);
    // Below its reserve a device still takes tombstones: deletes free space.
    for (const k of keys) await store.deleteObject('full', k);
    await assert.rejects(store.getObject('full', keys[0]!), { code: 'NoSuchKey' });
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('a corrupt copy of a large object fails the stream at the end, is quarantined, and the next read is good', async () => {
  await withStore(3, async (s, { paths }) => {
    await s.createBucket('large', 'o');
    const data = Buffer.alloc(9 * 1024 * 1024, 7);
    await s.putObject('large', 'big', body(data), {});
    const ex = await s.explain('large', 'big');
    const first = ex.files[0]!.copies[0]!.device;
    const file = (await dataFiles(paths[Number(first.slice(1))]!))[0]!;
    const bytes = await readFile(file);
    bytes[1000] = 0;
    await writeFile(file, bytes);
    await assert.rejects(readAll((await s.getObject('large', 'big')).body), /does not match the checksum/);
    const again = await readAll((await s.getObject('large', 'big')).body);
    assert.ok(again.equals(data));
    const part = await readAll((await s.getObject('large', 'big', { range: { start: 10, end: 19 } })).body);
    assert.ok(part.equals(data.subarray(10, 20)));
  });
});

test('the replicator never spreads a corrupt copy: it quarantines it and copies a good one', async () => {
  await withStore(3, async (s, { paths }) => {
    await s.createBucket('spread', 'o');
    await s.putObject('spread', 'x', body('value of x'), {});
    // d0's copy rots, d1 comes back empty: d0 must not be the one that refills d1.
    const file = (await dataFiles(paths[0]!))[0]!;
    const bytes = await readFile(file);
    bytes[2] = bytes[2]! ^ 0xff;
    await writeFile(file, bytes);
    await rm(paths[1]!, { recursive: true, force: true });
    await mkdir(paths[1]!);
    const rep = await s.replicateOnce();
    assert.equal(rep.corruptSkipped, 1, JSON.stringify(rep));
    await fullyReplicated(s, 'spread', ['x']);
    await expectAll(s, 'spread', ['x']);
  });
});

test('deletions are forgotten after the reclaim age: tombstone files and deleted index rows go', async () => {
  await withStore(3, async (s, { paths, clock }) => {
    await s.createBucket('reclaim', 'o');
    await s.putObject('reclaim', 'gone', body('value of gone'), {});
    await s.putObject('reclaim', 'kept', body('value of kept'), {});
    await s.deleteObject('reclaim', 'gone');
    const tombstones = async (): Promise<number> => {
      let n = 0;
      for (const p of paths) n += (await dataFiles(p, '.ts')).length;
      return n;
    };
    assert.equal(await tombstones(), 3);
    await s.replicateOnce();
    assert.equal(await tombstones(), 3, 'young tombstones stay');
    clock.advance(8 * 24 * 3_600_000);
    const rep = await s.replicateOnce();
    assert.equal(await tombstones(), 0);
    assert.ok(rep.tombstonesReclaimed >= 6, JSON.stringify(rep));
    await expectAll(s, 'reclaim', ['kept']);
  });
});

test('removing a device and rebalancing drains it: its data moves to the new primaries', async () => {
  await withStore(4, async (s, { paths }) => {
    await s.createBucket('drain', 'o');
    const keys = Array.from({ length: 20 }, (_, i) => `r${i}`);
    for (const k of keys) await s.putObject('drain', k, body(`value of ${k}`), {});
    assert.ok((await dataFiles(paths[3]!)).length > 0);
    await s.removeDevice('d3');
    await s.rebalance();
    await expectAll(s, 'drain', keys);
    await s.replicateOnce();
    assert.equal((await dataFiles(paths[3]!)).length, 0);
    await fullyReplicated(s, 'drain', keys);
    await expectAll(s, 'drain', keys);
    assert.equal((await s.status()).devices.find((d) => d.id === 'd3')?.inRing, false);
  });
});

test('an overwrite whose index update fails leaves the old object whole; the next overwrite removes both older files', async () => {
  await withStore(3, async (s, { paths }) => {
    await s.createBucket('bkt', 'alice');
    // Above the inline limit: each version is a data file on every device.
    const v1 = Buffer.alloc(100_000, 1);
    await s.putObject('bkt', 'k', body(v1), { size: v1.length });
    // The index update of the next PUT fails after its data files were committed, as when the
    // index replicas are unreachable or the process is killed in between (fault injected).
    const index = (s as unknown as { ctx: { index: { write: (...args: unknown[]) => Promise<void> } } }).ctx
      .index;
    const write = index.write.bind(index);
    index.write = () => Promise.reject(new Error('index replicas unreachable'));
    await assert.rejects(s.putObject('bkt', 'k', body(Buffer.alloc(200_000, 2)), { size: 200_000 }));
    index.write = write;
    const got = await s.getObject('bkt', 'k');
    assert.equal(got.info.size, v1.length);
    assert.ok((await readAll(got.body)).equals(v1));
    assert.equal((await s.listObjects('bkt', {})).objects[0]?.size, v1.length);
    // Were every copy of the old object lost too, a GET fails rather than pair the old
    // object's headers with the failed write's bytes.
    const held = await Promise.all(paths.map(async (p) => (await dataFiles(p)).sort()));
    const saved = await Promise.all(held.map(async ([older]) => readFile(older!)));
    await Promise.all(held.map(([older]) => rm(older!)));
    await assert.rejects(
      s.getObject('bkt', 'k'),
      (err: Error & { code?: string }) => err.code === 'InternalError',
    );
    await Promise.all(held.map(([older], i) => writeFile(older!, saved[i]!)));
    assert.ok((await readAll((await s.getObject('bkt', 'k')).body)).equals(v1));
    // A PUT that commits makes the older files go, the failed write's included.
    const v3 = Buffer.alloc(300_000, 3);
    await s.putObject('bkt', 'k', body(v3), { size: v3.length });
    assert.ok((await readAll((await s.getObject('bkt', 'k')).body)).equals(v3));
    for (const p of paths) assert.equal((await dataFiles(p)).length, 1, p);
  });
});

test('an overwrite that no index replica took removes its own files and leaves the old object whole', async () => {
  await withStore(3, async (s, { paths }) => {
    await s.createBucket('bkt', 'alice');
    const v1 = Buffer.alloc(100_000, 1);
    await s.putObject('bkt', 'k', body(v1), { size: v1.length });
    // Every device's index storage fails (a file where its folder was); data files still write.
    for (const p of paths) {
      await rename(join(p, 'indexes'), join(p, 'indexes.saved'));
      await writeFile(join(p, 'indexes'), '');
    }
    await assert.rejects(
      s.putObject('bkt', 'k', body(Buffer.alloc(200_000, 2)), { size: 200_000 }),
      (err: Error & { code?: string }) => err.code === 'ServiceUnavailable',
    );
    for (const p of paths) {
      await rm(join(p, 'indexes'));
      await rename(join(p, 'indexes.saved'), join(p, 'indexes'));
    }
    const got = await s.getObject('bkt', 'k');
    assert.equal(got.info.size, v1.length);
    assert.ok((await readAll(got.body)).equals(v1));
    for (const p of paths) assert.equal((await dataFiles(p)).length, 1, p);
  });
});
