import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeClient } from '../client/index.js';
import { collect, MAIN_JS, NO_FIXED_PORTS, OutputBuffer } from './cli-harness.js';

test('stratus server prints where it listens and the kubeconfig, answers /readyz, exits 0 on SIGTERM', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-server-cmd-'));
  const child = spawn(
    process.execPath,
    [MAIN_JS, 'server', '--data-dir', join(dir, 'data'), '--port', '0', '--s3-port', '0'],
    {
      cwd: dir,
      env: { ...process.env, HOME: dir },
    },
  );
  const done = collect(child, { timeoutMs: 60_000 });
  try {
    const out = new OutputBuffer(child.stdout);
    const text = await out.waitFor(/export KUBECONFIG=.*\n/);
    const url = /^API server listening on (https?:\/\/127\.0\.0\.1:\d+)$/m.exec(text)?.[1];
    const kubeconfig = /^kubeconfig: (\/.*)$/m.exec(text)?.[1];
    assert.ok(url, text);
    assert.equal(kubeconfig, join(dir, 'data', 'kubeconfig'));
    assert.ok((await readFile(kubeconfig, 'utf8')).includes(url));
    const client = KubeClient.fromKubeconfig(kubeconfig);
    try {
      const ready = await client.request('GET', '/readyz', { accept: '*/*' });
      assert.equal(ready.status, 200);
    } finally {
      await client.close();
    }
    child.kill('SIGTERM');
    const r = await done;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /SIGTERM: shutting down/);
  } finally {
    child.kill('SIGKILL');
    await done;
    await rm(dir, { recursive: true, force: true });
  }
});

test('stratus server refuses a bad port with a usage error', async () => {
  const child = spawn(process.execPath, [MAIN_JS, 'server', '--port', 'x'], { env: process.env });
  const r = await collect(child);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^error: --port must be a port number, not "x"\n/);
});

test('stratus up keeps its data in ./.stratus by default and exits 0 on SIGINT', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-up-cmd-'));
  const child = spawn(process.execPath, [MAIN_JS, 'up', '--port', '0', '--s3-port', '0', ...NO_FIXED_PORTS], {
    cwd: dir,
    env: { ...process.env, HOME: dir },
  });
  const done = collect(child, { timeoutMs: 60_000 });
  try {
    const text = await new OutputBuffer(child.stdout).waitFor(/export KUBECONFIG=.*\n/);
    assert.match(text, new RegExp(`^kubeconfig: ${join(dir, '.stratus', 'kubeconfig')}$`, 'm'));
    const path = await new Promise<string>((resolve, reject) => {
      const k = spawn(process.execPath, [MAIN_JS, 'kubeconfig'], { cwd: dir, env: process.env });
      void collect(k).then((r) => (r.code === 0 ? resolve(r.stdout.trim()) : reject(new Error(r.stderr))));
    });
    assert.equal(path, join(dir, '.stratus', 'kubeconfig'));
    child.kill('SIGINT');
    const r = await done;
    assert.equal(r.code, 0, r.stderr);
  } finally {
    child.kill('SIGKILL');
    await done;
    await rm(dir, { recursive: true, force: true });
  }
});
