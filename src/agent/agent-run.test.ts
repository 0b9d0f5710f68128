import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ContainerStatus, PodCondition } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../common/kube-object.js';
import {
  HTTP_SCRIPT,
  nodePod as bareNodePod,
  pidPort,
  podLog,
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

type Status = { phase?: string; conditions?: PodCondition[]; containerStatuses?: ContainerStatus[] };
const st = (p: { status?: unknown }): Status => p.status ?? {};
const cs = (p: { status?: unknown }): ContainerStatus | undefined => st(p).containerStatuses?.[0];

// The same body on both runtimes (issue 11: the workloads acceptance tests on runc as on process).
for (const runtime of WORKLOAD_RUNTIMES) {
  const skip = runtimeSkip(runtime, 'the agent run tests');
  describe(`agent: running pods on ${runtime}`, skip === undefined ? {} : { skip }, () => {
    let c: AgentCluster;
    let fixture: RuntimeFixture;
    before(async () => {
      fixture = runtimeFixture(runtime);
      c = await startAgentCluster();
      await c.agent('n1', fixture.agent);
    });
    after(async () => {
      await c.close();
      fixture.close();
    });
    const nodePod = (
      name: string,
      node: string,
      script: string,
      extra: Record<string, unknown>,
    ): KubeObject => bareNodePod(name, node, script, extra, fixture.podSpec);

    it('registers the node, its lease and the process RuntimeClass', async () => {
      const node = (await c.client.get('nodes', 'n1')) as {
        metadata: { labels?: Record<string, string> };
        status?: Record<string, unknown>;
      };
      assert.equal(node.metadata.labels?.['node.kubernetes.io/instance-type'], 'stratus');
      const status = node.status as {
        conditions: { type: string; status: string }[];
        nodeInfo: { kubeletVersion: string };
        capacity: Record<string, string>;
      };
      assert.equal(status.conditions.find((x) => x.type === 'Ready')?.status, 'True');
      assert.equal(status.nodeInfo.kubeletVersion, 'v1.32.0-stratus');
      assert.equal(status.capacity['pods'], '110');
      const lease = (await c.client.get('leases', 'n1', { namespace: 'kube-node-lease' })) as {
        spec?: { holderIdentity?: string };
      };
      assert.equal(lease.spec?.holderIdentity, 'n1');
      const rc = (await c.client.get('runtimeclasses', 'process')) as { handler?: string };
      assert.equal(rc.handler, 'process');
    });

    it('runs a pod with a readiness probe: Running, Ready, answering on its port', async () => {
      await c.client.create(
        'pods',
        nodePod('web', 'n1', HTTP_SCRIPT, {
          ports: [{ containerPort: 8080 }],
          readinessProbe: { httpGet: { path: '/', port: 8080 }, periodSeconds: 1 },
        }),
      );
      const pod = await waitForPod(
        c.client,
        'web',
        (p) => st(p).conditions?.find((x) => x.type === 'Ready')?.status === 'True',
      );
      assert.equal(st(pod).phase, 'Running');
      const types = (st(pod).conditions ?? []).map((x) => `${x.type}=${x.status}`).sort();
      assert.deepEqual(types, [
        'ContainersReady=True',
        'Initialized=True',
        'PodReadyToStartContainers=True',
        'PodScheduled=True',
        'Ready=True',
      ]);
      const s = cs(pod);
      assert.equal(s?.ready, true);
      assert.equal(s?.restartCount, 0);
      assert.ok(s?.state?.running?.startedAt);
      assert.match(s?.containerID ?? '', new RegExp(`^${runtime}://`));
      const { pid, port } = pidPort(await waitForLog(c, 'web', /pid=/));
      const res = await fetch(`http://127.0.0.1:${port}/`);
      assert.equal(await res.text(), `ok ${pid}`);
    });

    it('publishes the host port it gave the container in the stratus.dev/host-ports annotation', async () => {
      const { port } = pidPort(await podLog(c, 'web'));
      const pod = await waitForPod(
        c.client,
        'web',
        (p) => p.metadata.annotations?.['stratus.dev/host-ports'] !== undefined,
      );
      assert.deepEqual(JSON.parse(pod.metadata.annotations?.['stratus.dev/host-ports'] ?? ''), {
        'main/8080': port,
      });
    });

    it('writes Ready again when another writer (the node controller) marked the pod not Ready', async () => {
      const pod = (await c.client.get('pods', 'web')) as { status?: unknown };
      const conditions = (st(pod).conditions ?? []).map((x) =>
        x.type === 'Ready' ? { ...x, status: 'False' } : x,
      );
      await c.client.patch('pods', 'web', { status: { conditions } }, { subresource: 'status' });
      await waitForPod(
        c.client,
        'web',
        (p) => st(p).conditions?.find((x) => x.type === 'Ready')?.status === 'True',
      );
    });

    it('restarts a container killed with SIGKILL: restartCount 1, lastState terminated', async () => {
      const { pid } = pidPort(await podLog(c, 'web'));
      const before = await waitForPod(c.client, 'web', (p) => cs(p)?.state?.running !== undefined);
      process.kill(hostPid(join(c.dir, 'agent-n1'), cs(before)?.containerID ?? '', pid), 'SIGKILL');
      const pod = await waitForPod(
        c.client,
        'web',
        (p) => cs(p)?.restartCount === 1 && cs(p)?.state?.running !== undefined,
      );
      const last = cs(pod)?.lastState?.terminated;
      assert.equal(last?.exitCode, 137);
      assert.equal(last?.reason, 'Error');
      // A new container (on runc its process may get the same pid in its own namespace).
      assert.notEqual(cs(pod)?.containerID, cs(before)?.containerID);
      await waitForLog(c, 'web', /pid=/);
      assert.match(await podLog(c, 'web', { previous: 'true' }), new RegExp(`pid=${pid} `));
    });
  });
}
