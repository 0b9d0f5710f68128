import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import {
  CreateBucketCommand,
  GetObjectAclCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  ListObjectsV2Command,
  PutBucketCorsCommand,
  PutBucketPolicyCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { sdkClient, startTestGateway, type TestGateway } from './test-gateway.js';
import { errorCode } from './test-http.js';
import { signingKey } from './sigv4-signer.js';
import { formatAmzDate } from './sigv4.js';

interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

/** A browser-style form upload: multipart/form-data built by FormData, the file last. */
async function post(
  url: string,
  fields: Record<string, string>,
  file: { name: string; data: Buffer | string },
  headers: Record<string, string> = {},
): Promise<Answer> {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  form.append('file', new Blob([file.data]), file.name);
  const r = await fetch(url, { method: 'POST', body: form, headers, redirect: 'manual' });
  return { status: r.status, headers: r.headers, text: await r.text() };
}

/**
 * A hand-made V4 policy (for cases the SDK's helper cannot build) and the fields that sign it;
 * like the SDK's, it names the signing fields in its conditions. A string is signed as it is.
 */
function signedFields(
  g: TestGateway,
  doc: { expiration?: string; conditions: unknown[] } | string,
  now = Date.now(),
): Record<string, string> {
  const amzDate = formatAmzDate(now);
  const credential = {
    accessKeyId: g.key.accessKeyId,
    date: amzDate.slice(0, 8),
    region: 'us-east-1',
    service: 's3',
  };
  const signing = {
    'x-amz-algorithm': 'AWS4-HMAC-SHA256',
    'x-amz-credential': `${g.key.accessKeyId}/${credential.date}/us-east-1/s3/aws4_request`,
    'x-amz-date': amzDate,
  };
  const text =
    typeof doc === 'string'
      ? doc
      : JSON.stringify({
          ...doc,
          conditions: [...doc.conditions, ...Object.entries(signing).map(([k, v]) => ({ [k]: v }))],
        });
  const policy = Buffer.from(text).toString('base64');
  const signature = createHmac('sha256', signingKey(g.key.secretAccessKey, credential))
    .update(policy)
    .digest('hex');
  return { policy, ...signing, 'x-amz-signature': signature };
}

async function keys(c: S3Client, bucket: string): Promise<string[]> {
  const listed = await c.send(new ListObjectsV2Command({ Bucket: bucket }));
  return (listed.Contents ?? []).map((o) => o.Key ?? '');
}

async function read(c: S3Client, bucket: string, key: string): Promise<Buffer> {
  const got = await c.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await got.Body!.transformToByteArray());
}

