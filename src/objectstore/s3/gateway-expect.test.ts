import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { sdkClient, startTestGateway, type TestGateway } from './test-gateway.js';
import { signRequest } from './sigv4-signer.js';

interface ExpectResult {
  /** Whether the gateway sent 100 Continue (the body was then sent). */
  continued: boolean;
  status: number;
  body: string;
  connection: string | undefined;
}

/** A PUT with `Expect: 100-continue` as SDKs send it: the body goes only after 100 Continue. */
function expectPut(
  g: TestGateway,
  path: string,
  body: Buffer,
  headers: Record<string, string> = {},
): Promise<ExpectResult> {
  const url = `${g.url}${path}`;
  const signed = signRequest({ method: 'PUT', url, headers, payloadHash: 'UNSIGNED-PAYLOAD' }, g.key);
  return new Promise((resolve, reject) => {
    let continued = false;
    const req = request(url, {
      method: 'PUT',
      headers: { 'content-length': String(body.length), ...signed, ...headers, expect: '100-continue' },
    });
    req.on('continue', () => {
      continued = true;
      req.end(body);
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        resolve({
          continued,
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString(),
          connection: res.headers.connection,
        });
        req.destroy();
      });
    });
    req.on('error', reject);
    req.flushHeaders();
  });
}

test('Expect: 100-continue: refused PUTs are answered before the body is sent; accepted ones continue', async () => {
  const g = await startTestGateway();
  const c = sdkClient(g.url, g.key);
  try {
    await c.send(new CreateBucketCommand({ Bucket: 'expect' }));
    const body = Buffer.alloc(64 * 1024, 7);

    const ok = await expectPut(g, '/expect/k', body);
    assert.deepEqual([ok.continued, ok.status], [true, 200]);
    const got = await c.send(new GetObjectCommand({ Bucket: 'expect', Key: 'k' }));
    assert.equal(Buffer.from(await got.Body!.transformToByteArray()).equals(body), true);

    const missing = await expectPut(g, '/nowhere/k', body);
    assert.deepEqual([missing.continued, missing.status, missing.connection], [false, 404, 'close']);
    assert.match(missing.body, /<Code>NoSuchBucket<\/Code>/);

    const bob = await g.createUser('bob');
    const url = `${g.url}/expect/k2`;
    const forged = signRequest(
      { method: 'PUT', url, payloadHash: 'UNSIGNED-PAYLOAD' },
      {
        accessKeyId: bob.accessKeyId,
        secretAccessKey: 'not-the-secret',
      },
    );
    const denied = await new Promise<ExpectResult>((resolve, reject) => {
      const req = request(url, {
        method: 'PUT',
        headers: { ...forged, 'content-length': String(body.length), expect: '100-continue' },
      });
      req.on('continue', () => reject(new Error('100 Continue for a request with a bad signature')));
      req.on('response', (res) => {
        res.resume();
        resolve({
          continued: false,
          status: res.statusCode ?? 0,
          body: '',
          connection: res.headers.connection,
        });
        req.destroy();
      });
      req.on('error', reject);
      req.flushHeaders();
    });
    assert.deepEqual([denied.status, denied.connection], [403, 'close']);

    const tooLarge = await expectPut(g, '/expect/huge', Buffer.alloc(0), {
      'content-length': String(6 * 1024 ** 3),
    });
    assert.deepEqual([tooLarge.continued, tooLarge.status], [false, 400]);
    assert.match(tooLarge.body, /<Code>EntityTooLarge<\/Code>/);

    // The SDK sends Expect: 100-continue for larger bodies; it works through the same path.
    const large = Buffer.alloc(3 * 1024 * 1024, 1);
    await c.send(new PutObjectCommand({ Bucket: 'expect', Key: 'large', Body: large }));
    const back = await c.send(new GetObjectCommand({ Bucket: 'expect', Key: 'large' }));
    assert.equal((await back.Body!.transformToByteArray()).length, large.length);
  } finally {
    c.destroy();
    await g.close();
  }
});
