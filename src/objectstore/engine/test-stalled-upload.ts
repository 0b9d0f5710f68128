/**
 * A child process for the tmp-sweep test: opens an object store on the device folder given as
 * argv[2], starts a PUT whose body sends 4 MiB and then stalls, and prints `stalled` once the
 * upload's temp file holds those bytes. The test kills it there, as a crash would. It exits by
 * itself after 60 s, so a test that fails to kill it still ends.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { openObjectStore } from './engine-store.js';

async function main(path: string): Promise<void> {
  const store = await openObjectStore({ devices: [{ id: 'd0', path }], partPower: 4 });
  await store.createBucket('crash', 'o');
  let sent = 0;
  const body = new Readable({
    read() {
      if (sent >= 4 * 1024 * 1024) return; // stall: no more bytes, no end
      sent += 256 * 1024;
      this.push(Buffer.alloc(256 * 1024, 7));
    },
  });
  void store.putObject('crash', 'big', body, { size: 64 * 1024 * 1024 }).catch(() => undefined);
  const tmp = join(path, 'tmp');
  const poll = setInterval(() => {
    const files = readdirSync(tmp);
    if (files.some((f) => statSync(join(tmp, f)).size >= 4 * 1024 * 1024)) {
      clearInterval(poll);
      process.stdout.write('stalled\n');
    }
  }, 20);
  setTimeout(() => process.exit(1), 60_000).unref();
}

if (process.argv[2] !== undefined) await main(process.argv[2]);