test('POST Object: an SDK presigned post uploads with metadata, ACL, tags, ${filename} and the status asked for', async () => {
  const g = await startTestGateway();
  const c = sdkClient(g.url, g.key);
  try {
    await c.send(new CreateBucketCommand({ Bucket: 'forms' }));
    const data = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7) % 251));
    const tagging = '<Tagging><TagSet><Tag><Key>source</Key><Value>form</Value></Tag></TagSet></Tagging>';
    const { url, fields } = await createPresignedPost(c, {
      Bucket: 'forms',
      Key: 'uploads/${filename}',
      Conditions: [
        ['content-length-range', 1, 1024 * 1024],
        ['starts-with', '$Content-Type', 'image/'],
        ['eq', '$x-amz-meta-owner', 'alice'],
        { acl: 'public-read' },
        { success_action_status: '201' },
        { tagging },
      ],
      Fields: {
        'Content-Type': 'image/png',
        'x-amz-meta-owner': 'alice',
        acl: 'public-read',
        success_action_status: '201',
        tagging,
      },
      Expires: 600,
    });
    const r = await post(url, fields, { name: 'photo.png', data });
    assert.equal(r.status, 201, r.text);
    const etag = `"${createHash('md5').update(data).digest('hex')}"`;
    assert.equal(r.headers.get('etag'), etag);
    assert.match(r.text, /<Key>uploads\/photo\.png<\/Key>/);
    assert.match(r.text, /<Bucket>forms<\/Bucket>/);
    assert.ok(r.text.includes(`<ETag>&quot;${etag.slice(1, -1)}&quot;</ETag>`), r.text);

    const got = await c.send(new GetObjectCommand({ Bucket: 'forms', Key: 'uploads/photo.png' }));
    assert.equal(got.ContentType, 'image/png');
    assert.deepEqual(got.Metadata, { owner: 'alice' });
    assert.ok(Buffer.from(await got.Body!.transformToByteArray()).equals(data));
    const tags = await c.send(new GetObjectTaggingCommand({ Bucket: 'forms', Key: 'uploads/photo.png' }));
    assert.deepEqual(tags.TagSet, [{ Key: 'source', Value: 'form' }]);
    const acl = await c.send(new GetObjectAclCommand({ Bucket: 'forms', Key: 'uploads/photo.png' }));
    assert.ok(acl.Grants?.some((gr) => gr.Grantee?.URI?.endsWith('/AllUsers') && gr.Permission === 'READ'));

    // Default status 204; a redirect is 303 with bucket, key and etag; an empty file within range.
    const plain = await createPresignedPost(c, { Bucket: 'forms', Key: 'plain.txt' });
    const r204 = await post(plain.url, plain.fields, { name: 'x', data: 'hello' });
    assert.equal(r204.status, 204);
    assert.equal(r204.headers.get('location'), `${g.url}/forms/plain.txt`);
    assert.equal((await read(c, 'forms', 'plain.txt')).toString(), 'hello');
    const back = 'http://127.0.0.1:1/done?x=1';
    const redirecting = await createPresignedPost(c, {
      Bucket: 'forms',
      Key: 'redirected',
      Conditions: [{ success_action_redirect: back }],
      Fields: { success_action_redirect: back },
    });
    const r303 = await post(redirecting.url, redirecting.fields, { name: 'x', data: 'moved' });
    assert.equal(r303.status, 303);
    const location = new URL(r303.headers.get('location') ?? '');
    assert.equal(location.origin + location.pathname, 'http://127.0.0.1:1/done');
    assert.equal(location.searchParams.get('x'), '1');
    assert.equal(location.searchParams.get('bucket'), 'forms');
    assert.equal(location.searchParams.get('key'), 'redirected');
    assert.equal(location.searchParams.get('etag'), `"${createHash('md5').update('moved').digest('hex')}"`);
  } finally {
    c.destroy();
    await g.close();
  }
});

