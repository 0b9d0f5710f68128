import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ProcessRuntime } from './process-runtime.js';
import { runHandler } from './probe.js';

test('httpGet probes: 2xx and 3xx succeed, others fail; headers are sent; timeouts fail', async () => {
  const server = createServer((req, res) => {
    if (req.url === '/slow') return void setTimeout(() => res.end('late'), 3000).unref();
    res.statusCode = req.url === '/healthz' ? 200 : req.url === '/moved' ? 302 : 500;
    res.end(String(req.headers['x-probe'] ?? ''));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  try {
    assert.equal(
      (await runHandler({ httpGet: { port, path: '/healthz', headers: [{ name: 'X-Probe', value: 'y' }] } }))
        .success,
      true,
    );
    assert.equal((await runHandler({ httpGet: { port, path: '/moved' } })).success, true);
    assert.deepEqual(await runHandler({ httpGet: { port, path: '/bad' } }), {
      success: false,
      message: 'HTTP probe failed with statuscode: 500',
    });
    const slow = await runHandler({ httpGet: { port, path: '/slow' } }, { timeoutSeconds: 0.2 });
    assert.equal(slow.success, false);
    assert.match(slow.message, /timeout/);
    assert.equal((await runHandler({ tcpSocket: { port } })).success, true);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
  const refused = await runHandler({ tcpSocket: { port } });
  assert.equal(refused.success, false);
  assert.match(refused.message, /ECONNREFUSED/);
  assert.equal((await runHandler({ httpGet: { port } })).success, false);
});

test('exec probes run in the container through the runtime', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stratus-probe-'));
  const rt = new ProcessRuntime({ dataDir: dir });
  try {
    const id = await rt.start({
      podUid: 'u',
      podNamespace: 'd',
      podName: 'p',
      containerName: 'c',
      attempt: 0,
      command: [process.execPath, '-e', 'setInterval(() => {}, 1000)'],
      env: { HEALTHY: 'yes' },
    });
    const exec = (command: string[], o: { timeoutSeconds: number }) => rt.exec(id, command, o);
    assert.equal(
      (await runHandler({ exec: { command: ['sh', '-c', 'test "$HEALTHY" = yes'] } }, { exec })).success,
      true,
    );
    const bad = await runHandler({ exec: { command: ['sh', '-c', 'echo sick; exit 1'] } }, { exec });
    assert.deepEqual(bad, { success: false, message: 'command exited with 1: sick\n' });
    const slow = await runHandler({ exec: { command: ['sleep', '5'] } }, { exec, timeoutSeconds: 0.3 });
    assert.deepEqual(slow, { success: false, message: 'command timed out after 0.3s' });
    await rt.remove(id);
  } finally {
    await rt.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
