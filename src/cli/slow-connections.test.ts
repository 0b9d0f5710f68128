import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { GetObjectCommand, PutObjectCommand, S3Client, CreateBucketCommand } from '@aws-sdk/client-s3';
import { openFileLimit, type ConnectionLimits } from '../connections/index.js';
import { createAccessKey } from '../objectstore/s3/credentials.js';
import { startServer } from './server.js';

/** Connections held per port, spread over this many loopback source addresses. */
const HELD = 1000;
const SOURCES = 10;
const LIMITS: ConnectionLimits = {
  headersTimeoutMs: 2000,
  keepAliveTimeoutMs: 2000,
  requestTimeoutMs: 2000,
  maxConnections: 1500,
  maxConnectionsPerClient: 110,
};
// Both ends of every connection live in this process: 2 ports × (HELD + 111) × 2, and files.
const NEEDED = 6000;
const fds = openFileLimit();
if (fds < NEEDED && process.env['CI'] === 'true') throw new Error(`open-file limit ${fds} < ${NEEDED}`);

interface Held {
  socket: Socket;
  /** Resolves when the server closed it: true when it sent nothing before closing. */
  closed: Promise<boolean>;
}

/** Opens a connection from `source` and plays one kind of slow client on it. */
async function hold(port: number, source: string, kind: number, first: string): Promise<Held> {
  const socket = connect({ port, host: '127.0.0.1', localAddress: source });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  let received = '';
  socket.setEncoding('latin1');
  socket.on('data', (d: string) => (received += d));
  socket.on('error', () => undefined);
  const closed = new Promise<boolean>((r) => socket.once('close', () => r(received === '')));
  const trickle = (bytes: string): void => {
    let i = 0;
    const timer = setInterval(
      () => (socket.destroyed ? clearInterval(timer) : socket.write(bytes[i++ % bytes.length]!)),
      500,
    );
  };
  if (kind === 1) socket.write(first.slice(0, 3)); // a TLS ClientHello's first bytes, or a bare "GET"
  if (kind === 2) {
    socket.write('GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ');
    trickle('abcdef');
  }
  if (kind === 3) socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'); // then idle on keep-alive
  if (kind === 4) {
    socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    trickle('GET /healthz HTTP/1.1\r\nX-Slow: ');
  }
  return { socket, closed };
}

async function holdMany(port: number, first: string): Promise<Held[]> {
  const out: Held[] = [];
  for (let i = 0; i < HELD; i++) out.push(await hold(port, `127.0.0.${2 + (i % SOURCES)}`, i % 5, first));
  return out;
}

