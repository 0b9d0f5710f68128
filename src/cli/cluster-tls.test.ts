import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type PeerCertificate } from 'node:tls';
import { CreateBucketCommand, ListBucketsCommand } from '@aws-sdk/client-s3';
import { parse } from 'yaml';
import { issueTestChain } from '../identity/testing.js';
import { parseCredentialsIni } from '../objectstore/s3/credentials.js';
import { sdkClient } from '../objectstore/testing.js';
import { collect, MAIN_JS, OutputBuffer } from './cli-harness.js';

// The cluster CA as a user meets it: `stratus server` makes it, its kubeconfig and aws config
// carry it, and kubectl, the aws cli and the AWS SDK verify the API and S3 certificates with it
// (no --insecure-skip-tls-verify, no --no-verify-ssl); the certificates name what --tls-san asks.

const KUBECTL = '/usr/bin/kubectl';
const AWS = '/usr/bin/aws';

/** The tool's path, or a skip (a failure under CI=true) when it is missing. */
function tool(t: TestContext, path: string): string | undefined {
  if (existsSync(path)) return path;
  if (process.env.CI === 'true') assert.fail(`${path} is required under CI`);
  t.skip(`${path} is not installed`);
  return undefined;
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    execFile(file, args, { env, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr }),
    );
  });
}

/** A `stratus server` child on free ports with the given extra flags, and what it printed. */
interface ServerChild {
  child: ChildProcessWithoutNullStreams;
  dataDir: string;
  apiUrl: string;
  s3Url: string;
  caPath: string;
}

async function startServerChild(dir: string, name: string, flags: string[]): Promise<ServerChild> {
  const dataDir = join(dir, name);
  const child = spawn(
    process.execPath,
    [MAIN_JS, 'server', '--data-dir', dataDir, '--port', '0', '--s3-port', '0', ...flags],
    { env: { ...process.env, HOME: dir } },
  );
  const err = new OutputBuffer(child.stderr);
  const out = await new OutputBuffer(child.stdout).waitFor(/ s3 ls\n/, 60_000).catch((e: Error) => {
    child.kill('SIGKILL');
    throw new Error(`${e.message}\nstderr: ${err.text}`);
  });
  const field = (re: RegExp): string => re.exec(out)?.[1] ?? '';
  return {
    child,
    dataDir,
    apiUrl: field(/API server listening on (\S+)/),
    s3Url: field(/S3 endpoint: (\S+)/),
    caPath: field(/CA certificate: (\S+)/),
  };
}

async function stop(server: ServerChild | undefined): Promise<void> {
  if (server === undefined || server.child.exitCode !== null) return;
  const exited = new Promise((r) => server.child.once('exit', r));
  server.child.kill('SIGTERM');
  await exited;
}

/** The certificates the server at `url` sends, leaf first (nothing verified: the test looks). */
function peerChain(url: string): Promise<X509Certificate[]> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: u.hostname, port: Number(u.port), rejectUnauthorized: false });
    socket.once('error', reject);
    socket.once('secureConnect', () => {
      const chain: X509Certificate[] = [];
      let cert: (PeerCertificate & { issuerCertificate?: PeerCertificate }) | undefined =
        socket.getPeerCertificate(true);
      while (cert?.raw !== undefined && !chain.some((c) => c.raw.equals(cert!.raw))) {
        chain.push(new X509Certificate(cert.raw));
        cert = cert.issuerCertificate;
      }
      socket.end();
      resolve(chain);
    });
  });
}

/** One plain-HTTP GET; resolves with the status and body. */
function plainGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { timeout: 10_000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

let dir: string;
let server: ServerChild;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stratus-tls-'));
  server = await startServerChild(dir, 'data', [
    '--tls-san',
    'stratus.test,203.0.113.9',
    '--tls-san',
    'api.stratus.test',
  ]);
});
after(async () => {
  await stop(server);
  await rm(dir, { recursive: true, force: true });
});