test('POST Object: policy violations, bad V4 and V2 signatures and broken forms are refused as S3 does and store nothing; V2 signed forms upload', async () => {
  const g = await startTestGateway();
  const c = sdkClient(g.url, g.key);
  try {
    await c.send(new CreateBucketCommand({ Bucket: 'strict' }));
    const url = `${g.url}/strict`;
    const hour = new Date(Date.now() + 3_600_000).toISOString();
    const base = [{ bucket: 'strict' }, ['starts-with', '$key', 'in/'], ['content-length-range', 2, 10]];
    const refused = async (
      fields: Record<string, string>,
      file: { name: string; data: string },
      code: string,
      status: number,
      message?: RegExp,
    ): Promise<void> => {
      const r = await post(url, fields, file);
      assert.equal(r.status, status, r.text);
      assert.equal(errorCode(r.text), code, r.text);
      if (message !== undefined)
        assert.match(r.text.replaceAll('&quot;', '"').replaceAll('&apos;', "'"), message);
    };
    const ok = signedFields(g, { expiration: hour, conditions: base });
    const file = { name: 'f', data: 'fine' };

    await refused(
      { ...ok, key: 'out/x' },
      file,
      'AccessDenied',
      403,
      /Policy Condition failed: \["starts-with", "\$key", "in\/"\]/,
    );
    await refused(
      { ...ok, key: 'in/x', 'x-amz-meta-extra': 'y' },
      file,
      'AccessDenied',
      403,
      /Extra input fields: x-amz-meta-extra/,
    );
    await refused(
      { ...ok, key: 'in/big' },
      { name: 'f', data: 'x'.repeat(11) },
      'EntityTooLarge',
      400,
      /<MaxSizeAllowed>10</,
    );
    await refused(
      { ...ok, key: 'in/small' },
      { name: 'f', data: 'x' },
      'EntityTooSmall',
      400,
      /<MinSizeAllowed>2</,
    );
    const past = signedFields(g, { expiration: new Date(Date.now() - 1000).toISOString(), conditions: base });
    await refused({ ...past, key: 'in/x' }, file, 'AccessDenied', 403, /Policy expired/);
    await refused(
      { ...ok, key: 'in/x', 'x-amz-signature': '0'.repeat(64) },
      file,
      'SignatureDoesNotMatch',
      403,
    );
    await refused({ ...signedFields(g, '{"nope":'), key: 'in/x' }, file, 'InvalidPolicyDocument', 400);
    const noExpiry = signedFields(g, { conditions: base });
    await refused({ ...noExpiry, key: 'in/x' }, file, 'InvalidPolicyDocument', 400, /missing expiration/);
    const { 'x-amz-signature': _s, ...unsigned } = ok;
    await refused({ ...unsigned, key: 'in/x' }, file, 'InvalidArgument', 400, /x-amz-signature/);
    await refused(
      { ...ok, 'x-amz-credential': ok['x-amz-credential']!.replace(/^[^/]+/, 'AKIANOBODY'), key: 'in/x' },
      file,
      'InvalidAccessKeyId',
      403,
    );
    const { key: _k, ...keyless } = { ...ok, key: '' };
    await refused(keyless, file, 'InvalidArgument', 400, /field named 'key'/);
    // Anonymous: no policy needed, but the bucket must allow it.
    await refused({ key: 'in/anon' }, file, 'AccessDenied', 403);

    // A form without a file, and a body that is not a form.
    const noFile = new FormData();
    for (const [k, v] of Object.entries({ ...ok, key: 'in/x' })) noFile.append(k, v);
    const r1 = await fetch(url, { method: 'POST', body: noFile });
    assert.equal(errorCode(await r1.text()), 'IncorrectNumberOfFilesInPostRequest');
    const r2 = await fetch(url, { method: 'POST', body: 'key=x', headers: { 'content-type': 'text/plain' } });
    assert.equal(r2.status, 412);
    const r3 = await fetch(url, {
      method: 'POST',
      body: '--b\r\nContent-Disposition: form-data; name="key"\r\n\r\nin/x\r\n--b',
      headers: { 'content-type': 'multipart/form-data; boundary=b' },
    });
    assert.equal(r3.status, 400);

    // Signature V2, as old clients sign a form: the base64 HMAC-SHA1 of the policy with the secret.
    const v2Policy = Buffer.from(JSON.stringify({ expiration: hour, conditions: base })).toString('base64');
    const v2 = {
      policy: v2Policy,
      AWSAccessKeyId: g.key.accessKeyId,
      signature: createHmac('sha1', g.key.secretAccessKey).update(v2Policy).digest('base64'),
    };
    await refused(
      { ...v2, signature: Buffer.alloc(20).toString('base64'), key: 'in/v2' },
      file,
      'SignatureDoesNotMatch',
      403,
    );
    await refused({ ...v2, AWSAccessKeyId: 'AKIANOBODY', key: 'in/v2' }, file, 'InvalidAccessKeyId', 403);
    const { signature: _v2s, ...v2Unsigned } = v2;
    await refused({ ...v2Unsigned, key: 'in/v2' }, file, 'InvalidArgument', 400, /field named 'signature'/);
    await refused({ ...v2, key: 'out/v2' }, file, 'AccessDenied', 403, /Policy Condition failed/);

    assert.deepEqual(await keys(c, 'strict'), [], 'no refused upload left anything');
    const good = await post(url, { ...ok, key: 'in/${filename}' }, { name: 'named.txt', data: 'fine' });
    assert.equal(good.status, 204, good.text);
    const goodV2 = await post(url, { ...v2, key: 'in/v2' }, { name: 'f', data: 'signed v2' });
    assert.equal(goodV2.status, 204, goodV2.text);
    assert.deepEqual(await keys(c, 'strict'), ['in/named.txt', 'in/v2']);
    assert.equal((await read(c, 'strict', 'in/v2')).toString(), 'signed v2');
  } finally {
    c.destroy();
    await g.close();
  }
});

