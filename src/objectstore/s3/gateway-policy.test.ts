import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateBucketCommand,
  DeleteBucketOwnershipControlsCommand,
  DeleteBucketPolicyCommand,
  DeletePublicAccessBlockCommand,
  GetBucketAclCommand,
  GetBucketOwnershipControlsCommand,
  GetBucketPolicyCommand,
  GetBucketPolicyStatusCommand,
  GetObjectCommand,
  GetPublicAccessBlockCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutBucketAclCommand,
  PutBucketOwnershipControlsCommand,
  PutBucketPolicyCommand,
  PutObjectAclCommand,
  PutObjectCommand,
  PutPublicAccessBlockCommand,
  DeleteObjectCommand,
} from '@aws-sdk/client-s3';
import { errorCode, rawRequest } from './test-http.js';
import { client, s3Error, withGateway } from './test-sdk.js';

const policy = (statements: unknown[]): string =>
  JSON.stringify({ Version: '2012-10-17', Statement: statements });

test('bucket policies: public reads by prefix, explicit Deny over ACLs, conditions, status and errors', async () => {
  await withGateway(async (g, c) => {
    const ca = g.ca !== undefined ? { ca: g.ca } : {};
    const anon = (method: string, path: string, body?: string) =>
      rawRequest(`${g.url}${path}`, { method, ...(body !== undefined ? { body } : {}), ...ca });
    const bob = client(g, await g.createUser('bob'));
    await bob.send(new ListBucketsCommand({}));
    await c.send(new CreateBucketCommand({ Bucket: 'pol' }));
    for (const k of ['public/a.txt', 'secret/b.txt', 'home/bob/c.txt', 'other.txt'])
      await c.send(
        new PutObjectCommand({
          Bucket: 'pol',
          Key: k,
          Body: k,
          ACL: k === 'secret/b.txt' ? 'public-read' : undefined,
        }),
      );
    await s3Error(c.send(new GetBucketPolicyCommand({ Bucket: 'pol' })), 'NoSuchBucketPolicy', 404);
    await s3Error(c.send(new GetBucketPolicyStatusCommand({ Bucket: 'pol' })), 'NoSuchBucketPolicy', 404);
    const doc = policy([
      {
        Sid: 'PublicRead',
        Effect: 'Allow',
        Principal: '*',
        Action: 's3:GetObject',
        Resource: 'arn:aws:s3:::pol/public/*',
      },
      {
        Sid: 'NoSecrets',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:GetObject',
        Resource: 'arn:aws:s3:::pol/secret/*',
      },
      {
        Sid: 'BobsHome',
        Effect: 'Allow',
        Principal: { AWS: 'arn:aws:iam::000000000000:user/bob' },
        Action: ['s3:ListBucket'],
        Resource: 'arn:aws:s3:::pol',
        Condition: { StringLike: { 's3:prefix': 'home/bob/*' } },
      },
      {
        Effect: 'Allow',
        Principal: { AWS: ['bob'] },
        Action: ['s3:GetObject', 's3:PutObject'],
        Resource: 'arn:aws:s3:::pol/home/${aws:username}/*',
      },
      {
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:PutObject',
        Resource: 'arn:aws:s3:::pol/*',
        Condition: { StringEquals: { 's3:x-amz-acl': 'public-read' } },
      },
      {
        Effect: 'Allow',
        Principal: '*',
        Action: 's3:GetObject',
        Resource: 'arn:aws:s3:::pol/*',
        Condition: {
          StringEquals: { 's3:ExistingObjectTag/share': 'yes' },
          IpAddress: { 'aws:SourceIp': '127.0.0.0/8' },
        },
      },
    ]);
    await c.send(new PutBucketPolicyCommand({ Bucket: 'pol', Policy: doc }));
    assert.deepEqual(
      JSON.parse((await c.send(new GetBucketPolicyCommand({ Bucket: 'pol' }))).Policy ?? ''),
      JSON.parse(doc),
    );
    assert.equal(
      (await c.send(new GetBucketPolicyStatusCommand({ Bucket: 'pol' }))).PolicyStatus?.IsPublic,
      true,
    );

    assert.equal((await anon('GET', '/pol/public/a.txt')).body.toString(), 'public/a.txt');
    assert.equal(errorCode((await anon('GET', '/pol/other.txt')).body), 'AccessDenied');
    assert.equal(
      errorCode((await anon('GET', '/pol/secret/b.txt')).body),
      'AccessDenied',
      'Deny beats the public-read ACL',
    );
    await s3Error(
      bob.send(new GetObjectCommand({ Bucket: 'pol', Key: 'secret/b.txt' })),
      'AccessDenied',
      403,
    );
    await s3Error(c.send(new GetObjectCommand({ Bucket: 'pol', Key: 'secret/b.txt' })), 'AccessDenied', 403);
    // Conditions on the listing's prefix.
    const home = await bob.send(new ListObjectsV2Command({ Bucket: 'pol', Prefix: 'home/bob/' }));
    assert.deepEqual(
      home.Contents?.map((o) => o.Key),
      ['home/bob/c.txt'],
    );
    await s3Error(bob.send(new ListObjectsV2Command({ Bucket: 'pol' })), 'AccessDenied', 403);
    // A policy variable: bob's own folder.
    await bob.send(new PutObjectCommand({ Bucket: 'pol', Key: 'home/bob/new.txt', Body: 'n' }));
    await s3Error(
      bob.send(new PutObjectCommand({ Bucket: 'pol', Key: 'home/carol/x', Body: 'n' })),
      'AccessDenied',
      403,
    );
    await s3Error(bob.send(new GetObjectCommand({ Bucket: 'pol', Key: 'other.txt' })), 'AccessDenied', 403);
    await s3Error(
      bob.send(new ListObjectsV2Command({ Bucket: 'pol', Prefix: 'home/' })),
      'AccessDenied',
      403,
    );
    // A condition on the request's canned ACL.
    await s3Error(
      c.send(new PutObjectCommand({ Bucket: 'pol', Key: 'x', Body: 'x', ACL: 'public-read' })),
      'AccessDenied',
      403,
    );
    // Existing object tags and the source address.
    await c.send(new PutObjectCommand({ Bucket: 'pol', Key: 'tagged.txt', Body: 't', Tagging: 'share=yes' }));
    assert.equal((await anon('GET', '/pol/tagged.txt')).status, 200);
    await s3Error(
      bob.send(new DeleteObjectCommand({ Bucket: 'pol', Key: 'tagged.txt' })),
      'AccessDenied',
      403,
    );

    // Malformed policies.
    await s3Error(
      c.send(new PutBucketPolicyCommand({ Bucket: 'pol', Policy: '{"Statement": ' })),
      'MalformedPolicy',
      400,
    );
    await s3Error(
      c.send(
        new PutBucketPolicyCommand({
          Bucket: 'pol',
          Policy: policy([
            { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::elsewhere/*' },
          ]),
        }),
      ),
      'MalformedPolicy',
      400,
    );
    await s3Error(bob.send(new GetBucketPolicyCommand({ Bucket: 'pol' })), 'AccessDenied', 403);
    await s3Error(bob.send(new PutBucketPolicyCommand({ Bucket: 'pol', Policy: doc })), 'AccessDenied', 403);
    await c.send(new DeleteBucketPolicyCommand({ Bucket: 'pol' }));
    await s3Error(c.send(new GetBucketPolicyCommand({ Bucket: 'pol' })), 'NoSuchBucketPolicy', 404);
    assert.equal(errorCode((await anon('GET', '/pol/public/a.txt')).body), 'AccessDenied');
    assert.equal((await anon('GET', '/pol/secret/b.txt')).status, 200, 'the ACL alone decides again');
    bob.destroy();
  });
});

test('Block Public Access and Object Ownership', async () => {
  await withGateway(async (g, c) => {
    const ca = g.ca !== undefined ? { ca: g.ca } : {};
    const anon = (path: string) => rawRequest(`${g.url}${path}`, ca);
    await c.send(new CreateBucketCommand({ Bucket: 'bpa' }));
    await c.send(new PutObjectCommand({ Bucket: 'bpa', Key: 'open', Body: 'o', ACL: 'public-read' }));
    assert.equal((await anon('/bpa/open')).status, 200);
    await s3Error(
      c.send(new GetPublicAccessBlockCommand({ Bucket: 'bpa' })),
      'NoSuchPublicAccessBlockConfiguration',
      404,
    );
    const all = {
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    };
    await c.send(
      new PutPublicAccessBlockCommand({
        Bucket: 'bpa',
        PublicAccessBlockConfiguration: { ...all, BlockPublicPolicy: false, RestrictPublicBuckets: false },
      }),
    );
    assert.deepEqual(
      (await c.send(new GetPublicAccessBlockCommand({ Bucket: 'bpa' }))).PublicAccessBlockConfiguration,
      {
        ...all,
        BlockPublicPolicy: false,
        RestrictPublicBuckets: false,
      },
    );
    assert.equal(errorCode((await anon('/bpa/open')).body), 'AccessDenied', 'IgnorePublicAcls');
    await s3Error(
      c.send(new PutObjectCommand({ Bucket: 'bpa', Key: 'p', Body: 'p', ACL: 'public-read' })),
      'AccessDenied',
      403,
    );
    await s3Error(
      c.send(new PutBucketAclCommand({ Bucket: 'bpa', ACL: 'public-read' })),
      'AccessDenied',
      403,
    );
    const pub = policy([
      { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::bpa/*' },
    ]);
    await c.send(new PutBucketPolicyCommand({ Bucket: 'bpa', Policy: pub }));
    assert.equal((await anon('/bpa/open')).status, 200, 'a public policy still opens it');
    await c.send(new PutPublicAccessBlockCommand({ Bucket: 'bpa', PublicAccessBlockConfiguration: all }));
    assert.equal(errorCode((await anon('/bpa/open')).body), 'AccessDenied', 'RestrictPublicBuckets');
    await s3Error(c.send(new PutBucketPolicyCommand({ Bucket: 'bpa', Policy: pub })), 'AccessDenied', 403);
    await c.send(new DeletePublicAccessBlockCommand({ Bucket: 'bpa' }));
    assert.equal((await anon('/bpa/open')).status, 200);

    // BucketOwnerEnforced: ACLs off, AccessControlListNotSupported for any but the owner's full control.
    await s3Error(
      c.send(new GetBucketOwnershipControlsCommand({ Bucket: 'bpa' })),
      'OwnershipControlsNotFoundError',
      404,
    );
    await c.send(new DeleteBucketPolicyCommand({ Bucket: 'bpa' }));
    await c.send(
      new PutBucketOwnershipControlsCommand({
        Bucket: 'bpa',
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      }),
    );
    assert.equal(
      (await c.send(new GetBucketOwnershipControlsCommand({ Bucket: 'bpa' }))).OwnershipControls?.Rules?.[0]
        ?.ObjectOwnership,
      'BucketOwnerEnforced',
    );
    assert.equal(errorCode((await anon('/bpa/open')).body), 'AccessDenied', 'object ACLs count for nothing');
    await s3Error(
      c.send(new PutBucketAclCommand({ Bucket: 'bpa', ACL: 'public-read' })),
      'AccessControlListNotSupported',
      400,
    );
    await s3Error(
      c.send(new PutObjectAclCommand({ Bucket: 'bpa', Key: 'open', ACL: 'public-read' })),
      'AccessControlListNotSupported',
      400,
    );
    await s3Error(
      c.send(new PutObjectCommand({ Bucket: 'bpa', Key: 'n', Body: 'n', ACL: 'public-read' })),
      'AccessControlListNotSupported',
      400,
    );
    await c.send(
      new PutObjectCommand({ Bucket: 'bpa', Key: 'n', Body: 'n', ACL: 'bucket-owner-full-control' }),
    );
    assert.equal((await c.send(new GetBucketAclCommand({ Bucket: 'bpa' }))).Grants?.length, 1);
    await c.send(new DeleteBucketOwnershipControlsCommand({ Bucket: 'bpa' }));
    assert.equal((await anon('/bpa/open')).status, 200, 'ACLs count again');
    // A bucket whose ACL grants others cannot switch to BucketOwnerEnforced.
    await c.send(new PutBucketAclCommand({ Bucket: 'bpa', ACL: 'public-read' }));
    await s3Error(
      c.send(
        new PutBucketOwnershipControlsCommand({
          Bucket: 'bpa',
          OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        }),
      ),
      'InvalidBucketAclWithObjectOwnership',
      400,
    );
  });
});
