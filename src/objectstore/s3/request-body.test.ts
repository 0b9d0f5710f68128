import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { checksumOf } from './checksums.js';
import { signRequest } from './sigv4-signer.js';
import { startTestGateway, type TestGateway } from './test-gateway.js';
import { errorCode, rawRequest } from './test-http.js';

const MiB = 1024 * 1024;

function signed(g: TestGateway, method: string, path: string, headers: Record<string, string> = {}) {
  return signRequest(
    { method, url: `${g.url}${path}`, payloadHash: 'UNSIGNED-PAYLOAD', headers },
    { accessKeyId: g.key.accessKeyId, secretAccessKey: g.key.secretAccessKey },
  );
}

async function put(g: TestGateway, path: string, body: Buffer, headers: Record<string, string> = {}) {
  return rawRequest(g.url, {
    method: 'PUT',
    path,
    headers: { ...signed(g, 'PUT', path, headers), 'content-length': String(body.length) },
    body,
  });
}

/** Files in the device's tmp/ folder and committed data files, polled until none (bounded). */
async function leftoversAfterSettling(g: TestGateway): Promise<string[]> {
  const tmp = join(g.dir, 'dev0', 'tmp');
  let left: string[] = [];
  for (let i = 0; i < 100; i++) {
    left = await readdir(tmp).catch(() => []);
    if (left.length === 0) break;
    await sleep(50);
  }
  return left;
}

test('a large PUT cut off mid-body leaves no object and no temp file', async () => {
  const g = await startTestGateway();
  try {
    assert.equal(
      (await rawRequest(g.url, { method: 'PUT', path: '/cut', headers: signed(g, 'PUT', '/cut') })).status,
      200,
    );
    const total = 32 * MiB;
    const headers = { ...signed(g, 'PUT', '/cut/big'), 'content-length': String(total) };
    await new Promise<void>((resolve) => {
      const u = new URL(g.url);
      const req = request({
        host: u.hostname,
        port: u.port,
        method: 'PUT',
        path: '/cut/big',
        headers,
        agent: false,
      });
      req.on('error', () => resolve());
      req.on('response', () => resolve());
      // Half the body, then the connection drops.
      req.write(randomBytes(total / 2), () => setImmediate(() => req.destroy()));
    });
    assert.deepEqual(await leftoversAfterSettling(g), []);
    const head = await rawRequest(g.url, {
      method: 'HEAD',
      path: '/cut/big',
      headers: signed(g, 'HEAD', '/cut/big'),
    });
    assert.equal(head.status, 404);
    // The gateway still serves: a whole body goes through.
    const data = randomBytes(9 * MiB);
    assert.equal((await put(g, '/cut/big', data)).status, 200);
  } finally {
    await g.close();
  }
});

test('Content-MD5 and x-amz-checksum-crc32 still refuse a corrupted large upload with BadDigest, and accept the right one', async () => {
  const g = await startTestGateway();
  try {
    assert.equal(
      (await rawRequest(g.url, { method: 'PUT', path: '/sums', headers: signed(g, 'PUT', '/sums') })).status,
      200,
    );
    const data = randomBytes(10 * MiB + 7);
    const corrupted = Buffer.from(data);
    corrupted[5 * MiB] = corrupted[5 * MiB]! ^ 0xff;
    const md5 = createHash('md5').update(data).digest('base64');
    const crc = checksumOf('CRC32', data);
    for (const headers of [{ 'content-md5': md5 }, { 'x-amz-checksum-crc32': crc }]) {
      const bad = await put(g, '/sums/k', corrupted, headers);
      assert.equal(bad.status, 400, bad.body.toString());
      assert.equal(errorCode(bad.body), 'BadDigest');
      assert.deepEqual(await leftoversAfterSettling(g), []);
      const head = await rawRequest(g.url, {
        method: 'HEAD',
        path: '/sums/k',
        headers: signed(g, 'HEAD', '/sums/k'),
      });
      assert.equal(head.status, 404);
    }
    const good = await put(g, '/sums/k', data, { 'x-amz-checksum-crc32': crc, 'content-md5': md5 });
    assert.equal(good.status, 200, good.body.toString());
    assert.equal(good.headers.etag, `"${createHash('md5').update(data).digest('hex')}"`);
    assert.equal(good.headers['x-amz-checksum-crc32'], crc);
    const got = await rawRequest(g.url, { path: '/sums/k', headers: signed(g, 'GET', '/sums/k') });
    assert.ok(got.body.equals(data));
  } finally {
    await g.close();
  }
});
