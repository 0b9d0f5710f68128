import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateBucketCommand,
  GetBucketAclCommand,
  GetObjectCommand,
  type BucketLocationConstraint,
} from '@aws-sdk/client-s3';
import { sdkClient, startTestGateway } from './test-gateway.js';
import { errorCode, rawRequest } from './test-http.js';
import { signRequest } from './sigv4-signer.js';
import { s3Error } from './test-sdk.js';

test('CreateBucket per region: 200 on re-create by the owner in us-east-1 (ACL kept), 409 elsewhere', async () => {
  for (const region of ['us-east-1', 'eu-west-1']) {
    const g = await startTestGateway({ region });
    const c = sdkClient(g.url, g.key);
    const bob = sdkClient(g.url, await g.createUser('bob'));
    try {
      await c.send(new CreateBucketCommand({ Bucket: 'mine', ACL: 'public-read' }));
      const again = c.send(new CreateBucketCommand({ Bucket: 'mine', ACL: 'private' }));
      if (region === 'us-east-1') assert.equal((await again).$metadata.httpStatusCode, 200);
      else await s3Error(again, 'BucketAlreadyOwnedByYou', 409);
      // Either way the first ACL stays (public-read: the owner and AllUsers).
      const acl = await c.send(new GetBucketAclCommand({ Bucket: 'mine' }));
      assert.equal(acl.Grants?.length, 2);
      await s3Error(bob.send(new CreateBucketCommand({ Bucket: 'mine' })), 'BucketAlreadyExists', 409);

      // A LocationConstraint names the gateway's region, or it is refused.
      const other: BucketLocationConstraint = region === 'us-east-1' ? 'eu-west-1' : 'us-west-2';
      await s3Error(
        c.send(
          new CreateBucketCommand({
            Bucket: 'elsewhere',
            CreateBucketConfiguration: { LocationConstraint: other },
          }),
        ),
        'IllegalLocationConstraintException',
        400,
      );
      if (region !== 'us-east-1')
        await c.send(
          new CreateBucketCommand({
            Bucket: 'here',
            CreateBucketConfiguration: { LocationConstraint: region as BucketLocationConstraint },
          }),
        );
    } finally {
      c.destroy();
      bob.destroy();
      await g.close();
    }
  }
});

test('an Expect header other than 100-continue is ignored, as AWS does, not answered 417', async () => {
  const g = await startTestGateway();
  const c = sdkClient(g.url, g.key);
  try {
    await c.send(new CreateBucketCommand({ Bucket: 'expect' }));
    for (const [key, expect] of [
      ['two-hundred', '200'],
      ['empty', ''],
    ] as const) {
      const url = `${g.url}/expect/${key}`;
      const body = Buffer.from(`body of ${key}`);
      const signed = signRequest({ method: 'PUT', url, payloadHash: 'UNSIGNED-PAYLOAD' }, g.key);
      const u = new URL(url);
      const r = await rawRequest(url, {
        method: 'PUT',
        headers: { ...signed, host: u.host, expect, 'content-length': String(body.length) },
        body,
      });
      assert.equal(r.status, 200, `Expect: ${JSON.stringify(expect)}: ${r.status} ${errorCode(r.body)}`);
      const got = await c.send(new GetObjectCommand({ Bucket: 'expect', Key: key }));
      assert.equal(await got.Body?.transformToString(), body.toString());
    }
  } finally {
    c.destroy();
    await g.close();
  }
});
