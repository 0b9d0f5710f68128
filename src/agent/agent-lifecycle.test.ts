import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ContainerStatus, Event } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../common/kube-object.js';
import {
  HTTP_SCRIPT,
  nodePod as bareNodePod,
  podLog,
  startAgentCluster,
  waitForPod,
  type AgentCluster,
} from './agent-testing.js';
import {
  runtimeFixture,
  runtimeSkip,
  WORKLOAD_RUNTIMES,
  type RuntimeFixture,
} from './testing/workload-runtimes.js';
import { eventually } from '../network/testing/index.js';

type Status = {
  phase?: string;
  containerStatuses?: ContainerStatus[];
  initContainerStatuses?: ContainerStatus[];
};
const st = (p: { status?: unknown }): Status => p.status ?? {};
const cs = (p: { status?: unknown }): ContainerStatus | undefined => st(p).containerStatuses?.[0];

// The same workloads on both runtimes: `process`, and `runc` (RuntimeClass runc, the host-built
// test image holding the host's Node.js) where runc can run, else skipped with the reason.
for (const runtime of WORKLOAD_RUNTIMES) {
  const skip = runtimeSkip(runtime, 'the agent lifecycle tests');
  describe(
    `agent on ${runtime}: restart policies, probes, init containers`,
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
        await c.close();
        fixture.close();
      });
      /** A pod of `nodePod` on this runtime. */
      const nodePod = (
        name: string,
        node: string,
        script: string,
        extra: Record<string, unknown> = {},
        spec: Record<string, unknown> = {},
      ): KubeObject => bareNodePod(name, node, script, extra, { ...fixture.podSpec, ...spec });

      it('restarts a container whose liveness probe fails, with an Unhealthy event', async () => {
        await c.client.create(
          'pods',
          nodePod('live', 'n1', HTTP_SCRIPT, {
            livenessProbe: {
              exec: { command: ['sh', '-c', 'exit 1'] },
              periodSeconds: 1,
              failureThreshold: 1,
            },
          }),
        );
        await waitForPod(c.client, 'live', (p) => (cs(p)?.restartCount ?? 0) >= 1);
        // A restart for another cause (the program failing to start) comes first at times: wait
        // for the probe's kill, which the next container meets too.
        const events = await eventually('Unhealthy and Killing events', async () => {
          const list = await c.client.list('events', { fieldSelector: 'involvedObject.name=live' });
          const reasons = (list.items as unknown as Event[]).map((e) => e.reason);
          return reasons.includes('Unhealthy') && reasons.includes('Killing') ? list : undefined;
        });
        const unhealthy = (events.items as unknown as Event[]).find((e) => e.reason === 'Unhealthy');
        assert.match(unhealthy?.message ?? '', /^Liveness probe failed: /);
        assert.equal(unhealthy?.source?.component, 'kubelet');
        assert.equal(unhealthy?.type, 'Warning');
        await c.client.request('DELETE', '/api/v1/namespaces/default/pods/live', {
          body: { gracePeriodSeconds: 0 },
        });
      });

      it('backs off a crashing container: CrashLoopBackOff with a growing delay', async () => {
        await c.client.create('pods', nodePod('crash', 'n1', "console.log('boom');process.exit(3)"));
        const first = await waitForPod(
          c.client,
          'crash',
          (p) => cs(p)?.state?.waiting?.reason === 'CrashLoopBackOff' && (cs(p)?.restartCount ?? 0) >= 1,
        );
        assert.match(
          cs(first)?.state?.waiting?.message ?? '',
          /^back-off \S+ restarting failed container=main pod=crash_default/,
        );
        assert.equal(cs(first)?.lastState?.terminated?.exitCode, 3);
        assert.equal(cs(first)?.lastState?.terminated?.reason, 'Error');
        assert.equal(st(first).phase, 'Running');
        // The delay doubles per restart (200ms, 400ms, 800ms … with the test's back-off figures).
        const delays = new Set<string>();
        await waitForPod(c.client, 'crash', (p) => {
          const m = /^back-off (\S+) /.exec(cs(p)?.state?.waiting?.message ?? '');
          if (m?.[1] !== undefined) delays.add(m[1]);
          return delays.size >= 3;
        });
        const ms = [...delays].map((d) =>
          d.endsWith('ms') ? Number(d.slice(0, -2)) : Number(d.slice(0, -1)) * 1000,
        );
        assert.ok(
          ms.length >= 3 && ms.every((d, i) => i === 0 || d > (ms[i - 1] ?? 0)),
          [...delays].join(','),
        );
        const events = await c.client.list('events', { fieldSelector: 'involvedObject.name=crash' });
        const backoff = (events.items as unknown as Event[]).find((e) => e.reason === 'BackOff');
        assert.ok(backoff !== undefined);
        assert.ok((backoff.count ?? 0) >= 1);
        await c.client.request('DELETE', '/api/v1/namespaces/default/pods/crash', {
          body: { gracePeriodSeconds: 0 },
        });
      });

      it('finishes pods with restartPolicy Never and OnFailure: Succeeded or Failed', async () => {
        await c.client.create(
          'pods',
          nodePod('ok-never', 'n1', 'process.exit(0)', {}, { restartPolicy: 'Never' }),
        );
        await c.client.create(
          'pods',
          nodePod('bad-never', 'n1', 'process.exit(2)', {}, { restartPolicy: 'Never' }),
        );
        await c.client.create(
          'pods',
          nodePod('ok-onfail', 'n1', 'process.exit(0)', {}, { restartPolicy: 'OnFailure' }),
        );
        const ok = await waitForPod(c.client, 'ok-never', (p) => st(p).phase === 'Succeeded');
        assert.equal(cs(ok)?.state?.terminated?.reason, 'Completed');
        assert.equal(cs(ok)?.restartCount, 0);
        const bad = await waitForPod(c.client, 'bad-never', (p) => st(p).phase === 'Failed');
        assert.equal(cs(bad)?.state?.terminated?.exitCode, 2);
        assert.equal(cs(bad)?.state?.terminated?.reason, 'Error');
        await waitForPod(c.client, 'ok-onfail', (p) => st(p).phase === 'Succeeded');
      });

      it('runs init containers first, in order, sharing an emptyDir', async () => {
        const write = (text: string): string =>
          `require('fs').appendFileSync((process.env.VOLUME_WORK??'/work')+'/order','${text}\\n')`;
        await c.client.create(
          'pods',
          nodePod(
            'init',
            'n1',
            "console.log(require('fs').readFileSync((process.env.VOLUME_WORK??'/work')+'/order','utf8').trim().split('\\n').join(','));setInterval(()=>{},1000)",
            { volumeMounts: [{ name: 'work', mountPath: '/work' }] },
            {
              volumes: [{ name: 'work', emptyDir: {} }],
              initContainers: [
                {
                  name: 'one',
                  image: 'node',
                  command: [process.execPath, '-e', write('one')],
                  volumeMounts: [{ name: 'work', mountPath: '/work' }],
                },
                {
                  name: 'two',
                  image: 'node',
                  command: [process.execPath, '-e', write('two')],
                  volumeMounts: [{ name: 'work', mountPath: '/work' }],
                },
              ],
            },
          ),
        );
        const pod = await waitForPod(c.client, 'init', (p) => st(p).phase === 'Running');
        const inits = st(pod).initContainerStatuses ?? [];
        assert.deepEqual(
          inits.map((s) => [s.name, s.state?.terminated?.reason]),
          [
            ['one', 'Completed'],
            ['two', 'Completed'],
          ],
        );
        let log = '';
        for (let i = 0; i < 50 && !log.includes('one,two'); i++) {
          log = await podLog(c, 'init');
          await new Promise((r) => setTimeout(r, 100));
        }
        assert.equal(log.trim(), 'one,two');
      });
    },
  );
}
