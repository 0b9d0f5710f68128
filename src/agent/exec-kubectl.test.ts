import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ContainerStatus } from 'kubernetes-types/core/v1.js';
import {
  KUBECTL,
  kubectl,
  kubectlSkip,
  nodePod,
  startAgentCluster,
  waitForPod,
  type AgentCluster,
  type KubectlRun,
} from './agent-testing.js';

const cs = (p: { status?: unknown }): ContainerStatus | undefined =>
  ((p.status ?? {}) as { containerStatuses?: ContainerStatus[] }).containerStatuses?.[0];
const running = (p: { status?: unknown }): boolean => cs(p)?.state?.running !== undefined;

/** Runs kubectl with `input` on its stdin (then EOF), 60 s at most. */
function kubectlIn(
  c: AgentCluster,
  args: string[],
  input: string | Buffer,
  env: Record<string, string> = {},
): Promise<KubectlRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(KUBECTL, args, {
      env: {
        PATH: process.env['PATH'] ?? '/usr/bin:/bin',
        HOME: join(c.dir, 'home'),
        KUBECONFIG: c.server.kubeconfigPath,
        ...env,
      },
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(input);
  });
}

const IDLE = 'setInterval(()=>{},1000)';

describe('kubectl exec, cp, attach, port-forward through the API to the agent', { skip: kubectlSkip }, () => {
  let c: AgentCluster;
  before(async () => {
    c = await startAgentCluster();
    await c.agent('n1');
    await c.client.create(
      'pods',
      nodePod('box', 'n1', IDLE, { env: [{ name: 'GREETING', value: 'hello' }] }),
    );
    await waitForPod(c.client, 'box', running);
  });
  after(async () => c?.close());

  it('exec: stdout, stderr, env, and the exit code', async () => {
    const out = await kubectl(c, ['exec', 'box', '--', 'sh', '-c', 'echo "$GREETING out"; echo err >&2']);
    assert.equal(out.code, 0, out.stderr);
    assert.equal(out.stdout, 'hello out\n');
    assert.equal(out.stderr, 'err\n');
    const three = await kubectl(c, ['exec', 'box', '--', 'sh', '-c', 'exit 3']);
    assert.equal(three.code, 3, three.stderr);
  });

  it('exec -i: stdin piped through', async () => {
    const out = await kubectlIn(c, ['exec', '-i', 'box', '--', 'sh', '-c', 'cat; echo done'], 'hi there\n');
    assert.equal(out.code, 0, out.stderr);
    assert.equal(out.stdout, 'hi there\ndone\n');
  });
});
