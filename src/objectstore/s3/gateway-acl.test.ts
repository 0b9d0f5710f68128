import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  GetBucketAclCommand,
  GetObjectAclCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutBucketAclCommand,
  PutObjectAclCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { canonicalId } from './owner-id.js';
import { errorCode, rawRequest } from './test-http.js';
import { client, s3Error, withGateway } from './test-sdk.js';

const ALL_USERS = 'http://acs.amazonaws.com/groups/global/AllUsers';
const AUTH_USERS = 'http://acs.amazonaws.com/groups/global/AuthenticatedUsers';

test('ACLs: canned and explicit grants on buckets and objects, anonymous access where they allow it', async () => {
  await withGateway(async (g, c) => {
    const ca = g.ca !== undefined ? { ca: g.ca } : {};
    const anon = (method: string, path: string, body?: string) =>
      rawRequest(`${g.url}${path}`, { method, ...(body !== undefined ? { body } : {}), ...ca });
    const admin = g.key.user;
    const bobKey = await g.createUser('bob');
    const bob = client(g, bobKey);
    await bob.send(new ListBucketsCommand({})); // bob's key is known to the gateway from here on

    // A public-read bucket lists for anyone; its private objects stay private.
    await c.send(new CreateBucketCommand({ Bucket: 'pub', ACL: 'public-read' }));
    const acl = await c.send(new GetBucketAclCommand({ Bucket: 'pub' }));
    assert.equal(acl.Owner?.ID, canonicalId(admin));
    assert.equal(acl.Owner?.DisplayName, admin);
    assert.deepEqual(
      acl.Grants?.map((x) => [x.Grantee?.Type, x.Grantee?.ID ?? x.Grantee?.URI, x.Permission]),
      [
        ['CanonicalUser', canonicalId(admin), 'FULL_CONTROL'],
        ['Group', ALL_USERS, 'READ'],
      ],
    );
    await c.send(new PutObjectCommand({ Bucket: 'pub', Key: 'private.txt', Body: 'secret' }));
    await c.send(new PutObjectCommand({ Bucket: 'pub', Key: 'open.txt', Body: 'hello', ACL: 'public-read' }));
    const listing = await anon('GET', '/pub?list-type=2');
    assert.equal(listing.status, 200, listing.body.toString());
    assert.match(listing.body.toString(), /<Key>open\.txt<\/Key>/);
    const open = await anon('GET', '/pub/open.txt');
    assert.equal(open.status, 200);
    assert.equal(open.body.toString(), 'hello');
    assert.equal((await anon('HEAD', '/pub/open.txt')).status, 200);
    const closed = await anon('GET', '/pub/private.txt');
    assert.equal(closed.status, 403);
    assert.equal(errorCode(closed.body), 'AccessDenied');
    assert.equal(errorCode((await anon('PUT', '/pub/new.txt', 'x')).body), 'AccessDenied');
    assert.equal(
      errorCode((await anon('GET', '/pub/missing.txt')).body),
      'NoSuchKey',
      'who may list sees 404',
    );
    assert.equal(errorCode((await anon('GET', '/')).body), 'AccessDenied', 'no anonymous ListBuckets');
    assert.equal(errorCode((await anon('PUT', '/anon-bucket')).body), 'AccessDenied');
    assert.equal(errorCode((await anon('GET', '/pub?acl')).body), 'AccessDenied');
    // Another user reads the public object and lists, but may not write or read private ones.
    assert.equal(
      await (
        await bob.send(new GetObjectCommand({ Bucket: 'pub', Key: 'open.txt' }))
      ).Body?.transformToString(),
      'hello',
    );
    await s3Error(bob.send(new GetObjectCommand({ Bucket: 'pub', Key: 'private.txt' })), 'AccessDenied', 403);
    await s3Error(
      bob.send(new PutObjectCommand({ Bucket: 'pub', Key: 'b', Body: 'b' })),
      'AccessDenied',
      403,
    );

    // public-read-write: anyone may upload; the writer owns what it wrote.
    await c.send(new PutBucketAclCommand({ Bucket: 'pub', ACL: 'public-read-write' }));
    assert.equal((await anon('PUT', '/pub/dropbox.txt', 'dropped')).status, 200);
    await bob.send(new PutObjectCommand({ Bucket: 'pub', Key: 'bobs.txt', Body: 'mine' }));
    const bobs = await c.send(new GetObjectAclCommand({ Bucket: 'pub', Key: 'bobs.txt' }));
    assert.equal(bobs.Owner?.DisplayName, 'bob');
    assert.equal(bobs.Owner?.ID, canonicalId('bob'));
    await c.send(new PutBucketAclCommand({ Bucket: 'pub', ACL: 'private' }));
    assert.equal(errorCode((await anon('PUT', '/pub/late.txt', 'x')).body), 'AccessDenied');
    assert.equal(errorCode((await anon('GET', '/pub?list-type=2')).body), 'AccessDenied');
    assert.equal((await anon('GET', '/pub/open.txt')).status, 200, "the object's own ACL still opens it");

    // Explicit grants by header (canonical id, group) and by AccessControlPolicy (email).
    await c.send(
      new PutObjectCommand({
        Bucket: 'pub',
        Key: 'for-bob',
        Body: 'b',
        GrantRead: `id="${canonicalId('bob')}"`,
      }),
    );
    assert.equal(
      await (
        await bob.send(new GetObjectCommand({ Bucket: 'pub', Key: 'for-bob' }))
      ).Body?.transformToString(),
      'b',
    );
    await s3Error(bob.send(new GetObjectAclCommand({ Bucket: 'pub', Key: 'for-bob' })), 'AccessDenied', 403);
    await c.send(
      new PutObjectAclCommand({
        Bucket: 'pub',
        Key: 'private.txt',
        AccessControlPolicy: {
          Owner: { ID: canonicalId(admin) },
          Grants: [
            { Grantee: { Type: 'AmazonCustomerByEmail', EmailAddress: 'bob' }, Permission: 'READ_ACP' },
            { Grantee: { Type: 'Group', URI: AUTH_USERS }, Permission: 'READ' },
          ],
        },
      }),
    );
    const seen = await bob.send(new GetObjectAclCommand({ Bucket: 'pub', Key: 'private.txt' }));
    assert.deepEqual(
      seen.Grants?.map((x) => [x.Grantee?.DisplayName ?? x.Grantee?.URI, x.Permission]),
      [
        ['bob', 'READ_ACP'],
        [AUTH_USERS, 'READ'],
      ],
    );
    assert.equal(
      await (
        await bob.send(new GetObjectCommand({ Bucket: 'pub', Key: 'private.txt' }))
      ).Body?.transformToString(),
      'secret',
    );
    assert.equal(
      errorCode((await anon('GET', '/pub/private.txt')).body),
      'AccessDenied',
      'authenticated only',
    );

    // Granting to nobody: AWS's codes.
    await s3Error(
      c.send(
        new PutObjectAclCommand({
          Bucket: 'pub',
          Key: 'open.txt',
          GrantRead: 'emailAddress="nobody@example.com"',
        }),
      ),
      'UnresolvableGrantByEmailAddress',
      400,
    );
    await s3Error(
      c.send(new PutBucketAclCommand({ Bucket: 'pub', GrantRead: `id="${'0'.repeat(64)}"` })),
      'InvalidArgument',
      400,
    );
    await s3Error(
      c.send(new PutBucketAclCommand({ Bucket: 'pub', ACL: 'wide-open' as 'private' })),
      'InvalidArgument',
      400,
    );

    // Copies take the ACL they ask for, never the source's; a readable source may be copied by others.
    await c.send(
      new CopyObjectCommand({
        Bucket: 'pub',
        Key: 'copy.txt',
        CopySource: 'pub/private.txt',
        ACL: 'public-read',
      }),
    );
    assert.equal((await anon('GET', '/pub/copy.txt')).body.toString(), 'secret');
    await c.send(new CopyObjectCommand({ Bucket: 'pub', Key: 'copy2.txt', CopySource: 'pub/open.txt' }));
    assert.equal(errorCode((await anon('GET', '/pub/copy2.txt')).body), 'AccessDenied');
    await bob.send(new CreateBucketCommand({ Bucket: 'bobs-bucket' }));
    await bob.send(new CopyObjectCommand({ Bucket: 'bobs-bucket', Key: 'c', CopySource: 'pub/open.txt' }));
    await s3Error(
      bob.send(new CopyObjectCommand({ Bucket: 'bobs-bucket', Key: 'd', CopySource: 'pub/copy2.txt' })),
      'AccessDenied',
      403,
    );

    // Recreating one's own bucket keeps its ACL.
    await c.send(new PutBucketAclCommand({ Bucket: 'pub', ACL: 'public-read' }));
    await c.send(new CreateBucketCommand({ Bucket: 'pub', ACL: 'private' }));
    assert.equal((await c.send(new GetBucketAclCommand({ Bucket: 'pub' }))).Grants?.length, 2);
    await s3Error(bob.send(new CreateBucketCommand({ Bucket: 'pub' })), 'BucketAlreadyExists', 409);

    // x-amz-expected-bucket-owner on every operation.
    await c.send(new HeadBucketCommand({ Bucket: 'pub', ExpectedBucketOwner: canonicalId(admin) }));
    await s3Error(
      c.send(new ListObjectsV2Command({ Bucket: 'pub', ExpectedBucketOwner: canonicalId('bob') })),
      'AccessDenied',
      403,
    );
    await s3Error(
      c.send(new GetBucketAclCommand({ Bucket: 'pub', ExpectedBucketOwner: '123456789012' })),
      'AccessDenied',
      403,
    );
    await s3Error(
      c.send(
        new CopyObjectCommand({
          Bucket: 'pub',
          Key: 'x',
          CopySource: 'pub/open.txt',
          ExpectedSourceBucketOwner: canonicalId('bob'),
        }),
      ),
      'AccessDenied',
      403,
    );
    bob.destroy();
  });
});
