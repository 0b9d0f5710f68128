import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketLifecycleCommand,
  GetBucketLifecycleConfigurationCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectVersionsCommand,
  ListObjectsV2Command,
  PutBucketLifecycleConfigurationCommand,
  PutBucketPolicyCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  UploadPartCommand,
  type LifecycleRule,
} from '@aws-sdk/client-s3';
import { ManualClock } from '../../common/clock.js';
import { dueAt } from '../engine/lifecycle.js';
import { sdkClient, startTestGateway } from './test-gateway.js';
import { s3Error } from './test-sdk.js';

/** A shortened lifecycle day for the worker: one second of the engine's (manual) clock. */
const DAY = 1000;

const RULES: LifecycleRule[] = [
  { ID: 'logs', Status: 'Enabled', Filter: { Prefix: 'logs/' }, Expiration: { Days: 2 } },
  {
    ID: 'tmp files',
    Status: 'Enabled',
    Filter: { And: { Prefix: 'tmp/', Tags: [{ Key: 'kind', Value: 'scratch' }], ObjectSizeGreaterThan: 0 } },
    Expiration: { Days: 1 },
  },
  {
    ID: 'versions',
    Status: 'Enabled',
    Filter: {},
    NoncurrentVersionExpiration: { NoncurrentDays: 3, NewerNoncurrentVersions: 2 },
    AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
  },
  {
    ID: 'markers',
    Status: 'Disabled',
    Filter: { Prefix: '' },
    Expiration: { ExpiredObjectDeleteMarker: true },
  },
];