test(
  'a thousand idle or trickling connections on each port are closed by the timeouts while a normal client is served',
  {
    skip: fds < NEEDED ? `needs an open-file limit of ${NEEDED} (ulimit -n), not ${fds}` : false,
    timeout: 180_000,
  },
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'stratus-slow-'));
    const server = await startServer({
      dataDir: dir,
      apiPort: 0,
      s3Port: 0,
      bookmarkIntervalMs: 500,
      api: { connections: LIMITS },
      s3Connections: { ...LIMITS, requestTimeoutMs: 0 }, // as S3_CONNECTION_LIMITS: uploads are not timed
      // The slow clients speak plain HTTP to S3 (and the 503 SlowDown over a cap is readable only
      // there); over TLS the guard is the same, and the API port shows the stalled handshakes.
      s3InsecureHttp: true,
    });
    const s3Url = server.s3?.url ?? '';
    const key = await createAccessKey(server.store, 'tester');
    const client = (keepAlive: boolean): S3Client =>
      new S3Client({
        endpoint: s3Url,
        region: 'us-east-1',
        forcePathStyle: true,
        credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey },
        requestHandler: { httpAgent: new Agent({ keepAlive }) },
      });
    const s3 = client(true);
    t.after(async () => {
      s3.destroy();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    });
    await s3.send(new CreateBucketCommand({ Bucket: 'slow' }));
    await s3.send(new PutObjectCommand({ Bucket: 'slow', Key: 'k', Body: 'hello' }));
    const apiPort = Number(new URL(server.httpUrl).port);
    const s3Port = Number(new URL(s3Url).port);

    const held = [...(await holdMany(apiPort, '\x16\x03\x01')), ...(await holdMany(s3Port, 'GET'))];
    // One client over its cap: the S3 port answers SlowDown, the API port (TLS or not) closes.
    const capped = async (port: number): Promise<string> => {
      const mine = await Promise.all(Array.from({ length: 110 }, () => hold(port, '127.0.0.12', 0, '')));
      const over = connect({ port, host: '127.0.0.1', localAddress: '127.0.0.12' });
      let text = '';
      over.on('data', (d: Buffer) => (text += d.toString()));
      over.on('error', () => undefined);
      await new Promise((r) => over.once('close', r));
      for (const m of mine) m.socket.destroy();
      return text;
    };
    assert.equal(await capped(apiPort), '');
    assert.match(await capped(s3Port), /^HTTP\/1\.1 503 [\s\S]*<Code>SlowDown<\/Code>/);

    // Meanwhile: a normal client's GETs, a watch and an upload that both outlast the timeouts.
    let allClosed = false;
    const closedByServer = Promise.all(held.map((h) => h.closed)).finally(() => (allClosed = true));
    let gets = 0;
    const normal = (async () => {
      while (!allClosed || gets < 20) {
        const api = await fetch(`${server.httpUrl}/api/v1/namespaces/default`, {
          headers: { authorization: `Bearer ${server.adminToken}` },
        });
        assert.equal(api.status, 200);
        await api.text();
        const obj = await s3.send(new GetObjectCommand({ Bucket: 'slow', Key: 'k' }));
        assert.equal(await obj.Body?.transformToString(), 'hello');
        gets++;
      }
    })();
    const watch = fetch(
      `${server.httpUrl}/api/v1/namespaces/default/configmaps?watch=true&allowWatchBookmarks=true&timeoutSeconds=6`,
      {
        headers: { authorization: `Bearer ${server.adminToken}` },
      },
    ).then((r) => r.text());
    const chunks = Array.from({ length: 60 }, () => Buffer.alloc(1024, 1));
    const slowBody = new Readable({
      read() {
        setTimeout(() => this.push(chunks.shift() ?? null), 100);
      },
    });
    // The upload goes on a fresh connection: a streamed body cannot be retried, so it must not
    // race the server's keep-alive timeout on a pooled socket that idled for two seconds.
    const uploader = client(false);
    t.after(() => uploader.destroy());
    const started = Date.now();
    await uploader.send(
      new PutObjectCommand({ Bucket: 'slow', Key: 'upload', Body: slowBody, ContentLength: 60 * 1024 }),
    );
    assert.ok(Date.now() - started > 2 * 2000, 'the upload took longer than the timeouts');
    const upload = await s3.send(new GetObjectCommand({ Bucket: 'slow', Key: 'upload' }));
    assert.equal((await upload.Body?.transformToByteArray())?.length, 60 * 1024);
    assert.match(await watch, /"type":"BOOKMARK"/);

    const silent = await closedByServer;
    await normal;
    assert.ok(gets >= 20, `the normal client made ${gets} GETs on each port`);
    // Idle, stalled-TLS and slowloris connections got nothing before they were closed; those
    // that made a request got its answer first.
    silent.forEach((nothing, i) => assert.equal(nothing, i % 5 <= 2, `connection ${i}`));
    for (const stats of [server.apiConnectionStats, server.s3?.connectionStats]) {
      assert.ok(stats !== undefined);
      // Idle, stalled, slowloris, and a request trickled on a keep-alive connection; an idle
      // keep-alive connection goes by the guard's keep-alive timeout or node's, the same length.
      assert.equal(stats.timedOut.headers, (HELD * 4) / 5);
      assert.equal(stats.timedOut.request, 0);
      assert.equal(stats.refused.client, 1);
    }
  },
);
