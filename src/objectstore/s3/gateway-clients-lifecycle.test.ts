import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { startUpGateway } from '../../cli/testing.js';
import { awsCliFor } from './test-aws-cli.js';

test('aws cli: lifecycle configuration, list-object-versions paging and get-object-attributes', async (t) => {
  const g = await startUpGateway();
  try {
    const aws = awsCliFor(t, g);
    if (aws === undefined) return;
    const { cli, fails } = aws;
    await cli('s3', 'mb', 's3://cli-life');
    const config = join(g.dir, 'lifecycle.json');
    await writeFile(
      config,
      JSON.stringify({
        Rules: [
          { ID: 'logs', Status: 'Enabled', Filter: { Prefix: 'logs/' }, Expiration: { Days: 7 } },
          {
            ID: 'uploads',
            Status: 'Enabled',
            Filter: {},
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 3 },
            NoncurrentVersionExpiration: { NoncurrentDays: 30 },
          },
        ],
      }),
    );
    await fails(
      'NoSuchLifecycleConfiguration',
      's3api',
      'get-bucket-lifecycle-configuration',
      '--bucket',
      'cli-life',
    );
    await cli(
      's3api',
      'put-bucket-lifecycle-configuration',
      '--bucket',
      'cli-life',
      '--lifecycle-configuration',
      `file://${config}`,
    );
    const got = JSON.parse(
      await cli('s3api', 'get-bucket-lifecycle-configuration', '--bucket', 'cli-life'),
    ) as {
      Rules: Array<{ ID: string; Expiration?: { Days: number } }>;
    };
    assert.deepEqual(
      got.Rules.map((r) => r.ID),
      ['logs', 'uploads'],
    );
    assert.equal(got.Rules[0]?.Expiration?.Days, 7);
    const bad = join(g.dir, 'bad.json');
    await writeFile(
      bad,
      JSON.stringify({ Rules: [{ ID: 'x', Status: 'Enabled', Filter: {}, Expiration: { Days: 0 } }] }),
    );
    await fails(
      'InvalidArgument',
      's3api',
      'put-bucket-lifecycle-configuration',
      '--bucket',
      'cli-life',
      '--lifecycle-configuration',
      `file://${bad}`,
    );
    // x-amz-expiration reaches the cli as Expiration.
    const file = join(g.dir, 'f.txt');
    await writeFile(file, 'log line\n');
    const head = JSON.parse(
      await cli('s3api', 'put-object', '--bucket', 'cli-life', '--key', 'logs/1', '--body', file),
    ) as { Expiration?: string };
    assert.match(
      head.Expiration ?? '',
      /^expiry-date="[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} 00:00:00 GMT", rule-id="logs"$/,
    );

    // Versions, paged by the cli's own pagination (max-items over page-size 1).
    await cli(
      's3api',
      'put-bucket-versioning',
      '--bucket',
      'cli-life',
      '--versioning-configuration',
      'Status=Enabled',
    );
    for (let i = 0; i < 3; i++)
      await cli('s3api', 'put-object', '--bucket', 'cli-life', '--key', 'doc', '--body', file);
    await cli('s3api', 'delete-object', '--bucket', 'cli-life', '--key', 'doc');
    const versions = JSON.parse(
      await cli('s3api', 'list-object-versions', '--bucket', 'cli-life', '--page-size', '1'),
    ) as {
      Versions: Array<{ Key: string; IsLatest: boolean }>;
      DeleteMarkers: Array<{ Key: string; IsLatest: boolean }>;
    };
    assert.equal(versions.Versions.length, 4);
    assert.deepEqual(
      versions.DeleteMarkers.map((m) => [m.Key, m.IsLatest]),
      [['doc', true]],
    );

    const attrs = JSON.parse(
      await cli(
        's3api',
        'get-object-attributes',
        '--bucket',
        'cli-life',
        '--key',
        'logs/1',
        '--object-attributes',
        'ETag',
        'ObjectSize',
        'StorageClass',
      ),
    ) as { ETag: string; ObjectSize: number; StorageClass: string };
    assert.equal(attrs.ObjectSize, 9);
    assert.equal(attrs.StorageClass, 'STANDARD');
    assert.match(attrs.ETag, /^[0-9a-f]{32}$/);

    await cli('s3api', 'delete-bucket-lifecycle', '--bucket', 'cli-life');
    await fails(
      'NoSuchLifecycleConfiguration',
      's3api',
      'get-bucket-lifecycle-configuration',
      '--bucket',
      'cli-life',
    );
  } finally {
    await g.close();
  }
});
