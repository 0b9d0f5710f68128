import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { CronJob, Job } from 'kubernetes-types/batch/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { ManualClock } from '../common/clock.js';
import { startControllerManager, type ControllerManager } from '../controllers/index.js';
import { eventually } from '../controllers/testing.js';
import { podLog, startAgentCluster, type AgentCluster } from './agent-testing.js';
import {
  runtimeFixture,
  runtimeSkip,
  WORKLOAD_RUNTIMES,
  type RuntimeFixture,
} from './testing/workload-runtimes.js';

// Issue 3's Job and CronJob acceptance with real pods on a real agent, on each runtime (issue 11):
// the Job, CronJob and scheduler controllers over an agent that runs the pods to completion. The
// CronJob's controller reads a clock the test moves, to a schedule the wall clock never reaches
// (29 February at midnight), so it fires exactly when the test says.
const LEAP_DAY = Date.UTC(2028, 1, 29);
const active = (p: Pod): boolean =>
  p.metadata?.deletionTimestamp === undefined &&
  p.status?.phase !== 'Succeeded' &&
  p.status?.phase !== 'Failed';
const complete = (j: Job): boolean =>
  j.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True') === true;

for (const runtime of WORKLOAD_RUNTIMES) {
  const skip = runtimeSkip(runtime, 'the Job and CronJob tests');
  describe(`Jobs and CronJobs run to completion on ${runtime}`, skip === undefined ? {} : { skip }, () => {
    let c: AgentCluster;
    let fixture: RuntimeFixture;
    const clock = new ManualClock(Date.now());
    const managers: ControllerManager[] = [];
    before(async () => {
      fixture = runtimeFixture(runtime);
      c = await startAgentCluster();
      await c.agent('n1', fixture.agent);
      const client = c.client;
      managers.push(await startControllerManager({ client, controllers: ['job', 'scheduler'] }));
      managers.push(await startControllerManager({ client, clock, controllers: ['cronjob'] }));
    });
    after(async () => {
      for (const m of managers) await m.close();
      await c.close();
      fixture.close();
    });
    /** A Job's pod template: a shell that works a little, says so and exits 0. */
    const template = (app: string): Record<string, unknown> => ({
      metadata: { labels: { app } },
      spec: {
        restartPolicy: 'Never',
        terminationGracePeriodSeconds: 1,
        ...fixture.podSpec,
        containers: [{ name: 'work', image: 'busybox', command: ['sh', '-c', 'sleep 0.3; echo "done $0"'] }],
      },
    });

    it('a Job of 5 completions with parallelism 2 completes, never more than 2 pods running', async () => {
      await c.client.create('jobs', {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name: 'five', namespace: 'default' },
        spec: { completions: 5, parallelism: 2, template: template('five') },
      });
      let most = 0;
      const job = await eventually(
        'the Job to complete',
        async () => {
          const pods = (await c.client.list('pods', { labelSelector: 'app=five' })).items as Pod[];
          most = Math.max(most, pods.filter(active).length);
          const j = (await c.client.get('jobs', 'five')) as Job;
          return complete(j) ? j : undefined;
        },
        { timeoutMs: 120_000 },
      );
      assert.ok(most <= 2, `at most 2 pods ran at once, saw ${most}`);
      assert.equal(job.status?.succeeded, 5);
      assert.ok(job.status?.completionTime);
      const pods = (await c.client.list('pods', { labelSelector: 'app=five' })).items as Pod[];
      assert.equal(pods.length, 5);
      for (const p of pods) {
        assert.equal(p.status?.phase, 'Succeeded');
        const t = p.status?.containerStatuses?.[0]?.state?.terminated;
        assert.deepEqual([t?.exitCode, t?.reason], [0, 'Completed']);
        assert.match(p.status?.containerStatuses?.[0]?.containerID ?? '', new RegExp(`^${runtime}://`));
      }
      assert.equal((await podLog(c, pods[0]?.metadata?.name ?? '')).trim(), 'done sh');
    });

    it('a CronJob fires when its schedule comes, and sees its Job complete with real pods', async () => {
      await c.client.create('cronjobs', {
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        metadata: { name: 'leap', namespace: 'default' },
        spec: {
          schedule: '0 0 29 2 *',
          concurrencyPolicy: 'Forbid',
          jobTemplate: { spec: { template: template('leap') } },
        },
      });
      await eventually('the CronJob to be seen', async () => {
        const cj = (await c.client.get('cronjobs', 'leap')) as CronJob;
        return cj.metadata?.uid !== undefined;
      });
      assert.equal(
        ((await c.client.list('jobs')).items as Job[]).filter((j) => j.metadata?.name?.startsWith('leap'))
          .length,
        0,
        'nothing runs before the schedule comes',
      );
      clock.set(LEAP_DAY + 2_000);
      const name = `leap-${LEAP_DAY / 60_000}`;
      const job = await eventually(
        'the scheduled Job to complete',
        async () => {
          const j = (await c.client.get('jobs', name)) as Job;
          return complete(j) ? j : undefined;
        },
        { timeoutMs: 60_000 },
      );
      assert.equal(job.status?.succeeded, 1);
      const cj = await eventually('lastSuccessfulTime', async () => {
        const x = (await c.client.get('cronjobs', 'leap')) as CronJob;
        return x.status?.lastSuccessfulTime !== undefined && (x.status.active ?? []).length === 0
          ? x
          : undefined;
      });
      assert.equal(cj.status?.lastScheduleTime, new Date(LEAP_DAY).toISOString().replace('.000', ''));
      const [pod] = (await c.client.list('pods', { labelSelector: 'app=leap' })).items as Pod[];
      assert.equal(pod?.status?.phase, 'Succeeded');
      assert.equal((await podLog(c, pod?.metadata?.name ?? '')).trim(), 'done sh');
    });
  });
}
