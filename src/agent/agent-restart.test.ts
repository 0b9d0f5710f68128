import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ContainerStatus } from 'kubernetes-types/core/v1.js';
import {
  alive,
  HTTP_SCRIPT,
  nodePod,
  pidPort,
  startAgentCluster,
  waitForLog,
  waitForPod,
  type AgentCluster,
} from './agent-testing.js';

const cs = (p: { status?: unknown }): ContainerStatus | undefined =>
  ((p.status ?? {}) as { containerStatuses?: ContainerStatus[] }).containerStatuses?.[0];

describe('agent restart and several agents', () => {
  let c: AgentCluster;
  before(async () => {
    c = await startAgentCluster();
  });
  after(async () => c.close());

  it('a new agent on the same data dir adopts the running process: same pid, no duplicate', async () => {
    const first = await c.agent('n1');
    await c.client.create('pods', nodePod('keep', 'n1', HTTP_SCRIPT, { ports: [{ containerPort: 80 }] }));
    await waitForPod(c.client, 'keep', (p) => cs(p)?.state?.running !== undefined);
    const { pid, port } = pidPort(await waitForLog(c, 'keep', /pid=/));
    await first.close();
    assert.equal(alive(pid), true, 'the pod outlives its agent');
    await c.agent('n1', { dataDir: join(c.dir, 'agent-n1') });
    // Let the new agent sync a few times, then check nothing new was started.
    await new Promise((r) => setTimeout(r, 1500));
    const pod = await waitForPod(c.client, 'keep', (p) => cs(p)?.state?.running !== undefined);
    assert.equal(cs(pod)?.restartCount, 0);
    const log = await waitForLog(c, 'keep', /pid=/);
    assert.equal([...log.matchAll(/pid=/g)].length, 1, log);
    assert.equal(pidPort(log).pid, pid);
    assert.equal(await (await fetch(`http://127.0.0.1:${port}/`)).text(), `ok ${pid}`);
    // The adopted container is still managed: killing it makes the new agent restart it.
    process.kill(pid, 'SIGKILL');
    const restarted = await waitForPod(
      c.client,
      'keep',
      (p) => cs(p)?.restartCount === 1 && cs(p)?.state?.running !== undefined,
    );
    assert.equal(cs(restarted)?.lastState?.terminated?.exitCode, 137);
  });

  it('two agents with separate data dirs register two nodes and run their own pods', async () => {
    await c.agent('n2', { cpu: 2, memory: '1Gi', maxPods: 5 });
    const nodes = await c.client.list('nodes');
    const names = nodes.items.map((n) => n.metadata.name).sort();
    assert.deepEqual(names, ['n1', 'n2']);
    const n2 = nodes.items.find((n) => n.metadata.name === 'n2') as {
      status?: { capacity?: Record<string, string> };
    };
    assert.deepEqual(
      [n2.status?.capacity?.['cpu'], n2.status?.capacity?.['memory'], n2.status?.capacity?.['pods']],
      ['2', '1Gi', '5'],
    );
    await c.client.create('pods', nodePod('on-n2', 'n2', HTTP_SCRIPT, { ports: [{ containerPort: 80 }] }));
    await waitForPod(c.client, 'on-n2', (p) => cs(p)?.state?.running !== undefined);
    assert.ok(c.agents.at(-1)?.podUids.length === 1);
  });
});
