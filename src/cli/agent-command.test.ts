import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeClient } from '../client/index.js';
import { startServer } from './server.js';
import { collect, MAIN_JS, NO_FIXED_PORTS, OutputBuffer } from './cli-harness.js';

const SCRIPT =
  "console.log('pid='+process.pid);process.on('SIGTERM',()=>process.exit(0));setInterval(()=>{},1000)";

async function waitRunning(client: KubeClient, name: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const pod = (await client.get('pods', name).catch(() => undefined)) as
      { status?: { containerStatuses?: { state?: { running?: unknown } }[] } } | undefined;
    if (pod?.status?.containerStatuses?.[0]?.state?.running !== undefined) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`pod ${name} never ran`);
}

function pod(name: string, node: string): Parameters<KubeClient['create']>[1] {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: {
      nodeName: node,
      containers: [{ name: 'main', image: 'node', command: [process.execPath, '-e', SCRIPT] }],
    },
  };
}

test('stratus up runs an agent: a bound pod runs, Ctrl-C stops it, the next up brings it back', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-up-agent-'));
  const up = (): ChildProcessWithoutNullStreams =>
    spawn(
      process.execPath,
      [MAIN_JS, 'up', '--data-dir', join(dir, 'data'), '--port', '0', '--s3-port', '0', ...NO_FIXED_PORTS],
      {
        cwd: dir,
        env: { ...process.env, HOME: dir },
      },
    );
  let child = up();
  let done = collect(child, { timeoutMs: 90_000 });
  try {
    let text = await new OutputBuffer(child.stdout).waitFor(/export KUBECONFIG=.*\n/);
    const node = hostname().toLowerCase();
    assert.match(text, new RegExp(`^Node ${node} ready`, 'm'));
    let client = KubeClient.fromKubeconfig(join(dir, 'data', 'kubeconfig'));
    await client.create('pods', pod('again', node));
    await waitRunning(client, 'again');
    await client.close();
    child.kill('SIGINT');
    assert.equal((await done).code, 0);

    child = up();
    done = collect(child, { timeoutMs: 90_000 });
    text = await new OutputBuffer(child.stdout).waitFor(/export KUBECONFIG=.*\n/);
    client = KubeClient.fromKubeconfig(join(dir, 'data', 'kubeconfig'));
    try {
      await waitRunning(client, 'again');
    } finally {
      await client.close();
    }
    child.kill('SIGINT');
    const r = await done;
    assert.equal(r.code, 0, r.stderr);
  } finally {
    child.kill('SIGKILL');
    await done;
    await rm(dir, { recursive: true, force: true });
  }
});

test('stratus agent --server --token: two agents with their own data dirs make two nodes', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-agent-cmd-'));
  const server = await startServer({ dataDir: join(dir, 'server'), apiPort: 0 });
  const client = new KubeClient({
    server: server.httpUrl,
    token: server.adminToken,
    namespace: 'default',
    contextName: 't',
  });
  const agents = ['a1', 'a2'].map((name) =>
    spawn(
      process.execPath,
      [
        MAIN_JS,
        'agent',
        '--server',
        server.httpUrl,
        '--token',
        server.adminToken,
        '--data-dir',
        join(dir, name),
        '--node-name',
        name,
        '--max-pods',
        '7',
      ],
      { cwd: dir, env: { ...process.env, HOME: dir } },
    ),
  );
  const outputs = agents.map((a) => new OutputBuffer(a.stdout));
  const done = agents.map((a) => collect(a, { timeoutMs: 60_000 }));
  try {
    for (const out of outputs) await out.waitFor(/registered/);
    const nodes = await client.list('nodes');
    assert.deepEqual(nodes.items.map((n) => n.metadata.name).sort(), ['a1', 'a2']);
    await client.create('pods', pod('on-a2', 'a2'));
    await waitRunning(client, 'on-a2');
    await client.request('DELETE', '/api/v1/namespaces/default/pods/on-a2', { body: {} });
    for (
      let i = 0;
      i < 100 && (await client.get('pods', 'on-a2').catch(() => undefined)) !== undefined;
      i++
    ) {
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(await client.get('pods', 'on-a2').catch(() => undefined), undefined);
    for (const a of agents) a.kill('SIGTERM');
    for (const d of done) assert.equal((await d).code, 0);
  } finally {
    for (const a of agents) a.kill('SIGKILL');
    await Promise.all(done);
    await client.close();
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('stratus agent --simulate N registers N Ready nodes that run their pods without processes', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-agent-sim-'));
  const server = await startServer({ dataDir: join(dir, 'server'), apiPort: 0 });
  const client = new KubeClient({
    server: server.httpUrl,
    token: server.adminToken,
    namespace: 'default',
    contextName: 'test',
  });
  const child = spawn(process.execPath, [
    MAIN_JS,
    'agent',
    '--server',
    server.httpUrl,
    '--token',
    server.adminToken,
    '--simulate',
    '3',
  ]);
  const done = collect(child, { timeoutMs: 60_000 });
  try {
    await new OutputBuffer(child.stdout).waitFor(/3 simulated nodes registered/).catch(async (err: Error) => {
      throw new Error(`${err.message}; stderr: ${(await done).stderr}`);
    });
    const nodes = (await client.list('nodes')).items;
    assert.equal(nodes.length, 3);
    await client.create('pods', pod('sim', nodes[0]?.metadata.name ?? ''));
    await waitRunning(client, 'sim');
    child.kill('SIGTERM');
    assert.equal((await done).code, 0);
  } finally {
    child.kill('SIGKILL');
    await client.close();
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
});
