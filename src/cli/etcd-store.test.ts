import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { KUBECTL, kubectlSkipReason, runKubectl } from '../controllers/testing.js';
import { ensureClusterCa, issueCertificate } from '../identity/index.js';
import { EtcdMemberProcess, EtcdStore } from '../store/index.js';
import { EtcdCluster, etcdSkip } from '../store/testing.js';
import { collect, MAIN_JS, OutputBuffer, spawnCli } from './cli-harness.js';
import { freePort } from '../common/free-port.js';

const skip = etcdSkip || kubectlSkipReason();

test(
  'stratus server --store etcd://… keeps its objects in etcd; kubectl creates, gets, watches, deletes',
  { skip },
  async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stratus-etcd-cli-'));
    const etcd = await EtcdCluster.start(1);
    const server = spawn(
      process.execPath,
      [
        MAIN_JS,
        'server',
        '--data-dir',
        join(dir, 'data'),
        '--port',
        '0',
        '--s3-port',
        '0',
        '--store',
        etcd.url,
      ],
      { cwd: dir, env: { ...process.env, HOME: dir } },
    );
    const done = collect(server, { timeoutMs: 240_000 });
    const watchers: Array<ReturnType<typeof spawn>> = [];
    try {
      const text = await new OutputBuffer(server.stdout).waitFor(/export KUBECONFIG=.*\n/, 60_000);
      const kubeconfig = /^kubeconfig: (\/.*)$/m.exec(text)?.[1] as string;
      const kubectl = async (...args: string[]): Promise<string> => {
        const r = await runKubectl(dir, kubeconfig, args);
        assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
        return r.stdout;
      };

      await kubectl('create', 'configmap', 'web', '--from-literal=colour=blue');
      const got = JSON.parse(await kubectl('get', 'configmap', 'web', '-o', 'json')) as {
        data: Record<string, string>;
        metadata: { resourceVersion: string };
      };
      assert.deepEqual(got.data, { colour: 'blue' });

      // The object is in etcd, under the store's prefix, and its resourceVersion is etcd's revision.
      const raw = await etcd.dump('/stratus/configmaps/');
      const stored = raw.get('/stratus/configmaps/default\0web');
      assert.ok(stored, `keys: ${[...raw.keys()].join(', ')}`);
      assert.deepEqual((JSON.parse(stored.value) as { data: unknown }).data, { colour: 'blue' });
      assert.equal(got.metadata.resourceVersion, String(stored.modRevision));

      // A watch sees the object, then its update and its deletion.
      const watch = spawn(KUBECTL, ['get', 'configmap', 'web', '-w', '--output-watch-events', '-o', 'json'], {
        env: {
          PATH: process.env['PATH'] ?? '/usr/bin:/bin',
          HOME: join(dir, 'home'),
          KUBECONFIG: kubeconfig,
        },
      });
      watchers.push(watch);
      const events = new OutputBuffer(watch.stdout);
      const watchErrors = new OutputBuffer(watch.stderr);
      await events.waitFor(/"type":"ADDED"/).catch((err: Error) => {
        throw new Error(`${err.message}\nkubectl: ${watchErrors.text}`);
      });
      await kubectl('label', 'configmap', 'web', 'tier=front');
      await events.waitFor(/"type":"MODIFIED"[^\n]*"tier":"front"/);
      await kubectl('delete', 'configmap', 'web');
      await events.waitFor(/"type":"DELETED"/);
      assert.match(
        await runKubectl(dir, kubeconfig, ['get', 'configmap', 'web']).then((r) => r.stderr),
        /NotFound/,
      );
      assert.equal((await etcd.dump('/stratus/configmaps/default\0web')).size, 0);

      // Encryption at rest sits above the store as with SQLite: etcd holds a Secret's ciphertext.
      await kubectl('create', 'secret', 'generic', 'pw', '--from-literal=password=hunter2-etcd');
      const secret = (await etcd.dump('/stratus/secrets/default\0pw')).get('/stratus/secrets/default\0pw');
      assert.ok(secret);
      assert.doesNotMatch(secret.value, /hunter2-etcd|aHVudGVyMi1ldGNk/);
      assert.match(
        await kubectl('get', 'secret', 'pw', '-o', 'jsonpath={.data.password}'),
        /^aHVudGVyMi1ldGNk$/,
      );

      server.kill('SIGTERM');
      const r = await done;
      assert.equal(r.code, 0, r.stderr);
    } finally {
      for (const w of watchers) w.kill('SIGKILL');
      server.kill('SIGKILL');
      await done;
      await etcd.close();
      await rm(dir, { recursive: true, force: true });
    }
  },
);