test('the API and S3 certificates come from the cluster CA and name every --tls-san and loopback', async () => {
  const ca = new X509Certificate(await readFile(server.caPath));
  assert.equal(server.caPath, join(server.dataDir, 'tls', 'ca.crt'));
  assert.ok(ca.ca);
  for (const url of [server.apiUrl, server.s3Url]) {
    assert.match(url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const [leaf, sent] = await peerChain(url);
    assert.ok(leaf && sent, `${url} sends its certificate and the CA`);
    assert.equal(sent.fingerprint256, ca.fingerprint256);
    assert.ok(leaf.verify(ca.publicKey) && !leaf.ca);
    for (const name of ['localhost', 'stratus.test', 'api.stratus.test'])
      assert.ok(leaf.checkHost(name), name);
    for (const ip of ['127.0.0.1', '::1', '203.0.113.9']) assert.equal(leaf.checkIP(ip), ip);
    assert.equal(leaf.checkHost('other.test'), undefined);
  }
});

test('kubectl verifies the API server with the kubeconfig CA, by address and by every name', async (t) => {
  const kubectl = tool(t, KUBECTL);
  if (kubectl === undefined) return;
  const kubeconfig = join(server.dataDir, 'kubeconfig');
  const doc = parse(await readFile(kubeconfig, 'utf8')) as {
    clusters: Array<{ name: string; cluster: Record<string, unknown> }>;
  };
  const cluster = doc.clusters.find((c) => c.name === 'stratus')?.cluster ?? {};
  assert.equal(cluster['server'], server.apiUrl);
  assert.equal(cluster['insecure-skip-tls-verify'], undefined);
  assert.equal(
    Buffer.from(String(cluster['certificate-authority-data']), 'base64').toString(),
    await readFile(server.caPath, 'utf8'),
  );
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: join(dir, 'home'), KUBECONFIG: kubeconfig };
  const port = new URL(server.apiUrl).port;
  const ok = await run(kubectl, ['get', 'namespace', 'default', '-o', 'name'], env);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout.trim(), 'namespace/default');
  const byName = await run(
    kubectl,
    ['--server', `https://localhost:${port}`, 'get', 'ns', 'default', '-o', 'name'],
    env,
  );
  assert.equal(byName.code, 0, byName.stderr);
  const sni = await run(
    kubectl,
    ['--tls-server-name', 'stratus.test', 'get', 'ns', 'default', '-o', 'name'],
    env,
  );
  assert.equal(sni.code, 0, sni.stderr);
  // Verification is on: a name the certificate does not carry is refused.
  const wrong = await run(kubectl, ['--tls-server-name', 'other.test', 'get', 'ns', 'default'], env);
  assert.notEqual(wrong.code, 0);
  assert.match(wrong.stderr, /x509: certificate is valid for .*not other\.test/);
});

test('the aws cli reaches S3 over verified TLS with the ca_bundle the server wrote, or AWS_CA_BUNDLE', async (t) => {
  const aws = tool(t, AWS);
  if (aws === undefined) return;
  const config = join(server.dataDir, 's3-config');
  const text = await readFile(config, 'utf8');
  assert.match(text, new RegExp(`endpoint_url = ${server.s3Url}\\n`));
  assert.ok(text.includes(`ca_bundle = ${server.caPath}\n`), text);
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: join(dir, 'home'),
    AWS_SHARED_CREDENTIALS_FILE: join(server.dataDir, 's3-credentials'),
    AWS_CONFIG_FILE: config,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_PAGER: '',
  };
  // Debian 12's aws cli (2.9) reads no endpoint_url from the config file (2.13 does): name it.
  const endpoint = ['--endpoint-url', server.s3Url];
  const mb = await run(aws, [...endpoint, 's3', 'mb', 's3://tls-bucket'], env);
  assert.equal(mb.code, 0, mb.stderr);
  const ls = await run(aws, [...endpoint, 's3', 'ls'], env);
  assert.equal(ls.code, 0, ls.stderr);
  assert.match(ls.stdout, /tls-bucket/);
  // The same with the endpoint and the CA from the environment, as README shows for other tools.
  const bare = join(dir, 'bare-config');
  await writeFile(bare, '[default]\nregion = us-east-1\n');
  const envOnly = { ...env, AWS_CONFIG_FILE: bare, AWS_CA_BUNDLE: server.caPath };
  const viaEnv = await run(aws, [...endpoint, 's3', 'ls'], envOnly);
  assert.equal(viaEnv.code, 0, viaEnv.stderr);
  assert.match(viaEnv.stdout, /tls-bucket/);
  // Verification is on: without the CA the certificate is refused.
  const { AWS_CA_BUNDLE: _dropped, ...noCa } = envOnly;
  const refused = await run(aws, [...endpoint, 's3', 'ls'], noCa);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /SSL|certificate verify failed/i);
});