test('POST Object: anonymous uploads where the bucket policy allows them, CORS preflight and headers for POST', async () => {
  const g = await startTestGateway();
  const c = sdkClient(g.url, g.key);
  try {
    await c.send(new CreateBucketCommand({ Bucket: 'drop' }));
    await c.send(
      new PutBucketPolicyCommand({
        Bucket: 'drop',
        Policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: '*',
              Action: 's3:PutObject',
              Resource: 'arn:aws:s3:::drop/inbox/*',
            },
          ],
        }),
      }),
    );
    await c.send(
      new PutBucketCorsCommand({
        Bucket: 'drop',
        CORSConfiguration: {
          CORSRules: [
            { AllowedOrigins: ['http://app.example'], AllowedMethods: ['POST'], AllowedHeaders: ['*'] },
          ],
        },
      }),
    );
    const url = `${g.url}/drop`;
    const origin = { origin: 'http://app.example' };
    const anon = await post(url, { key: 'inbox/a.txt' }, { name: 'a', data: 'anonymous' }, origin);
    assert.equal(anon.status, 204, anon.text);
    assert.equal(anon.headers.get('access-control-allow-origin'), 'http://app.example');
    assert.equal((await read(c, 'drop', 'inbox/a.txt')).toString(), 'anonymous');
    const outside = await post(url, { key: 'private/a.txt' }, { name: 'a', data: 'no' }, origin);
    assert.equal(outside.status, 403);
    assert.equal(
      outside.headers.get('access-control-allow-origin'),
      'http://app.example',
      'refusals keep CORS',
    );

    const preflight = await fetch(url, {
      method: 'OPTIONS',
      headers: {
        ...origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'x-requested-with',
      },
    });
    assert.equal(preflight.status, 200);
    assert.equal(preflight.headers.get('access-control-allow-origin'), 'http://app.example');
    assert.match(preflight.headers.get('access-control-allow-methods') ?? '', /POST/);
    const foreign = await fetch(url, {
      method: 'OPTIONS',
      headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' },
    });
    assert.equal(foreign.status, 403);
    assert.deepEqual(await keys(c, 'drop'), ['inbox/a.txt']);
  } finally {
    c.destroy();
    await g.close();
  }
});

test('POST Object: a 24 MiB file streams through the form to storage and reads back byte for byte', async () => {
  const g = await startTestGateway();
  const c = sdkClient(g.url, g.key);
  try {
    await c.send(new CreateBucketCommand({ Bucket: 'large' }));
    const data = Buffer.alloc(24 * 1024 * 1024);
    for (let i = 0; i < data.length; i += 4096) data.writeUInt32BE(i, i);
    const { url, fields } = await createPresignedPost(c, {
      Bucket: 'large',
      Key: 'big.bin',
      Conditions: [['content-length-range', 0, 32 * 1024 * 1024]],
    });
    const r = await post(url, fields, { name: 'big.bin', data });
    assert.equal(r.status, 204, r.text);
    const back = await read(c, 'large', 'big.bin');
    assert.equal(back.length, data.length);
    assert.ok(back.equals(data));
  } finally {
    c.destroy();
    await g.close();
  }
});
