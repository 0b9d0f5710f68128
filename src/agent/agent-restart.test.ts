import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ContainerStatus } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../common/kube-object.js';
import {
  alive,
  HTTP_SCRIPT,
  nodePod as bareNodePod,
  pidPort,
  startAgentCluster,
  waitForLog,
  waitForPod,
  type AgentCluster,
} from './agent-testing.js';
import {
  hostPid,
  runtimeFixture,
  runtimeSkip,
  WORKLOAD_RUNTIMES,
  type RuntimeFixture,
} from './testing/workload-runtimes.js';

const cs = (p: { status?: unknown }): ContainerStatus | undefined =>
  ((p.status ?? {}) as { containerStatuses?: ContainerStatus[] }).containerStatuses?.[0];

// The same body on both runtimes (issue 11: the workloads acceptance tests on runc as on process).
for (const runtime of WORKLOAD_RUNTIMES) {
  const skip = runtimeSkip(runtime, 'the agent restart tests');
  describe(`agent restart and several agents on ${runtime}`, skip === undefined ? {} : { skip }, () => {
    let c: AgentCluster;
    let fixture: RuntimeFixture;
    before(async () => {
      fixture = runtimeFixture(runtime);
      c = await startAgentCluster();
    });
    after(async () => {
      await c.close();
      fixture.close();
    });
    const nodePod = (name: string, node: string, extra: Record<string, unknown>): KubeObject =>
      bareNodePod(name, node, HTTP_SCRIPT, extra, fixture.podSpec);

    it('a new agent on the same data dir adopts the running container: same pid, no duplicate', async () => {
      const first = await c.agent('n1', fixture.agent);
      await c.client.create('pods', nodePod('keep', 'n1', { ports: [{ containerPort: 80 }] }));
      const started = await waitForPod(c.client, 'keep', (p) => cs(p)?.state?.running !== undefined);
      const { pid, port } = pidPort(await waitForLog(c, 'keep', /pid=/));
      const host = hostPid(first.dataDir, cs(started)?.containerID ?? '', pid);
      await first.close();
      assert.equal(alive(host), true, 'the pod outlives its agent');
      await c.agent('n1', { dataDir: join(c.dir, 'agent-n1'), ...fixture.agent });
      // Let the new agent sync a few times, then check nothing new was started.
      await new Promise((r) => setTimeout(r, 1500));
      const pod = await waitForPod(c.client, 'keep', (p) => cs(p)?.state?.running !== undefined);
      assert.equal(cs(pod)?.restartCount, 0);
      assert.equal(cs(pod)?.containerID, cs(started)?.containerID);
      const log = await waitForLog(c, 'keep', /pid=/);
      assert.equal([...log.matchAll(/pid=/g)].length, 1, log);
      assert.equal(pidPort(log).pid, pid);
      assert.equal(await (await fetch(`http://127.0.0.1:${port}/`)).text(), `ok ${pid}`);
      // The adopted container is still managed: killing it makes the new agent restart it.
      process.kill(host, 'SIGKILL');
      const restarted = await waitForPod(
        c.client,
        'keep',
        (p) => cs(p)?.restartCount === 1 && cs(p)?.state?.running !== undefined,
      );
      assert.equal(cs(restarted)?.lastState?.terminated?.exitCode, 137);
    });

    it('two agents with separate data dirs register two nodes and run their own pods', async () => {
      await c.agent('n2', { cpu: 2, memory: '1Gi', maxPods: 5, ...fixture.agent });
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
      await c.client.create('pods', nodePod('on-n2', 'n2', { ports: [{ containerPort: 80 }] }));
      const pod = await waitForPod(c.client, 'on-n2', (p) => cs(p)?.state?.running !== undefined);
      assert.match(cs(pod)?.containerID ?? '', new RegExp(`^${runtime}://`));
      assert.ok(c.agents.at(-1)?.podUids.length === 1);
    });
  });
}
