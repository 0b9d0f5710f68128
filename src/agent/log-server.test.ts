import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ProcessRuntime } from '../runtime/index.js';
import { LogServer } from './log-server.js';

const SECRET = 'node-secret';

/** Sends one raw request and returns the status line and body of the answer. */
function rawRequest(port: number, target: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (text += d));
    socket.on('error', reject);
    socket.on('close', () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      resolve({ status, body: text.slice(text.indexOf('\r\n\r\n') + 4) });
    });
    socket.write(
      `GET ${target} HTTP/1.1\r\nHost: agent\r\nAuthorization: Bearer ${SECRET}\r\nConnection: close\r\n\r\n`,
    );
  });
}

test('the log endpoint answers malformed paths with an error and keeps serving', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'stratus-log-server-'));
  const runtime = new ProcessRuntime({ dataDir: dir, cgroups: false });
  const id = await runtime.start({
    podUid: 'u1',
    podNamespace: 'default',
    podName: 'web',
    containerName: 'main',
    attempt: 0,
    command: ['sh', '-c', 'echo hello; echo world'],
    env: {},
  });
  await runtime.wait(id);
  const server = new LogServer(runtime, SECRET, (ns, pod, c) =>
    ns === 'default' && pod === 'web' && c === 'main' ? id : undefined,
  );
  const port = await server.listen(0);
  t.after(async () => {
    await server.close();
    await runtime.remove(id);
    await runtime.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const bad: Array<[string, number, RegExp?]> = [
    ['/containerLogs/%E0%A4%A/web/main', 400, /not valid percent-encoded UTF-8/],
    ['/containerLogs/default/%/main', 400, /"%" is not valid/],
    ['/containerLogs/default/web/%FF%FE', 400, /not valid percent-encoded/],
    ['/containerLogs/default/web/main%00', 404, /not running on this node/],
    ['/containerLogs/default/web/..%2F..%2Fetc', 404],
    ['/containerLogs/default/web', 404],
    ['//evil.example/containerLogs/default/web/main', 404],
    ['/containerLogs//default//web/main', 200],
    ['/containerLogs/default/web/main?tailLines=%ZZ&limitBytes=-1', 200],
    [`/containerLogs/default/${'%41'.repeat(2000)}/main`, 404],
    [`/containerLogs/default/${'a'.repeat(100_000)}/main`, 431],
    ['*', 400, /not a path/],
    ['//[/containerLogs', 404],
    ['http://agent/containerLogs/default/web/main', 400, /not a path/],
  ];
  for (const [target, status, body] of bad) {
    const got = await rawRequest(port, target);
    assert.equal(
      got.status,
      status,
      `${target.slice(0, 80)} answered ${got.status}: ${got.body.slice(0, 200)}`,
    );
    if (body !== undefined) assert.match(got.body, body);
  }
  const good = await rawRequest(port, '/containerLogs/default/web/main?tailLines=1');
  assert.equal(good.status, 200);
  assert.match(good.body, /world/);
  assert.doesNotMatch(good.body, /hello/);
});
