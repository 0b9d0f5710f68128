import { test } from 'node:test';
import assert from 'node:assert/strict';
import { S3Client, GetObjectCommand, PutObjectCommand, CreateBucketCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { ManualClock } from '../../common/clock.js';
import { startTestGateway, type TestGateway } from './test-gateway.js';
import { presignUrl, sha256Hex, signChunk, signRequest, signTrailer, signingKey } from './sigv4-signer.js';
import { errorCode, rawRequest } from './test-http.js';
import { checksumOf } from './checksums.js';
import { formatAmzDate } from './sigv4.js';
import { connect } from 'node:net';

async function withGateway(fn: (g: TestGateway) => Promise<void>, clock?: ManualClock): Promise<void> {
  const g = await startTestGateway(clock === undefined ? {} : { clock });
  try {
    await fn(g);
  } finally {
    await g.close();
  }
}

function creds(g: TestGateway): { accessKeyId: string; secretAccessKey: string } {
  return { accessKeyId: g.key.accessKeyId, secretAccessKey: g.key.secretAccessKey };
}

async function send(
  g: TestGateway,
  method: string,
  path: string,
  body?: string | Buffer,
  extra: Record<string, string> = {},
  opts: { now?: number; payloadHash?: string; secret?: string } = {},
) {
  const url = `${g.url}${path}`;
  const headers = signRequest(
    {
      method,
      url,
      headers: extra,
      ...(body === undefined ? {} : { body }),
      ...(opts.payloadHash === undefined ? {} : { payloadHash: opts.payloadHash }),
    },
    { ...creds(g), ...(opts.secret === undefined ? {} : { secretAccessKey: opts.secret }) },
    opts.now === undefined ? {} : { now: opts.now },
  );
  return rawRequest(url, { method, headers, ...(body === undefined ? {} : { body }) });
}

test('auth: bad signatures, unknown keys, anonymous and malformed requests are refused', async () => {
  await withGateway(async (g) => {
    assert.equal((await send(g, 'PUT', '/auth-b')).status, 200);
    const wrong = await send(g, 'GET', '/auth-b', undefined, {}, { secret: 'x'.repeat(40) });
    assert.deepEqual([wrong.status, errorCode(wrong.body)], [403, 'SignatureDoesNotMatch']);
    const unknown = await rawRequest(`${g.url}/auth-b`, {
      headers: signRequest(
        { method: 'GET', url: `${g.url}/auth-b` },
        { accessKeyId: 'AKIAUNKNOWN000000000', secretAccessKey: 's' },
      ),
    });
    assert.deepEqual([unknown.status, errorCode(unknown.body)], [403, 'InvalidAccessKeyId']);
    const anon = await rawRequest(`${g.url}/auth-b`);
    assert.deepEqual([anon.status, errorCode(anon.body)], [403, 'AccessDenied']);
    const malformed = await rawRequest(`${g.url}/auth-b`, {
      headers: {
        authorization: 'AWS4-HMAC-SHA256 Credential=garbage',
        'x-amz-date': formatAmzDate(Date.now()),
      },
    });
    assert.deepEqual([malformed.status, errorCode(malformed.body)], [400, 'AuthorizationHeaderMalformed']);
    const headers = signRequest({ method: 'GET', url: `${g.url}/auth-b` }, creds(g));
    delete headers['x-amz-content-sha256'];
    const missing = await rawRequest(`${g.url}/auth-b`, { headers });
    assert.deepEqual([missing.status, errorCode(missing.body)], [400, 'MissingSecurityHeader']);
    const head = await rawRequest(`${g.url}/auth-b/k`, { method: 'HEAD' });
    assert.deepEqual([head.status, head.body.length], [403, 0], 'HEAD errors have no body');
  });
});

test('auth: requests more than 15 minutes off the server clock are RequestTimeTooSkewed', async () => {
  const clock = new ManualClock(Date.UTC(2026, 5, 1, 12));
  await withGateway(async (g) => {
    const ok = await send(g, 'PUT', '/skew-b', undefined, {}, { now: clock.now() - 14 * 60_000 });
    assert.equal(ok.status, 200);
    const skewed = await send(g, 'GET', '/skew-b', undefined, {}, { now: clock.now() - 16 * 60_000 });
    assert.deepEqual([skewed.status, errorCode(skewed.body)], [403, 'RequestTimeTooSkewed']);
    const url = presignUrl({ method: 'GET', url: `${g.url}/skew-b` }, creds(g), {
      now: clock.now() - 120_000,
      expiresSeconds: 60,
    });
    const expired = await rawRequest(url);
    assert.equal(expired.status, 403);
    assert.equal(errorCode(expired.body), 'AccessDenied');
    assert.match(expired.body.toString(), /Request has expired/);
    const fresh = await rawRequest(
      presignUrl({ method: 'GET', url: `${g.url}/skew-b` }, creds(g), {
        now: clock.now(),
        expiresSeconds: 60,
      }),
    );
    assert.equal(fresh.status, 200);
  }, clock);
});

test('payloads: a wrong x-amz-content-sha256 stores nothing; the SDK presigns GET and PUT', async () => {
  await withGateway(async (g) => {
    assert.equal((await send(g, 'PUT', '/pay-b')).status, 200);
    const bad = await send(
      g,
      'PUT',
      '/pay-b/obj',
      'actual body',
      {},
      { payloadHash: sha256Hex('other body') },
    );
    assert.deepEqual([bad.status, errorCode(bad.body)], [400, 'XAmzContentSHA256Mismatch']);
    assert.equal((await send(g, 'GET', '/pay-b/obj')).status, 404, 'nothing was stored');
    const good = await send(g, 'PUT', '/pay-b/obj', 'actual body');
    assert.equal(good.status, 200);
    const declaredOnly = await send(g, 'PUT', '/pay-b/sdk', 'x', { 'x-amz-sdk-checksum-algorithm': 'CRC32' });
    assert.deepEqual([declaredOnly.status, errorCode(declaredOnly.body)], [400, 'InvalidRequest']);
    const badValue = await send(g, 'PUT', '/pay-b/sdk', 'x', { 'x-amz-checksum-sha256': 'not-base64!' });
    assert.deepEqual([badValue.status, errorCode(badValue.body)], [400, 'InvalidRequest']);
    const c = new S3Client({
      endpoint: g.url,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: creds(g),
    });
    try {
      await c.send(new CreateBucketCommand({ Bucket: 'presign' }));
      const putUrl = await getSignedUrl(c, new PutObjectCommand({ Bucket: 'presign', Key: 'a/b c.txt' }), {
        expiresIn: 300,
      });
      const put = await fetch(putUrl, { method: 'PUT', body: 'presigned body' });
      assert.equal(put.status, 200, await put.text());
      const getUrl = await getSignedUrl(c, new GetObjectCommand({ Bucket: 'presign', Key: 'a/b c.txt' }), {
        expiresIn: 300,
      });
      const got = await fetch(getUrl);
      assert.equal(await got.text(), 'presigned body');
      const tampered = await fetch(getUrl.replace('b%20c.txt', 'x.txt'));
      assert.equal(tampered.status, 403);
      assert.equal(errorCode(await tampered.text()), 'SignatureDoesNotMatch');
    } finally {
      c.destroy();
    }
  });
});

function chunkedBody(g: TestGateway, url: string, chunks: Buffer[], trailer: boolean, now: number) {
  const amzDate = formatAmzDate(now);
  const cred = {
    accessKeyId: g.key.accessKeyId,
    date: amzDate.slice(0, 8),
    region: 'us-east-1',
    service: 's3',
  };
  const decoded = chunks.reduce((n, c) => n + c.length, 0);
  const headers: Record<string, string> = {
    'content-encoding': 'aws-chunked',
    'x-amz-decoded-content-length': String(decoded),
    ...(trailer ? { 'x-amz-trailer': 'x-amz-checksum-crc32c' } : {}),
  };
  const signed = signRequest(
    {
      method: 'PUT',
      url,
      headers,
      payloadHash: trailer
        ? 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER'
        : 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
    },
    creds(g),
    { now },
  );
  const seed = /Signature=([0-9a-f]{64})/.exec(signed.authorization ?? '')?.[1] ?? '';
  const key = signingKey(g.key.secretAccessKey, cred);
  const scope = `${cred.date}/us-east-1/s3/aws4_request`;
  const parts: Buffer[] = [];
  let prev = seed;
  for (const c of [...chunks, Buffer.alloc(0)]) {
    prev = signChunk(key, amzDate, scope, prev, sha256Hex(c));
    parts.push(Buffer.from(`${c.length.toString(16)};chunk-signature=${prev}\r\n`), c);
    if (c.length > 0) parts.push(Buffer.from('\r\n'));
  }
  if (trailer) {
    const line = `x-amz-checksum-crc32c:${checksumOf('CRC32C', Buffer.concat(chunks))}`;
    const sig = signTrailer(key, amzDate, scope, prev, line + '\n');
    parts.push(Buffer.from(`${line}\r\nx-amz-trailer-signature:${sig}\r\n\r\n`));
  } else parts.push(Buffer.from('\r\n'));
  return { headers: signed, body: Buffer.concat(parts) };
}

test('payloads: signed aws-chunked bodies (with and without a signed trailer) verify every chunk', async () => {
  await withGateway(async (g) => {
    assert.equal((await send(g, 'PUT', '/chunk-b')).status, 200);
    const data = [Buffer.alloc(70_000, 'a'), Buffer.alloc(1000, 'b')];
    for (const trailer of [false, true]) {
      const url = `${g.url}/chunk-b/obj-${trailer}`;
      const { headers, body } = chunkedBody(g, url, data, trailer, Date.now());
      const ok = await rawRequest(url, { method: 'PUT', headers, body });
      assert.equal(ok.status, 200, ok.body.toString());
      const got = await send(g, 'GET', `/chunk-b/obj-${trailer}`, undefined, {
        'x-amz-checksum-mode': 'ENABLED',
      });
      assert.ok(got.body.equals(Buffer.concat(data)));
      assert.equal(got.headers['content-encoding'], undefined);
      if (trailer)
        assert.equal(got.headers['x-amz-checksum-crc32c'], checksumOf('CRC32C', Buffer.concat(data)));
      const badUrl = `${g.url}/chunk-b/bad-${trailer}`;
      const signedBad = chunkedBody(g, badUrl, data, trailer, Date.now());
      const copy = Buffer.from(signedBad.body);
      copy[50_000] = 'z'.charCodeAt(0);
      const bad = await rawRequest(badUrl, { method: 'PUT', headers: signedBad.headers, body: copy });
      assert.deepEqual([bad.status, errorCode(bad.body)], [403, 'SignatureDoesNotMatch']);
      assert.equal((await send(g, 'HEAD', `/chunk-b/bad-${trailer}`)).status, 404, 'nothing was stored');
    }
  });
});

test('addressing: virtual-hosted style under the base domains', async () => {
  await withGateway(async (g) => {
    assert.equal((await send(g, 'PUT', '/vhost-b')).status, 200);
    assert.equal((await send(g, 'PUT', '/vhost-b/k', 'v')).status, 200);
    const port = new URL(g.url).port;
    for (const host of [`vhost-b.localhost:${port}`, `vhost-b.s3.localhost:${port}`]) {
      const url = `http://${host}/k`;
      const headers = signRequest({ method: 'GET', url }, creds(g));
      const r = await rawRequest(`${g.url}/k`, { headers });
      assert.equal(r.status, 200, r.body.toString());
      assert.equal(r.body.toString(), 'v');
    }
  });
});

test('payloads: a client that disconnects mid-upload leaves no object and the gateway serves on', async () => {
  await withGateway(async (g) => {
    assert.equal((await send(g, 'PUT', '/drop-b')).status, 200);
    const url = `${g.url}/drop-b/partial`;
    const headers = signRequest(
      {
        method: 'PUT',
        url,
        headers: { 'content-length': String(1024 * 1024) },
        payloadHash: 'UNSIGNED-PAYLOAD',
      },
      creds(g),
    );
    const u = new URL(url);
    await new Promise<void>((resolve) => {
      const socket = connect(Number(u.port), u.hostname, () => {
        const head = Object.entries(headers)
          .map(([k, v]) => `${k}: ${v}\r\n`)
          .join('');
        socket.write(`PUT ${u.pathname} HTTP/1.1\r\n${head}\r\n`);
        socket.write(Buffer.alloc(100 * 1024, 1), () => setTimeout(() => socket.destroy(), 50));
      });
      socket.on('close', () => resolve());
      socket.on('error', () => resolve());
    });
    let status = 0;
    for (let i = 0; i < 50; i++) {
      status = (await send(g, 'HEAD', '/drop-b/partial')).status;
      if (status === 404) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(status, 404, 'nothing partial is visible');
    assert.equal((await send(g, 'PUT', '/drop-b/partial', 'whole')).status, 200);
    assert.equal((await send(g, 'GET', '/drop-b/partial')).body.toString(), 'whole');
  });
});
