import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { GetObjectCommand, PutObjectCommand, type S3Client, CreateBucketCommand } from '@aws-sdk/client-s3';
import { sdkClient } from '../objectstore/testing.js';
import { kubectlSkipReason, runKubectl } from '../controllers/testing.js';
import { collect, MAIN_JS, type CliResult } from './cli-harness.js';
import { startServer, type RunningServer } from './server.js';
import { parseKeyPair } from './storage-test-cloud.js';

const skip = kubectlSkipReason() ?? false;
let dir: string;
let dataDir: string;
let server: RunningServer | undefined;

const PASSWORD = `hunter2-${randomBytes(6).toString('hex')}`;
const PASSWORD_B64 = Buffer.from(PASSWORD).toString('base64');

async function start(config?: string): Promise<RunningServer> {
  server = await startServer({
    dataDir,
    apiPort: 0,
    s3Port: 0,
    ...(config !== undefined ? { encryptionProviderConfig: config } : {}),
  });
  return server;
}

async function stop(): Promise<void> {
  await server?.close();
  server = undefined;
}

const s3Client = (credentials: { accessKeyId: string; secretAccessKey: string }): S3Client =>
  sdkClient(server?.s3?.url ?? '', credentials, { ca: server?.tls.trust?.pem });

const kubectl = (args: string[]) => runKubectl(dir, server?.kubeconfigPath ?? '', args);

function stratus(args: string[]): Promise<CliResult> {
  const child = spawn(process.execPath, [MAIN_JS, ...args], {
    cwd: dir,
    env: { ...process.env, KUBECONFIG: server?.kubeconfigPath ?? '', HOME: dir },
  });
  return collect(child, { timeoutMs: 60_000 });
}

/** Every value of every row of state.db, as SQLite returns it, plus the database and WAL bytes. */
function storedText(): string {
  const db = new Database(join(dataDir, 'state.db'), { readonly: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{
      name: string;
    }>;
    const rows = tables.flatMap((t) => db.prepare(`SELECT * FROM "${t.name}"`).all());
    const cells = rows
      .flatMap((r) => Object.values(r as Record<string, unknown>))
      .map((v) => (Buffer.isBuffer(v) ? v.toString('latin1') : String(v)));
    const files = ['state.db', 'state.db-wal']
      .map((f) => join(dataDir, f))
      .filter(existsSync)
      .map((f) => readFileSync(f).toString('latin1'));
    return [...cells, ...files].join('\n');
  } finally {
    db.close();
  }
}

/** The current value of every object in state.db. */
function currentValues(): string[] {
  const db = new Database(join(dataDir, 'state.db'), { readonly: true });
  try {
    return (db.prepare('SELECT value FROM current').all() as Array<{ value: string }>).map((r) => r.value);
  } finally {
    db.close();
  }
}

function keyConfig(keys: Array<[string, Buffer]>): string {
  const list = keys
    .map(([name, k]) => `            - name: ${name}\n              secret: ${k.toString('base64')}`)
    .join('\n');
  return `apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
  - resources: [secrets, accesskeys.iam.stratus.dev]
    providers:
      - aesgcm:
          keys:
${list}
      - identity: {}
`;
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stratus-encryption-'));
  dataDir = join(dir, 'data');
});
after(async () => {
  await stop();
  await rm(dir, { recursive: true, force: true });
});