test(
  'stratus server --store https://… with --etcd-cafile, --etcd-certfile and --etcd-keyfile keeps its objects in an etcd that requires client certificates',
  { skip },
  async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stratus-etcd-tls-'));
    // An external etcd as an operator runs it: its own CA, TLS and --client-cert-auth.
    const now = Date.now();
    const ca = await ensureClusterCa(join(dir, 'pki'), { now });
    const validity = { notBefore: now - 3_600_000, notAfter: now + 86_400_000 };
    const member = issueCertificate(
      {
        commonName: 'etcd',
        isCa: false,
        usages: ['server', 'client'],
        sans: { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] },
        ...validity,
      },
      ca,
    );
    const client = issueCertificate(
      { commonName: 'apiserver-etcd-client', isCa: false, usages: ['client'], ...validity },
      ca,
    );
    const file = async (name: string, text: string): Promise<string> => {
      await writeFile(join(dir, 'pki', name), text, { mode: 0o600 });
      return join(dir, 'pki', name);
    };
    const files = {
      cert: await file('etcd.crt', member.cert),
      key: await file('etcd.key', member.key),
      ca: ca.certPath,
    };
    const [clientCrt, clientKey] = [
      await file('client.crt', client.cert),
      await file('client.key', client.key),
    ];
    const [clientPort, peerPort] = [await freePort(), await freePort()];
    const tls = { ca: ca.cert, cert: client.cert, key: client.key };
    const etcd = await EtcdMemberProcess.start({
      name: 'external',
      dataDir: join(dir, 'etcd'),
      address: '127.0.0.1',
      clientPort,
      peerPort,
      initialCluster: `external=https://127.0.0.1:${peerPort}`,
      state: 'new',
      files,
      tls,
    });
    const url = `https://127.0.0.1:${clientPort}`;
    const serve = (args: string[]): ReturnType<typeof spawnCli> =>
      spawnCli(
        dir,
        ['server', '--data-dir', join(dir, 'data'), '--port', '0', '--s3-port', '0', ...args],
        240_000,
      );
    const server = serve([
      '--store',
      url,
      '--etcd-cafile',
      ca.certPath,
      '--etcd-certfile',
      clientCrt,
      '--etcd-keyfile',
      clientKey,
    ]);
    let store: EtcdStore | undefined;
    try {
      // A certificate without its key is a usage error before anything starts.
      const half = await serve(['--store', url, '--etcd-cafile', ca.certPath, '--etcd-certfile', clientCrt])
        .done;
      assert.notEqual(half.code, 0, half.stderr);
      assert.match(half.stderr, /--etcd-certfile and --etcd-keyfile go together/);

      const text = await server.stdout.waitFor(/export KUBECONFIG=.*\n/, 60_000);
      const kubeconfig = /^kubeconfig: (\/.*)$/m.exec(text)?.[1] as string;
      const created = await runKubectl(dir, kubeconfig, [
        'create',
        'configmap',
        'web',
        '--from-literal=colour=blue',
      ]);
      assert.equal(created.code, 0, created.stderr);
      // The object is in that etcd, read back with the same client certificate.
      store = await EtcdStore.open([`127.0.0.1:${clientPort}`], { tls });
      const stored = await store.get('configmaps', 'default', 'web');
      assert.deepEqual((stored as { data?: unknown } | undefined)?.data, { colour: 'blue' });

      server.process.kill('SIGTERM');
      const r = await server.done;
      assert.equal(r.code, 0, r.stderr);
    } finally {
      await store?.close();
      server.process.kill('SIGKILL');
      await server.done;
      await etcd.close();
      await rm(dir, { recursive: true, force: true });
    }
  },
);