test('the AWS SDK verifies S3 with the CA; S3 answers plain HTTP with a 400 naming https', async () => {
  const key = parseCredentialsIni(await readFile(join(server.dataDir, 's3-credentials'), 'utf8'));
  const pair = { accessKeyId: key.accessKeyId ?? '', secretAccessKey: key.secretAccessKey ?? '' };
  const trusted = sdkClient(server.s3Url, pair, { ca: await readFile(server.caPath, 'utf8') });
  const untrusted = sdkClient(server.s3Url, pair);
  try {
    await trusted.send(new CreateBucketCommand({ Bucket: 'sdk-tls' }));
    const listed = await trusted.send(new ListBucketsCommand({}));
    assert.ok(listed.Buckets?.some((b) => b.Name === 'sdk-tls'));
    await assert.rejects(
      untrusted.send(new ListBucketsCommand({})),
      /self[- ]signed certificate in certificate chain/,
    );
  } finally {
    trusted.destroy();
    untrusted.destroy();
  }
  const plain = await plainGet(server.s3Url.replace('https:', 'http:') + '/');
  assert.equal(plain.status, 400);
  assert.match(
    plain.body,
    /Client sent an HTTP request to an HTTPS server: this S3 endpoint speaks https only/,
  );
});

test("a certificate of the user's own is served as it is on both ports, with its root in the kubeconfig", async (t) => {
  const { root, leaf } = issueTestChain({ leafName: 'corp-stratus' });
  const certFile = join(dir, 'corp.crt');
  const keyFile = join(dir, 'corp.key');
  await writeFile(certFile, leaf.cert + root.cert);
  await writeFile(keyFile, leaf.key, { mode: 0o600 });
  const own = await startServerChild(dir, 'byo', [
    '--tls-cert-file',
    certFile,
    '--tls-private-key-file',
    keyFile,
  ]);
  t.after(() => stop(own));
  assert.equal(own.caPath, certFile);
  for (const url of [own.apiUrl, own.s3Url]) {
    const [served] = await peerChain(url);
    assert.equal(served?.subject, 'CN=corp-stratus', url);
  }
  const doc = parse(await readFile(join(own.dataDir, 'kubeconfig'), 'utf8')) as {
    clusters: Array<{ cluster: Record<string, unknown> }>;
  };
  assert.equal(
    Buffer.from(String(doc.clusters[0]?.cluster['certificate-authority-data']), 'base64').toString(),
    root.cert,
  );
  const key = parseCredentialsIni(await readFile(join(own.dataDir, 's3-credentials'), 'utf8'));
  const s3 = sdkClient(
    own.s3Url,
    { accessKeyId: key.accessKeyId ?? '', secretAccessKey: key.secretAccessKey ?? '' },
    { ca: root.cert },
  );
  try {
    await s3.send(new ListBucketsCommand({}));
  } finally {
    s3.destroy();
  }
  const kubectl = tool(t, KUBECTL);
  if (kubectl === undefined) return;
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: join(dir, 'home'),
    KUBECONFIG: join(own.dataDir, 'kubeconfig'),
  };
  const got = await run(kubectl, ['get', 'ns', 'default', '-o', 'name'], env);
  assert.equal(got.code, 0, got.stderr);
});

test('bad TLS flags are refused with a message naming the value', async () => {
  const stratus = (args: string[]) =>
    collect(spawn(process.execPath, [MAIN_JS, ...args], { env: { ...process.env, HOME: dir } }), {
      timeoutMs: 60_000,
    });
  const bad = await stratus([
    'server',
    '--data-dir',
    join(dir, 'bad'),
    '--port',
    '0',
    '--s3-port',
    '0',
    '--tls-san',
    'a_b',
  ]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /"a_b" is not a DNS name or an IP address/);
  const half = await stratus(['server', '--tls-cert-file', join(dir, 'corp.crt')]);
  assert.equal(half.code, 1);
  assert.match(half.stderr, /--tls-cert-file and --tls-private-key-file go together/);
});
