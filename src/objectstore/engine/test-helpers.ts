import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { ManualClock } from '../../common/clock.js';
import { openObjectStore, type EngineObjectStore, type OpenObjectStoreOptions } from './engine-store.js';
import { isObjectStoreError } from '../errors.js';

/** A store over `devices` folders (one zone each) in a temp dir, closed and removed after `fn`. */
export async function withStore(
  devices: number,
  fn: (s: EngineObjectStore, ctx: { dir: string; clock: ManualClock; paths: string[] }) => Promise<void>,
  options: Partial<OpenObjectStoreOptions> = {},
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-engine-'));
  const clock = new ManualClock();
  const paths = Array.from({ length: devices }, (_, i) => join(dir, `d${i}`));
  const store = await openObjectStore({
    devices: paths.map((path, i) => ({ id: `d${i}`, path, zone: `z${i}` })),
    partPower: 6,
    clock,
    ...options,
  });
  try {
    await fn(store, { dir, clock, paths });
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** A one-chunk body stream. */
export function body(data: string | Buffer): Readable {
  return Readable.from([Buffer.from(data)]);
}

/** Reads a stream to a Buffer. */
export async function readAll(r: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Asserts a promise rejects with an ObjectStoreError of the given code. */
export async function rejectsWith(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(isObjectStoreError(err), `expected ObjectStoreError ${code}, got ${String(err)}`);
    assert.equal(err.code, code);
    return true;
  });
}

/** Every committed data file (or, with suffix '.ts', tombstone) under a device folder. */
export async function dataFiles(devicePath: string, suffix = '.data'): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.name.endsWith(suffix)) out.push(p);
    }
  };
  await walk(join(devicePath, 'objects'));
  return out;
}
