import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startUpGateway } from '../../cli/testing.js';
import { canonicalId } from './owner-id.js';
import { awsCliFor } from './test-aws-cli.js';

test('aws cli: ACLs, bucket policy, policy status, public access block, ownership and --no-sign-request', async (t) => {
  const g = await startUpGateway();
  try {
    const aws = awsCliFor(t, g);
    if (aws === undefined) return;
    const { cli, fails } = aws;
    const file = join(g.dir, 'hello.txt');
    await writeFile(file, 'hello\n');
    await cli('s3', 'mb', 's3://acl-cli');
    // Re-creating one's own bucket in us-east-1 succeeds, as on AWS.
    await cli('s3api', 'create-bucket', '--bucket', 'acl-cli');
    await cli('s3', 'cp', file, 's3://acl-cli/open.txt', '--acl', 'public-read');
    const objectAcl = JSON.parse(
      await cli('s3api', 'get-object-acl', '--bucket', 'acl-cli', '--key', 'open.txt'),
    ) as {
      Owner: { ID: string; DisplayName: string };
      Grants: Array<{ Grantee: { URI?: string }; Permission: string }>;
    };
    assert.equal(objectAcl.Owner.ID, canonicalId(g.key.user));
    assert.ok(objectAcl.Grants.some((x) => x.Grantee.URI?.endsWith('/AllUsers') && x.Permission === 'READ'));
    // Unsigned requests read what the ACL opens.
    assert.equal(await cli('--no-sign-request', 's3', 'cp', 's3://acl-cli/open.txt', '-'), 'hello\n');
    await fails('AccessDenied', '--no-sign-request', 's3', 'ls', 's3://acl-cli/');
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: '*', Action: 's3:ListBucket', Resource: 'arn:aws:s3:::acl-cli' },
      ],
    });
    await cli('s3api', 'put-bucket-policy', '--bucket', 'acl-cli', '--policy', policy);
    const status = JSON.parse(await cli('s3api', 'get-bucket-policy-status', '--bucket', 'acl-cli')) as {
      PolicyStatus: { IsPublic: boolean };
    };
    assert.equal(status.PolicyStatus.IsPublic, true);
    assert.match(await cli('--no-sign-request', 's3', 'ls', 's3://acl-cli/'), /open\.txt/);
    await cli(
      's3api',
      'put-public-access-block',
      '--bucket',
      'acl-cli',
      '--public-access-block-configuration',
      'BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true',
    );
    await fails('AccessDenied', '--no-sign-request', 's3', 'ls', 's3://acl-cli/');
    await fails('AccessDenied', 's3api', 'put-bucket-acl', '--bucket', 'acl-cli', '--acl', 'public-read');
    await cli('s3api', 'delete-public-access-block', '--bucket', 'acl-cli');
    await cli(
      's3api',
      'put-bucket-ownership-controls',
      '--bucket',
      'acl-cli',
      '--ownership-controls',
      'Rules=[{ObjectOwnership=BucketOwnerEnforced}]',
    );
    await fails(
      'AccessControlListNotSupported',
      's3api',
      'put-bucket-acl',
      '--bucket',
      'acl-cli',
      '--acl',
      'public-read',
    );
  } finally {
    await g.close();
  }
});