test('SDK: lifecycle configuration round-trips, invalid ones change nothing, access is checked', async () => {
  const clock = new ManualClock(Date.UTC(2026, 5, 1, 10, 30));
  const g = await startTestGateway({ objectStore: { clock } });
  const c = sdkClient(g.url, g.key);
  const bob = sdkClient(g.url, await g.createUser('bob'));
  try {
    await c.send(new CreateBucketCommand({ Bucket: 'lc-conf' }));
    await s3Error(
      c.send(new GetBucketLifecycleConfigurationCommand({ Bucket: 'lc-conf' })),
      'NoSuchLifecycleConfiguration',
      404,
    );
    const put = await c.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: 'lc-conf',
        LifecycleConfiguration: { Rules: RULES },
      }),
    );
    assert.equal(put.$metadata.httpStatusCode, 200);
    const got = await c.send(new GetBucketLifecycleConfigurationCommand({ Bucket: 'lc-conf' }));
    assert.deepEqual(got.Rules, RULES);

    // Refused configurations leave the stored one as it was.
    const bad = async (rules: LifecycleRule[], code: string): Promise<void> =>
      s3Error(
        c.send(
          new PutBucketLifecycleConfigurationCommand({
            Bucket: 'lc-conf',
            LifecycleConfiguration: { Rules: rules },
          }),
        ),
        code,
        400,
      );
    await bad([{ ID: 'x', Status: 'Enabled', Filter: {}, Expiration: { Days: 0 } }], 'InvalidArgument');
    await bad([{ ID: 'x', Status: 'On' as 'Enabled', Filter: {}, Expiration: { Days: 1 } }], 'MalformedXML');
    await bad([{ ID: 'x', Status: 'Enabled', Filter: {} }], 'InvalidRequest');
    await bad(
      [
        { ID: 'x', Status: 'Enabled', Filter: {}, Expiration: { Days: 1 } },
        { ID: 'x', Status: 'Enabled', Filter: {}, Expiration: { Days: 2 } },
      ],
      'InvalidArgument',
    );
    await bad(
      [{ ID: 'x', Status: 'Enabled', Filter: {}, Expiration: { Date: new Date('2030-01-01T12:00:00Z') } }],
      'InvalidArgument',
    );
    assert.deepEqual(
      (await c.send(new GetBucketLifecycleConfigurationCommand({ Bucket: 'lc-conf' }))).Rules,
      RULES,
    );

    // x-amz-expiration names the rule and the day (24-hour days, next midnight UTC) on PUT, HEAD, GET.
    const created = clock.now();
    const expected = `expiry-date="${new Date(dueAt(created, 1)).toUTCString()}", rule-id="tmp%20files"`;
    assert.equal(expected.includes('Wed, 03 Jun 2026 00:00:00 GMT'), true);
    const p = await c.send(
      new PutObjectCommand({ Bucket: 'lc-conf', Key: 'tmp/a', Body: 'abc', Tagging: 'kind=scratch' }),
    );
    assert.equal(p.Expiration, expected);
    assert.equal(
      (await c.send(new HeadObjectCommand({ Bucket: 'lc-conf', Key: 'tmp/a' }))).Expiration,
      expected,
    );
    const body = await c.send(new GetObjectCommand({ Bucket: 'lc-conf', Key: 'tmp/a' }));
    assert.equal(body.Expiration, expected);
    await body.Body?.transformToString();
    await c.send(new PutObjectCommand({ Bucket: 'lc-conf', Key: 'tmp/untagged', Body: 'abc' }));
    assert.equal(
      (await c.send(new HeadObjectCommand({ Bucket: 'lc-conf', Key: 'tmp/untagged' }))).Expiration,
      undefined,
    );

    // Another user needs the lifecycle actions granted; a Get grant is not a Put grant.
    await s3Error(
      bob.send(new GetBucketLifecycleConfigurationCommand({ Bucket: 'lc-conf' })),
      'AccessDenied',
      403,
    );
    await c.send(
      new PutBucketPolicyCommand({
        Bucket: 'lc-conf',
        Policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { AWS: 'bob' },
              Action: 's3:GetLifecycleConfiguration',
              Resource: 'arn:aws:s3:::lc-conf',
            },
          ],
        }),
      }),
    );
    assert.equal(
      (await bob.send(new GetBucketLifecycleConfigurationCommand({ Bucket: 'lc-conf' }))).Rules?.length,
      4,
    );
    await s3Error(
      bob.send(
        new PutBucketLifecycleConfigurationCommand({
          Bucket: 'lc-conf',
          LifecycleConfiguration: { Rules: [] },
        }),
      ),
      'AccessDenied',
      403,
    );
    await s3Error(bob.send(new DeleteBucketLifecycleCommand({ Bucket: 'lc-conf' })), 'AccessDenied', 403);

    await c.send(new DeleteBucketLifecycleCommand({ Bucket: 'lc-conf' }));
    await s3Error(
      c.send(new GetBucketLifecycleConfigurationCommand({ Bucket: 'lc-conf' })),
      'NoSuchLifecycleConfiguration',
      404,
    );
    assert.equal(
      (await c.send(new HeadObjectCommand({ Bucket: 'lc-conf', Key: 'tmp/a' }))).Expiration,
      undefined,
    );
  } finally {
    c.destroy();
    bob.destroy();
    await g.close();
  }
});

