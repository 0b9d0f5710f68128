/**
 * A child process for the crash test: opens an object store over three device folders (R=3)
 * under the folder given as argv[2] and writes small objects from 16 concurrent writers, printing
 * `ack KEY` on stdout (synchronous for pipes on Linux) only after each PUT was acknowledged. It
 * stops by itself after 20,000 objects or 30 s, so a test that fails to kill it still ends.
 */
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { openObjectStore } from './engine-store.js';

/** The body the writer stores under `key` (the test checks it byte for byte). */
export function bodyOf(key: string): Buffer {
  return Buffer.from(`small object ${key} `.repeat(8));
}

async function main(dir: string): Promise<void> {
  const devices = [0, 1, 2].map((i) => ({ id: `d${i}`, path: join(dir, `d${i}`), zone: `z${i}` }));
  const store = await openObjectStore({ devices, partPower: 6 });
  await store.createBucket('crash', 'o').catch(() => undefined);
  process.stdout.write('ready\n');
  let next = 0;
  const started = Date.now();
  const writer = async (): Promise<void> => {
    while (next < 20_000 && Date.now() - started < 30_000) {
      const key = `k${next++}`;
      const data = bodyOf(key);
      await store.putObject('crash', key, Readable.from([data]), { size: data.length });
      process.stdout.write(`ack ${key}\n`);
    }
  };
  await Promise.all(Array.from({ length: 16 }, writer));
  await store.close();
}

if (process.argv[2] !== undefined) await main(process.argv[2]);
