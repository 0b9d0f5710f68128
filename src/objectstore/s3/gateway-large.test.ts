import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile, readdir, readlink, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { dataFiles } from '../engine/test-helpers.js';
import { presignUrl } from './sigv4-signer.js';
import { s3Error, withGateway } from './test-sdk.js';
import { startTestGateway } from './test-gateway.js';

/** How many of this process's open files are object data files. */
async function openDataFiles(): Promise<number> {
  const links = await Promise.all(
    (await readdir('/proc/self/fd')).map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => '')),
  );
  return links.filter((l) => l.endsWith('.data')).length;
}

const MiB = 1024 * 1024;

async function bytesOf(body: unknown): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of body as AsyncIterable<Uint8Array>) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

test('a large single-part object streams back whole and by range; a rotten copy cuts the reply short', async () => {
  await withGateway(async (g, c) => {
    await c.send(new CreateBucketCommand({ Bucket: 'big' }));
    // Above the size that reads verify whole before replying: the body streams from the file,
    // in pieces (the size is not a multiple of the piece size).
    const data = randomBytes(9 * MiB + 12_345);
    await c.send(new PutObjectCommand({ Bucket: 'big', Key: 'k', Body: data }));
    const whole = await c.send(new GetObjectCommand({ Bucket: 'big', Key: 'k' }));
    assert.equal(whole.ContentLength, data.length);
    assert.ok((await bytesOf(whole.Body)).equals(data));
    // A client that goes away mid-body leaves the gateway serving the next one.
    const dropped = await c.send(new GetObjectCommand({ Bucket: 'big', Key: 'k' }));
    for await (const chunk of dropped.Body as AsyncIterable<Uint8Array>) {
      assert.ok(chunk.length > 0);
      break;
    }
    assert.ok(
      (await bytesOf((await c.send(new GetObjectCommand({ Bucket: 'big', Key: 'k' }))).Body)).equals(data),
    );
    // Two GETs pipelined on one connection that closes mid-body: the second reply, queued behind
    // the first, never gets the socket, and must still let go of its file.
    const url = new URL(presignUrl({ method: 'GET', url: `${g.url}/big/k` }, g.key));
    const socket = connect(Number(url.port), url.hostname);
    const request = `GET ${url.pathname}${url.search} HTTP/1.1\r\nhost: ${url.host}\r\n\r\n`;
    socket.write(request + request);
    await new Promise((resolve) => socket.once('data', resolve));
    socket.destroy();
    let open = await openDataFiles();
    for (let i = 0; i < 100 && open > 0; i++) {
      await sleep(50);
      open = await openDataFiles();
    }
    assert.equal(open, 0, 'no data file stays open after the client went away');
    const range = await c.send(
      new GetObjectCommand({ Bucket: 'big', Key: 'k', Range: 'bytes=1048570-2097160' }),
    );
    assert.ok((await bytesOf(range.Body)).equals(data.subarray(1048570, 2097161)));
    // A body of 32 MiB and more is sent in larger pieces.
    const huge = randomBytes(33 * MiB + 777);
    await c.send(new PutObjectCommand({ Bucket: 'big', Key: 'huge', Body: huge }));
    assert.ok(
      (await bytesOf((await c.send(new GetObjectCommand({ Bucket: 'big', Key: 'huge' }))).Body)).equals(huge),
    );
    await c.send(new DeleteObjectCommand({ Bucket: 'big', Key: 'huge' }));

    // One bit rots near the end of the only copy: the reply stops before its last piece (the
    // client sees a short body, never wrong bytes), and the copy is quarantined.
    const [file] = await dataFiles(join(g.dir, 'storage', 'dev0'));
    const bytes = await readFile(file!);
    bytes[data.length - 10] = bytes[data.length - 10]! ^ 0x10;
    await writeFile(file!, bytes);
    const rotten = await c.send(new GetObjectCommand({ Bucket: 'big', Key: 'k' }));
    await assert.rejects(bytesOf(rotten.Body));
    assert.deepEqual(await dataFiles(join(g.dir, 'storage', 'dev0')), []);
    await s3Error(c.send(new GetObjectCommand({ Bucket: 'big', Key: 'k' })), 'InternalError', 500);
  });
});

test('an upload may take as long as it keeps moving; a connection idle past the timeout is closed', async () => {
  const idleTimeoutMs = 1000;
  const g = await startTestGateway({ idleTimeoutMs });
  try {
    await g.objectStore.createBucket('slow', 'alice');
    const url = new URL(presignUrl({ method: 'PUT', url: `${g.url}/slow/k` }, g.key));
    const head = (length: number): string =>
      `PUT ${url.pathname}${url.search} HTTP/1.1\r\nhost: ${url.host}\r\ncontent-length: ${length}\r\n\r\n`;
    // A hundred pieces at least 20 ms apart: the request lasts at least twice the idle timeout,
    // and only a stall of the whole machine for a second could make it look idle.
    const body = randomBytes(100 * 64);
    const steady = connect(Number(url.port), url.hostname);
    const reply = new Promise<string>((resolve) => steady.once('data', (d: Buffer) => resolve(d.toString())));
    steady.write(head(body.length));
    for (let i = 0; i < 100; i++) {
      await sleep(20);
      steady.write(body.subarray(i * 64, (i + 1) * 64));
    }
    assert.match(await reply, /^HTTP\/1\.1 200 /);
    steady.destroy();
    const stored = await g.objectStore.getObject('slow', 'k');
    assert.ok((await bytesOf(stored.body)).equals(body));
    // A client that stops sending mid-body is cut off, and its half object never appears.
    const stalled = connect(Number(url.port), url.hostname);
    const closed = new Promise<boolean>((resolve) => stalled.once('close', () => resolve(true)));
    stalled.on('error', () => undefined);
    stalled.write(head(100) + 'x'.repeat(10));
    const cutOff = await Promise.race([closed, sleep(10_000).then(() => false)]);
    stalled.destroy();
    assert.ok(cutOff, 'the idle connection was closed by the gateway');
    assert.ok((await bytesOf((await g.objectStore.getObject('slow', 'k')).body)).equals(body));
  } finally {
    await g.close();
  }
});
