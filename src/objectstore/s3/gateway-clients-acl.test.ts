import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startUpGateway } from '../../cli/testing.js';
import { canonicalId } from './owner-id.js';

const run = promisify(execFile);

/** Finds the aws cli; skips the test without it (fails under CI=true). */
function awsCli(t: TestContext): string | undefined {
  if (existsSync('/usr/bin/aws')) return '/usr/bin/aws';
  if (process.env.CI === 'true') assert.fail('/usr/bin/aws is required under CI');
  t.skip('/usr/bin/aws is not installed');
  return undefined;
}

test('aws cli: ACLs, bucket policy, policy status, public access block, ownership and --no-sign-request', async (t) => {
  const aws = awsCli(t);
  if (aws === undefined) return;
  const g = await startUpGateway();
  try {
    const env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: g.dir,
      AWS_SHARED_CREDENTIALS_FILE: join(g.dir, 's3-credentials'),
      AWS_CONFIG_FILE: join(g.dir, 's3-config'),
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_PAGER: '',
    };
    const cli = async (...args: string[]): Promise<string> =>
      (await run(aws, ['--endpoint-url', g.url, ...args], { env, timeout: 120_000 })).stdout;
    const fails = async (code: string, ...args: string[]): Promise<void> => {
      await assert.rejects(cli(...args), (e: { stderr?: string }) => {
        assert.match(e.stderr ?? '', new RegExp(code));
        return true;
      });
    };
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