test('SDK: with a shortened day the lifecycle worker expires objects and versions and aborts uploads', async () => {
  const clock = new ManualClock(1000 * DAY + DAY / 2); // mid-day: expiry rounds up to a day boundary
  const g = await startTestGateway({ objectStore: { clock, lifecycle: { dayMs: DAY } } });
  const c = sdkClient(g.url, g.key);
  try {
    await c.send(new CreateBucketCommand({ Bucket: 'lc-run' }));
    await c.send(
      new PutBucketVersioningCommand({ Bucket: 'lc-run', VersioningConfiguration: { Status: 'Enabled' } }),
    );
    await c.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: 'lc-run',
        LifecycleConfiguration: {
          Rules: [
            { ID: 'exp', Status: 'Enabled', Filter: { Prefix: 'logs/' }, Expiration: { Days: 1 } },
            {
              ID: 'all',
              Status: 'Enabled',
              Filter: {},
              NoncurrentVersionExpiration: { NoncurrentDays: 1 },
              AbortIncompleteMultipartUpload: { DaysAfterInitiation: 2 },
            },
            { ID: 'dm', Status: 'Enabled', Filter: {}, Expiration: { ExpiredObjectDeleteMarker: true } },
          ],
        },
      }),
    );
    await c.send(new PutObjectCommand({ Bucket: 'lc-run', Key: 'logs/1', Body: 'one' }));
    await c.send(new PutObjectCommand({ Bucket: 'lc-run', Key: 'keep', Body: 'v1' }));
    await c.send(new PutObjectCommand({ Bucket: 'lc-run', Key: 'keep', Body: 'v2' }));
    const up = await c.send(new CreateMultipartUploadCommand({ Bucket: 'lc-run', Key: 'big' }));
    await c.send(
      new UploadPartCommand({
        Bucket: 'lc-run',
        Key: 'big',
        UploadId: up.UploadId,
        PartNumber: 1,
        Body: 'p',
      }),
    );
    const done = await c.send(new CreateMultipartUploadCommand({ Bucket: 'lc-run', Key: 'done' }));
    const part = await c.send(
      new UploadPartCommand({
        Bucket: 'lc-run',
        Key: 'done',
        UploadId: done.UploadId,
        PartNumber: 1,
        Body: 'd',
      }),
    );
    await c.send(
      new CompleteMultipartUploadCommand({
        Bucket: 'lc-run',
        Key: 'done',
        UploadId: done.UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] },
      }),
    );
    const state = async (): Promise<string[]> => {
      const v = await c.send(new ListObjectVersionsCommand({ Bucket: 'lc-run' }));
      return [
        ...(v.Versions ?? []).map((x) => `${x.Key}${x.IsLatest ? '' : ' (old)'}`),
        ...(v.DeleteMarkers ?? []).map((x) => `${x.Key} marker`),
      ].sort();
    };
    assert.deepEqual(await state(), ['done', 'keep', 'keep (old)', 'logs/1']);
    // Day 1.5: made at 1000.5, one day later rounded up is day 1002: nothing yet.
    clock.advance(DAY);
    assert.equal((await g.objectStore.lifecycleOnce()).lastPassActions, 0);
    // Day 2.5: logs/1 gets a delete marker; keep's old version has been noncurrent a day.
    clock.advance(DAY);
    await g.objectStore.lifecycleOnce();
    assert.deepEqual(await state(), ['done', 'keep', 'logs/1 (old)', 'logs/1 marker']);
    assert.equal((await c.send(new ListObjectsV2Command({ Bucket: 'lc-run' }))).KeyCount, 2);
    assert.equal((await c.send(new ListMultipartUploadsCommand({ Bucket: 'lc-run' }))).Uploads?.length, 1);
    // Day 4.5: the upload is 2 days old (due 1003); logs/1's version has been noncurrent since its
    // marker (due 1004), so it goes, and then its marker is alone and goes too (next pass).
    clock.advance(2 * DAY);
    await g.objectStore.lifecycleOnce();
    await g.objectStore.lifecycleOnce();
    assert.deepEqual(await state(), ['done', 'keep']);
    assert.equal((await c.send(new ListMultipartUploadsCommand({ Bucket: 'lc-run' }))).Uploads, undefined);
    const status = (await g.objectStore.status()).lifecycle;
    assert.deepEqual(
      [status.objectsExpired, status.noncurrentDeleted, status.markersRemoved, status.uploadsAborted],
      [1, 2, 1, 1],
    );
    // The completed multipart object still reads (its parts were not taken by the abort).
    const got = await c.send(new GetObjectCommand({ Bucket: 'lc-run', Key: 'done' }));
    assert.equal(await got.Body?.transformToString(), 'd');
  } finally {
    c.destroy();
    await g.close();
  }
});
