/**
 * The gateway process of `bench/s3-throughput.ts`: opens an object store with `--devices N`
 * folders under `--dir` and `--replicas R`, starts the S3 gateway on 127.0.0.1 port 0, creates an
 * access key and prints one JSON line `{url, accessKeyId, secretAccessKey}` on stdout. It runs in
 * its own process so that its RSS and CPU are its own, and it exits when its stdin closes (so it
 * never outlives the benchmark). With `--peer` it is instead the plain Node file server that
 * the gateway's figures are read against.
 */
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
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
if (values.dir === undefined) throw new RangeError('--dir is required');
if (values.peer) {
  await startPeer(values.dir);
} else {
  await startGateway(values.dir);
}

/**
 * `--peer`, plain Node over the same loopback. Under `/mem` it is the loopback limit: a PUT body
 * is copied into memory (up to 64 MiB), a GET answers it from there in 1 MiB writes. Other
 * paths are a plain Node file server: PUT streams the body into a file and fsyncs it before
 * replying, GET streams the file back (node:http and fs streams with their defaults, no checks).
 */
async function startPeer(dir: string): Promise<void> {
  // One buffer for every round, as the gateway reuses its buffers (fresh pages cost more than copies).
  const kept = Buffer.alloc(64 * 1024 * 1024);
  let keptLength = 0;
  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const file = join(dir, encodeURIComponent(req.url ?? '/'));
    if (req.url === '/mem' && req.method === 'PUT') {
      keptLength = 0;
      for await (const c of req) keptLength += (c as Buffer).copy(kept, keptLength);
      res.end();
    } else if (req.url === '/mem' && req.method === 'GET') {
      const body = kept.subarray(0, keptLength);
      res.setHeader('content-length', String(body.length));
      for (let off = 0; off < body.length; off += 1024 * 1024) {
        if (!res.write(body.subarray(off, off + 1024 * 1024))) await once(res, 'drain');
      }
      res.end();
    } else if (req.method === 'PUT') {
      await pipeline(req, createWriteStream(file, { flush: true }));
      res.end();
    } else if (req.method === 'GET') {
      res.setHeader('content-length', String((await stat(file)).size));
      await pipeline(createReadStream(file), res);
    } else {
      req.resume();
      res.end();
    }
  };
  const server = createServer((req, res) => {
    serve(req, res).catch(() => {
      if (res.headersSent) res.destroy();
      else res.writeHead(500).end();
    });
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

async function startGateway(dir: string): Promise<void> {
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
