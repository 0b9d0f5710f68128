import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type RunningServer } from './server.js';

// A client on another host, played by a network namespace this test makes with a veth pair to
// it: over TLS verified with the cluster CA it gets in (the certificate names the --host address
// by itself); in plain HTTP it is refused, since plain HTTP is for loopback clients only.

const IP = ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip'].find((p) => existsSync(p));
const KUBECTL = '/usr/bin/kubectl';
const NETNS = `stratus-tls-${process.pid}`;
const VETH = `vtls${process.pid % 1_000_000}`;

function unavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'making a network namespace needs root';
  if (IP === undefined) return 'ip (iproute2) is not installed';
  if (!existsSync(KUBECTL)) return `kubectl is not installed at ${KUBECTL}`;
  return undefined;
}

function ip(...args: string[]): string {
  // stderr is kept in the thrown error's message, not echoed into the test output.
  return execFileSync(IP ?? 'ip', args, {
    encoding: 'utf8',
    timeout: 10_000,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** A /30 in 10.213.0.0/16 that no interface here uses yet: host side .1, namespace side .2. */
function freeSubnet(): { host: string; peer: string } {
  const used = ip('-o', '-4', 'addr', 'show');
  for (let i = 0; i < 64; i++) {
    const n = (process.pid + i) % 64;
    const base = `10.213.${n * 4}`;
    if (!used.includes(`${base}.`)) return { host: `${base}.1`, peer: `${base}.2` };
  }
  throw new Error('no free /30 in 10.213.0.0/16');
}

/** Makes the namespace and the veth pair; returns the addresses. */
function makeNetns(): { host: string; peer: string } {
  const net = freeSubnet();
  ip('netns', 'add', NETNS);
  ip('link', 'add', `${VETH}h`, 'type', 'veth', 'peer', 'name', `${VETH}n`);
  ip('link', 'set', `${VETH}n`, 'netns', NETNS);
  ip('addr', 'add', `${net.host}/30`, 'dev', `${VETH}h`);
  ip('link', 'set', `${VETH}h`, 'up');
  ip('-n', NETNS, 'addr', 'add', `${net.peer}/30`, 'dev', `${VETH}n`);
  ip('-n', NETNS, 'link', 'set', `${VETH}n`, 'up');
  ip('-n', NETNS, 'link', 'set', 'lo', 'up');
  return net;
}

function removeNetns(): void {
  // Deleting the namespace deletes its end of the pair, and with it ours.
  for (const args of [
    ['netns', 'del', NETNS],
    ['link', 'del', `${VETH}h`],
  ]) {
    try {
      ip(...args);
    } catch {
      // already gone
    }
  }
}

/** Runs a program inside the namespace; resolves with its exit code and output. */
function inNetns(
  file: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      IP ?? 'ip',
      ['netns', 'exec', NETNS, file, ...args],
      { env, timeout: 60_000 },
      (err, stdout, stderr) =>
        resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr }),
    );
  });
}

/** A one-request client (node:http or node:https with a CA file) that prints status and body as JSON. */
const FETCH = `
const [url, caFile] = process.argv.slice(1);
const mod = require(url.startsWith('https:') ? 'node:https' : 'node:http');
const options = caFile ? { ca: require('node:fs').readFileSync(caFile) } : {};
mod.get(url, { ...options, timeout: 10000 }, (r) => {
  let body = '';
  r.on('data', (d) => (body += d));
  r.on('end', () => console.log(JSON.stringify({ status: r.statusCode, body })));
}).on('error', (e) => console.log(JSON.stringify({ error: e.message })));
`;

function skipOrFail(t: TestContext, why: string): void {
  if (process.env.CI === 'true') assert.fail(`${why}: required under CI`);
  t.skip(why);
}

test('a client on another host: verified TLS gets in, plain HTTP is refused', async (t) => {
  const why = unavailable();
  if (why !== undefined) return skipOrFail(t, why);
  const dir = await mkdtemp(join(tmpdir(), 'stratus-netns-'));
  const started: { server?: RunningServer } = {};
  t.after(async () => {
    await started.server?.close();
    removeNetns();
    await rm(dir, { recursive: true, force: true });
  });
  removeNetns();
  const net = makeNetns();
  const server = await startServer({ dataDir: join(dir, 'data'), apiPort: 0, s3Port: 0, host: net.host });
  started.server = server;
  assert.match(server.apiUrl, new RegExp(`^https://${net.host.replace(/\./g, '\\.')}:\\d+$`));
  assert.equal(server.httpUrl, server.apiUrl, 'no loopback listener: the server itself uses https');
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: join(dir, 'home'),
    KUBECONFIG: server.kubeconfigPath,
  };

  const kubectl = await inNetns(KUBECTL, ['get', 'namespace', 'default', '-o', 'name'], env);
  assert.equal(kubectl.code, 0, kubectl.stderr);
  assert.equal(kubectl.stdout.trim(), 'namespace/default');

  const fetch = async (
    url: string,
    ca?: string,
  ): Promise<{ status?: number; body?: string; error?: string }> => {
    const r = await inNetns(process.execPath, ['-e', FETCH, url, ...(ca !== undefined ? [ca] : [])], env);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as { status?: number; body?: string; error?: string };
  };
  const port = new URL(server.apiUrl).port;
  const plain = await fetch(`http://${net.host}:${port}/version`);
  assert.equal(plain.status, 400, JSON.stringify(plain));
  assert.match(
    plain.body ?? '',
    /Client sent an HTTP request to an HTTPS server: plain HTTP is served to loopback clients only/,
  );
  const secure = await fetch(`${server.apiUrl}/version`, server.caCertPath);
  assert.equal(secure.status, 200, JSON.stringify(secure));
  assert.match(secure.body ?? '', /"gitVersion"/);

  const s3 = server.s3?.url ?? '';
  const anonymous = await fetch(`${s3}/`, server.caCertPath);
  assert.equal(anonymous.status, 403, JSON.stringify(anonymous));
  assert.match(anonymous.body ?? '', /<Code>AccessDenied<\/Code>/);
  const unverified = await fetch(`${s3}/`);
  assert.match(unverified.error ?? '', /self[- ]signed certificate in certificate chain/);
});