test(
  'Secrets and AccessKey secrets are encrypted at rest; key rotation and reencrypt',
  { skip },
  async () => {
    await start();
    const configPath = join(dataDir, 'encryption-config.yaml');
    assert.equal((await stat(configPath)).mode & 0o777, 0o600, 'the generated configuration is 0600');
    const generated = await readFile(configPath, 'utf8');
    assert.match(generated, /kind: EncryptionConfiguration/);
    const key1 = Buffer.from(/secret: (\S+)/.exec(generated)?.[1] ?? '', 'base64');
    assert.equal(key1.length, 32);

    // A Secret through kubectl create (protobuf) and one through kubectl apply, whose
    // last-applied annotation repeats the data.
    let r = await kubectl(['create', 'secret', 'generic', 'db', `--from-literal=password=${PASSWORD}`]);
    assert.equal(r.code, 0, r.stderr);
    const manifest = join(dir, 'applied.yaml');
    await writeFile(
      manifest,
      `apiVersion: v1\nkind: Secret\nmetadata:\n  name: applied\nstringData:\n  password: ${PASSWORD}\n`,
    );
    r = await kubectl(['apply', '-f', manifest]);
    assert.equal(r.code, 0, r.stderr);
    r = await kubectl(['get', 'secret', 'applied', '-o', 'jsonpath={.data.password}']);
    assert.equal(r.stdout, PASSWORD_B64, 'reads are plaintext');

    // An S3 key: its secret is shown once, then never again; S3 still verifies signatures with it.
    const made = await stratus(['s3', 'keys', 'create', '--user', 'alice']);
    assert.equal(made.code, 0, made.stderr);
    const key = parseKeyPair(made.stdout);
    const shown = await kubectl(['get', 'accesskey', key.accessKeyId, '-o', 'json']);
    assert.equal(shown.code, 0, shown.stderr);
    assert.ok(!shown.stdout.includes(key.secretAccessKey), 'get never shows the secret');
    assert.equal(
      (JSON.parse(shown.stdout) as { spec: Record<string, unknown> }).spec.secretAccessKey,
      undefined,
    );
    const listed = await kubectl(['get', 'accesskeys', '-o', 'yaml']);
    assert.ok(!listed.stdout.includes(key.secretAccessKey), 'list never shows the secret');
    const s3 = s3Client(key);
    try {
      await s3.send(new CreateBucketCommand({ Bucket: 'enc' }));
      await s3.send(new PutObjectCommand({ Bucket: 'enc', Key: 'k', Body: 'v' }));
      assert.equal(
        await (await s3.send(new GetObjectCommand({ Bucket: 'enc', Key: 'k' }))).Body?.transformToString(),
        'v',
      );
    } finally {
      s3.destroy();
    }
    // Relabelling the key (an update without the secret) keeps it working and hidden.
    r = await kubectl(['label', 'accesskey', key.accessKeyId, 'team=a']);
    assert.equal(r.code, 0, r.stderr);
    await stop();

    const text = storedText();
    for (const secret of [PASSWORD, PASSWORD_B64, key.secretAccessKey]) {
      assert.ok(
        !text.includes(secret),
        `state.db holds no plaintext ${secret === key.secretAccessKey ? 'access key secret' : 'secret value'}`,
      );
    }
    assert.match(text, /k8s:enc:aesgcm:v1:key1:/);

    // Rotation, step 1: a new key first, the old one still there: old values read, new ones use key2.
    const key2 = randomBytes(32);
    const rotating = join(dir, 'rotating.yaml');
    await writeFile(
      rotating,
      keyConfig([
        ['key2', key2],
        ['key1', key1],
      ]),
      { mode: 0o600 },
    );
    await start(rotating);
    r = await kubectl(['get', 'secret', 'db', '-o', 'jsonpath={.data.password}']);
    assert.equal(r.stdout, PASSWORD_B64, 'a value sealed with the old key still reads');
    r = await kubectl(['create', 'secret', 'generic', 'fresh', '--from-literal=k=v']);
    assert.equal(r.code, 0, r.stderr);
    const again = await stratus(['secrets', 'reencrypt']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /^secrets: \d+ of \d+ rewritten$/m);
    assert.match(again.stdout, /^accesskeys\.iam\.stratus\.dev: [1-9]\d* of \d+ rewritten$/m);
    const rewritten = Number(/^secrets: (\d+)/m.exec(again.stdout)?.[1]);
    assert.ok(rewritten >= 2, `the key1 secrets were rewritten: ${again.stdout}`);
    const twice = await stratus(['secrets', 'reencrypt']);
    assert.match(twice.stdout, /^secrets: 0 of \d+ rewritten$/m, 'nothing is stale any more');
    await stop();
    const current = currentValues();
    assert.ok(current.some((v) => v.includes('k8s:enc:aesgcm:v1:key2:')));
    assert.deepEqual(
      current.filter((v) => v.includes('k8s:enc:aesgcm:v1:key1:')),
      [],
      'every current value is sealed with key2 (history keeps older revisions until compacted)',
    );

    // Step 2: the old key removed. Everything still reads, and S3 still accepts the key.
    const only2 = join(dir, 'only2.yaml');
    await writeFile(only2, keyConfig([['key2', key2]]), { mode: 0o600 });
    await start(only2);
    for (const name of ['db', 'applied', 'fresh']) {
      r = await kubectl(['get', 'secret', name, '-o', 'jsonpath={.metadata.name}']);
      assert.equal(r.code, 0, `${name}: ${r.stderr}`);
    }
    const s3again = s3Client(key);
    try {
      assert.equal(
        await (
          await s3again.send(new GetObjectCommand({ Bucket: 'enc', Key: 'k' }))
        ).Body?.transformToString(),
        'v',
      );
    } finally {
      s3again.destroy();
    }
    await stop();

    // A configuration missing the key that sealed a value: reads of it fail, naming the object.
    const only3 = join(dir, 'only3.yaml');
    await writeFile(only3, keyConfig([['key3', randomBytes(32)]]), { mode: 0o600 });
    await assert.rejects(
      start(only3),
      /unable to transform key "(secrets|accesskeys\.iam\.stratus\.dev)\/[^"]*": no aesgcm key named "key2"/,
    );
  },
);

test('an invalid encryption configuration fails the start, naming the field', async () => {
  const bad = join(dir, 'bad.yaml');
  await writeFile(bad, keyConfig([['k', randomBytes(8)]]));
  await assert.rejects(
    startServer({ dataDir: join(dir, 'other'), apiPort: 0, encryptionProviderConfig: bad }),
    /resources\[0\]\.providers\[0\]\.aesgcm\.keys\[0\]\.secret: Invalid value: "REDACTED": secret is not of the expected length, got 8, expected one of \[16 24 32\]/,
  );
});
