import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ContainerStatus } from 'kubernetes-types/core/v1.js';
import { join } from 'node:path';
import type { KubeObject } from '../common/kube-object.js';
import {
  alive,
  HTTP_SCRIPT,
  kubectl,
  kubectlSkip,
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
const running = (p: { status?: unknown }): boolean => cs(p)?.state?.running !== undefined;

// The same body on both runtimes (issue 11: the workloads acceptance tests on runc as on process).
for (const runtime of WORKLOAD_RUNTIMES) {
  const skip = kubectlSkip === false ? runtimeSkip(runtime, 'the agent kubectl tests') : kubectlSkip;
  describe(
    `agent with kubectl on ${runtime}: logs and graceful deletion`,
    skip === undefined ? {} : { skip },
    () => {
      let c: AgentCluster;
      let fixture: RuntimeFixture;
      before(async () => {
        fixture = runtimeFixture(runtime);
        c = await startAgentCluster();
        await c.agent('n1', fixture.agent);
      });
      after(async () => {
        await c?.close();
        fixture?.close();
      });
      const nodePod = (
        name: string,
        node: string,
        script: string,
        extra: Record<string, unknown> = {},
        spec: Record<string, unknown> = {},
      ): KubeObject => bareNodePod(name, node, script, extra, { ...fixture.podSpec, ...spec });
      /** The host's pid of the process of pod NAME that printed `pid` (see `hostPid`). */
      const onHost = async (name: string, pid: number): Promise<number> => {
        const pod = await waitForPod(c.client, name, running);
        return hostPid(join(c.dir, 'agent-n1'), cs(pod)?.containerID ?? '', pid);
      };

      it('kubectl logs, logs -f, logs --previous, logs deploy/NAME', async () => {
        const ticker = "let i=0;console.log('start');setInterval(()=>console.log('tick '+(i++)),100)";
        await c.client.create('pods', nodePod('talk', 'n1', ticker));
        await waitForPod(c.client, 'talk', running);
        // Running comes before the first line: a busy machine may take a while to start node.
        await waitForLog(c, 'talk', /^start\n/);
        const plain = await kubectl(c, ['logs', 'talk']);
        assert.equal(plain.code, 0, plain.stderr);
        assert.match(plain.stdout, /^start\n/);
        const follow = await kubectl(c, ['logs', '-f', 'talk'], {
          stopWhen: (out) => /tick \d+\n[\s\S]*tick \d+\n[\s\S]*tick \d+\n/.test(out),
        });
        assert.match(follow.stdout, /tick \d+\ntick \d+\n/);
        const tail = await kubectl(c, ['logs', '--tail=1', 'talk']);
        assert.equal(tail.stdout.trim().split('\n').length, 1);

        const noPrev = await kubectl(c, ['logs', '--previous', 'talk']);
        assert.notEqual(noPrev.code, 0);
        assert.match(noPrev.stderr, /previous terminated container "main" in pod "talk" not found/);

        await c.client.create('deployments', {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'talk', namespace: 'default' },
          spec: {
            selector: { matchLabels: { app: 'talk' } },
            template: {
              metadata: { labels: { app: 'talk' } },
              spec: { ...fixture.podSpec, containers: [{ name: 'main', image: 'node' }] },
            },
          },
        });
        const deploy = await kubectl(c, ['logs', 'deploy/talk', '--tail=2']);
        assert.equal(deploy.code, 0, deploy.stderr);
        assert.match(deploy.stdout, /tick \d+/);
      });

      it('kubectl logs --previous after a crash; a waiting container is a 400 as Kubernetes words it', async () => {
        await c.client.create(
          'pods',
          nodePod('prev', 'n1', "console.log('run at '+Date.now());setTimeout(()=>process.exit(1),300)"),
        );
        await waitForPod(c.client, 'prev', (p) => (cs(p)?.restartCount ?? 0) >= 1);
        const prev = await kubectl(c, ['logs', '--previous', 'prev']);
        assert.equal(prev.code, 0, prev.stderr);
        assert.match(prev.stdout, /^run at \d+\n$/);

        await c.client.create('pods', nodePod('waits', 'n1', 'x', {}, { runtimeClassName: 'gvisor' }));
        const pending = await waitForPod(
          c.client,
          'waits',
          (p) => (p.status as { reason?: string } | undefined)?.reason === 'RuntimeClassNotFound',
        );
        assert.equal((pending.status as { phase?: string }).phase, 'Pending');
        const waiting = await kubectl(c, ['logs', 'waits']);
        assert.notEqual(waiting.code, 0);
        assert.match(
          waiting.stderr,
          /container "main" in pod "waits" is waiting to start: ContainerCreating/,
        );
      });

      it('kubectl delete pod: SIGTERM, the grace period is honoured, then the pod goes away', async () => {
        await c.client.create('pods', nodePod('stop', 'n1', HTTP_SCRIPT, { ports: [{ containerPort: 80 }] }));
        await waitForPod(c.client, 'stop', running);
        const pid = await onHost('stop', pidPort(await waitForLog(c, 'stop', /pid=/)).pid);
        const del = await kubectl(c, ['delete', 'pod', 'stop']);
        assert.equal(del.code, 0, del.stderr);
        assert.match(del.stdout, /pod "stop" deleted/);
        assert.equal(alive(pid), false);
        const gone = await kubectl(c, ['get', 'pod', 'stop']);
        assert.match(gone.stderr, /NotFound/);

        // A process that ignores SIGTERM stays for its grace period, marked for deletion, then is killed.
        const stubborn =
          "process.on('SIGTERM',()=>console.log('ignoring SIGTERM'));console.log('pid='+process.pid+' port=0');setInterval(()=>{},1000)";
        await c.client.create(
          'pods',
          nodePod('stubborn', 'n1', stubborn, {}, { terminationGracePeriodSeconds: 2 }),
        );
        await waitForPod(c.client, 'stubborn', running);
        const victim = await onHost('stubborn', pidPort(await waitForLog(c, 'stubborn', /pid=/)).pid);
        const wait = await kubectl(c, ['delete', 'pod', 'stubborn', '--wait=false']);
        assert.equal(wait.code, 0, wait.stderr);
        const marked = await c.client.get('pods', 'stubborn');
        assert.equal(marked.metadata.deletionGracePeriodSeconds, 2);
        assert.ok(marked.metadata.deletionTimestamp !== undefined);
        const done = await kubectl(c, ['wait', '--for=delete', 'pod/stubborn', '--timeout=30s']);
        assert.equal(done.code, 0, done.stderr + done.stdout);
        assert.equal(alive(victim), false);
      });
    },
  );
}
