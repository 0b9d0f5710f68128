/**
 * The gateway process of `bench/s3-throughput.ts`: opens an object store with `--devices N`
 * folders under `--dir` and `--replicas R`, starts the S3 gateway on 127.0.0.1 port 0, creates an
 * access key and prints one JSON line `{url, accessKeyId, secretAccessKey}` on stdout. It runs in
 * its own process so that its RSS and CPU are its own, and it exits when its stdin closes (so it
 * never outlives the benchmark). With `--peer` it is a bare node:http server instead.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { openObjectStore } from '../src/objectstore/index.js';
import { StoreCredentials, createAccessKey } from '../src/objectstore/s3/credentials.js';
import { startS3Gateway } from '../src/objectstore/s3/gateway.js';
import { SqliteStore } from '../src/store/sqlite-store.js';

const { values } = parseArgs({
  options: {
    peer: { type: 'boolean', default: false },
    dir: { type: 'string' },
    devices: { type: 'string', default: '1' },
    replicas: { type: 'string', default: '1' },
  },
});
if (values.peer) {
  await startPeer();
} else {
  await startGateway();
}

/**
 * `--peer`: a bare node:http server on the same loopback (PUT bodies are counted and dropped, GET
 * answers 64 MiB from memory), the transport ceiling the gateway's figures are read against.
 */
async function startPeer(): Promise<void> {
  const body = randomBytes(64 * 1024 * 1024);
  const server = createServer((req, res) => {
    if (req.method === 'GET') {
      res.setHeader('content-length', String(body.length));
      Readable.from(chunks(body)).pipe(res);
      return;
    }
    req.resume();
    req.on('end', () => res.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  process.stdout.write(
    JSON.stringify({ url: `http://127.0.0.1:${port}`, accessKeyId: '', secretAccessKey: '' }) + '\n',
  );
  const stop = (): void => {
    server.close();
    server.closeAllConnections();
  };
  process.stdin.on('end', stop);
  process.stdin.on('close', stop);
  process.stdin.resume();
}

function* chunks(b: Buffer): Generator<Buffer> {
  for (let off = 0; off < b.length; off += 1024 * 1024) yield b.subarray(off, off + 1024 * 1024);
}

async function startGateway(): Promise<void> {
  if (values.dir === undefined) throw new RangeError('--dir is required');
  const dir = values.dir;
  const deviceCount = Number(values.devices);
  const store = await SqliteStore.open(join(dir, 'store.db'));
  const objectStore = await openObjectStore({
    devices: Array.from({ length: deviceCount }, (_, i) => ({ path: join(dir, `dev${i}`), zone: `z${i}` })),
    replicas: Number(values.replicas),
    partPower: 6,
  });
  const credentials = new StoreCredentials(store);
  const gateway = await startS3Gateway({ objectStore, credentials, port: 0 });
  const key = await createAccessKey(store, 'bench');
  process.stdout.write(
    JSON.stringify({ url: gateway.url, accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey }) +
      '\n',
  );

  let closing = false;
  async function shutdown(): Promise<void> {
    if (closing) return;
    closing = true;
    await gateway.close();
    await credentials.close();
    await objectStore.close();
    await store.close();
  }
  process.stdin.on('end', () => void shutdown());
  process.stdin.on('close', () => void shutdown());
  process.stdin.resume();
}
