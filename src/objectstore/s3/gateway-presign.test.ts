import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { ManualClock } from '../../common/clock.js';
import { sdkClient, startTestGateway } from './test-gateway.js';
import { presignUrl } from './sigv4-signer.js';
import { errorCode, rawRequest } from './test-http.js';

test('presigned URLs: X-Amz-Expires outside 1…604800 and expired URLs get AWS codes and messages', async () => {
  const clock = new ManualClock(Date.UTC(2026, 5, 1, 12));
  const g = await startTestGateway({ clock });
  const c = sdkClient(g.url, g.key);
  try {
    await c.send(new CreateBucketCommand({ Bucket: 'pre' }));
    await c.send(new PutObjectCommand({ Bucket: 'pre', Key: 'k', Body: 'presigned body' }));
    const url = (expiresSeconds: number, now = clock.now()): string =>
      presignUrl({ method: 'GET', url: `${g.url}/pre/k` }, g.key, { now, expiresSeconds });

    // The SDK's presigner at the longest expiry AWS allows, signed by the gateway's clock.
    const week = await getSignedUrl(c, new GetObjectCommand({ Bucket: 'pre', Key: 'k' }), {
      expiresIn: 604800,
      signingDate: new Date(clock.now()),
    });
    const ok = await rawRequest(week);
    assert.equal(ok.status, 200);
    assert.equal(ok.body.toString(), 'presigned body');

    for (const [expires, message] of [
      [604801, /X-Amz-Expires must be less than a week/],
      [-1, /X-Amz-Expires must be non-negative/],
    ] as const) {
      const r = await rawRequest(url(expires));
      assert.deepEqual(
        [r.status, errorCode(r.body)],
        [400, 'AuthorizationQueryParametersError'],
        String(expires),
      );
      assert.match(r.body.toString(), message);
    }
    const notNumber = await rawRequest(url(60).replace('X-Amz-Expires=60', 'X-Amz-Expires=soon'));
    assert.deepEqual(
      [notNumber.status, errorCode(notNumber.body)],
      [400, 'AuthorizationQueryParametersError'],
    );
    assert.match(notNumber.body.toString(), /X-Amz-Expires should be a number/);

    // Zero seconds has expired on arrival; so has a URL older than its expiry, and AWS says when.
    const zero = await rawRequest(url(0));
    assert.deepEqual([zero.status, errorCode(zero.body)], [403, 'AccessDenied']);
    assert.match(zero.body.toString(), /Request has expired/);
    const old = await rawRequest(url(60, clock.now() - 61_000));
    assert.deepEqual([old.status, errorCode(old.body)], [403, 'AccessDenied']);
    assert.match(old.body.toString(), /<X-Amz-Expires>60<\/X-Amz-Expires>/);
    assert.match(old.body.toString(), /<ServerTime>2026-06-01T12:00:00.000Z<\/ServerTime>/);
    const fresh = await rawRequest(url(60, clock.now() - 59_000));
    assert.equal(fresh.status, 200);
  } finally {
    c.destroy();
    await g.close();
  }
});
