import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { startUpGateway } from '../../cli/testing.js';
import { awsCliFor } from './test-aws-cli.js';

const run = promisify(execFile);

/** Finds a system tool; skips the test without it (fails under CI=true). */
function tool(t: TestContext, candidates: string[]): string | undefined {
  const found = candidates.find((p) => existsSync(p));
  if (found !== undefined) return found;
  if (process.env.CI === 'true') assert.fail(`${candidates.join(' or ')} is required under CI`);
  t.skip(`${candidates[0]} is not installed`);
  return undefined;
}

/** A folder tree with awkward names, an empty file and a file big enough for multipart. */
async function makeTree(root: string): Promise<void> {
  const files: Record<string, Buffer> = {
    'plain.txt': Buffer.from('hello\n'),
    empty: Buffer.alloc(0),
    'with space/ü nicode+plus.txt': Buffer.from('unicode'),
    'deep/a/b/c/d.bin': createHash('sha256').update('x').digest(),
    'big/twelve.bin': Buffer.alloc(12 * 1024 * 1024, 7).fill(3, 5 * 1024 * 1024),
  };
  for (const [name, data] of Object.entries(files)) {
    await mkdir(join(root, name, '..'), { recursive: true });
    await writeFile(join(root, name), data);
  }
}

async function snapshot(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else
        out[relative(root, p)] = createHash('md5')
          .update(await readFile(p))
          .digest('hex');
    }
  };
  await walk(root);
  return out;
}

test('aws cli: s3 mb/cp/sync/ls/rm and s3api calls work against the gateway', async (t) => {
  if (tool(t, ['/usr/bin/aws']) === undefined) return;
  const g = await startUpGateway();
  try {
    const { cli } = awsCliFor(t, g) ?? assert.fail('aws cli');
    const src = join(g.dir, 'src');
    const dst = join(g.dir, 'dst');
    await makeTree(src);
    await cli('s3', 'mb', 's3://cli-bucket');
    await cli('s3', 'cp', join(src, 'plain.txt'), 's3://cli-bucket/one/plain.txt');
    await cli('s3', 'sync', src, 's3://cli-bucket/tree');
    const ls = await cli('s3', 'ls', '--recursive', 's3://cli-bucket/tree/');
    assert.match(ls, /tree\/with space\/ü nicode\+plus\.txt/);
    assert.match(ls, /12582912 tree\/big\/twelve\.bin/);
    await cli('s3', 'sync', 's3://cli-bucket/tree', dst);
    assert.deepEqual(await snapshot(dst), await snapshot(src));
    const head = JSON.parse(
      await cli('s3api', 'head-object', '--bucket', 'cli-bucket', '--key', 'tree/big/twelve.bin'),
    ) as { ContentLength: number; ETag: string };
    assert.equal(head.ContentLength, 12 * 1024 * 1024);
    assert.match(head.ETag, /-\d+"$/, 'the cli uploaded it in parts');
    // Each aws call costs seconds of Python start-up here, so the s3api part stays short.
    const versions = JSON.parse(
      await cli('s3api', 'list-object-versions', '--bucket', 'cli-bucket', '--prefix', 'one/'),
    ) as { Versions: Array<{ Key: string }> };
    assert.deepEqual(
      versions.Versions.map((v) => v.Key),
      ['one/plain.txt'],
    );
    await cli(
      's3api',
      'delete-objects',
      '--bucket',
      'cli-bucket',
      '--delete',
      'Objects=[{Key=one/plain.txt}],Quiet=true',
    );
    await cli('s3', 'rm', '--recursive', 's3://cli-bucket/tree');
    await cli('s3', 'rb', 's3://cli-bucket');
  } finally {
    await g.close();
  }
});

test('rclone: copies a folder tree up and back byte for byte', async (t) => {
  const rclone = tool(t, ['/usr/bin/rclone', '/usr/local/bin/rclone']);
  if (rclone === undefined) return;
  const g = await startUpGateway();
  try {
    await writeFile(join(g.dir, 'rclone.conf'), '');
    const env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: g.dir,
      RCLONE_CONFIG: join(g.dir, 'rclone.conf'),
      RCLONE_CONFIG_X_TYPE: 's3',
      RCLONE_CONFIG_X_PROVIDER: 'Other',
      RCLONE_CONFIG_X_ENDPOINT: g.url,
      RCLONE_CONFIG_X_ACCESS_KEY_ID: g.key.accessKeyId,
      RCLONE_CONFIG_X_SECRET_ACCESS_KEY: g.key.secretAccessKey,
      RCLONE_CONFIG_X_REGION: 'us-east-1',
      RCLONE_CONFIG_X_FORCE_PATH_STYLE: 'true',
      // The gateway speaks HTTPS with a certificate from the cluster CA.
      RCLONE_CA_CERT: join(g.dir, 'tls', 'ca.crt'),
    };
    const rc = (...args: string[]) =>
      run(
        rclone,
        [
          ...args,
          '--s3-upload-cutoff',
          '5M',
          '--s3-chunk-size',
          '5M',
          '--retries',
          '1',
          '--low-level-retries',
          '1',
        ],
        { env, timeout: 120_000 },
      );
    const src = join(g.dir, 'src');
    const dst = join(g.dir, 'dst');
    await makeTree(src);
    await rc('mkdir', 'x:rclone-bucket');
    await rc('copy', src, 'x:rclone-bucket/tree');
    await rc('check', src, 'x:rclone-bucket/tree');
    await rc('copy', 'x:rclone-bucket/tree', dst);
    assert.deepEqual(await snapshot(dst), await snapshot(src));
    const { stdout } = await rc('lsf', '-R', 'x:rclone-bucket/tree');
    assert.match(stdout, /with space\/ü nicode\+plus\.txt/);
    await rc('purge', 'x:rclone-bucket');
  } finally {
    await g.close();
  }
});
