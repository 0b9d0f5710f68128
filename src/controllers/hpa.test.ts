/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-explicit-any -- tests read kubectl JSON by path */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCloud, UP_COMPONENTS, type RunningCloud } from '../cli/up.js';
import { eventually, kubectlSkipReason } from './testing.js';
import { KUBECTL } from './kubectl-harness.js';

const skip = kubectlSkipReason();
let dir: string;
/** The control folder the pods read (open to others: a pod runs as ids of its own). */
let ctl: string;
let cloud: RunningCloud;

/**
 * A Deployment whose pods busy-loop while `burn` exists in the control folder and otherwise
 * sleep, requesting 100m of cpu: the load is switched by the test, not by time.
 */
function manifest(control: string): string {
  return JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'burn', namespace: 'default' },
    spec: {
      selector: { matchLabels: { app: 'burn' } },
      template: {
        metadata: { labels: { app: 'burn' } },
        spec: {
          terminationGracePeriodSeconds: 1,
          containers: [
            {
              name: 'main',
              image: 'sh',
              command: [
                'sh',
                '-c',
                `while :; do if [ -e ${control}/burn ]; then :; else sleep 0.2; fi; done`,
              ],
              resources: { requests: { cpu: '100m' } },
            },
          ],
        },
      },
    },
  });
}

function kubectl(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      KUBECTL,
      args,
      {
        env: { PATH: process.env.PATH ?? '', HOME: dir, KUBECONFIG: cloud.server.kubeconfigPath },
        timeout: 60_000,
      },
      (err, stdout, stderr) =>
        err ? reject(new Error(`kubectl ${args.join(' ')}: ${stderr}`)) : resolve(stdout),
    );
  });
}

const hpa = async (): Promise<any> => JSON.parse(await kubectl('get', 'hpa', 'burn', '-o', 'json'));
const specReplicas = async (): Promise<number> =>
  JSON.parse(await kubectl('get', 'deploy', 'burn', '-o', 'json')).spec.replicas;
const condition = (h: any, type: string): any => h.status?.conditions?.find((c: any) => c.type === type);

before(async () => {
  if (skip) return;
  dir = await mkdtemp(join(tmpdir(), 'stratus-hpa-'));
  ctl = await mkdtemp(join(tmpdir(), 'stratus-hpa-ctl-'));
  await chmod(ctl, 0o755);
  cloud = await startCloud(
    {
      dataDir: join(dir, 'data'),
      apiPort: 0,
      controllers: true,
      hpa: { syncPeriodMs: 1000 },
      metricsIntervalMs: 1000,
      serviceProxy: 'none',
    },
    UP_COMPONENTS,
  );
});
after(async () => {
  if (skip) return;
  await unlink(join(ctl, 'burn')).catch(() => undefined);
  await cloud.close();
  await rm(dir, { recursive: true, force: true });
  await rm(ctl, { recursive: true, force: true });
});

test(
  'an HPA made by kubectl autoscale scales a cpu-burning Deployment up from 1, then down once the load stops',
  { skip: skip ?? false, timeout: 120_000 },
  async () => {
    await writeFile(join(dir, 'burn.json'), manifest(ctl));
    await kubectl('apply', '-f', join(dir, 'burn.json'));
    await kubectl('rollout', 'status', 'deploy/burn', '--timeout=60s');
    // kubectl 1.32 creates an autoscaling/v1 object (in protobuf); the shortened scale-down
    // window is set through v2.
    assert.match(
      await kubectl('autoscale', 'deploy/burn', '--min=1', '--max=3', '--cpu-percent=50'),
      /horizontalpodautoscaler.autoscaling\/burn autoscaled/,
    );
    await kubectl(
      'patch',
      'hpa',
      'burn',
      '--type=merge',
      '-p',
      '{"spec":{"behavior":{"scaleDown":{"stabilizationWindowSeconds":3}}}}',
    );

    // Idle: metrics come in, the HPA computes from them and keeps one replica.
    const idle = await eventually(
      'the HPA to read the idle pod',
      async () => {
        const h = await hpa();
        return condition(h, 'ScalingActive')?.reason === 'ValidMetricFound' && h.status.currentReplicas === 1
          ? h
          : undefined;
      },
      { timeoutMs: 60_000 },
    );
    assert.ok(idle.status.currentMetrics[0].resource.current.averageUtilization < 50);
    assert.equal(idle.spec.behavior.scaleDown.stabilizationWindowSeconds, 3);
    assert.equal(idle.spec.behavior.scaleUp.policies.length, 2, 'defaults filled in');

    await writeFile(join(ctl, 'burn'), '');
    await eventually('a scale-up', async () => (await specReplicas()) > 1, { timeoutMs: 60_000 });
    const up = await hpa();
    assert.ok(up.status.desiredReplicas > 1 && up.status.desiredReplicas <= 3);
    assert.ok(up.status.lastScaleTime);
    assert.equal(condition(up, 'AbleToScale').status, 'True');
    const table = await kubectl('get', 'hpa');
    assert.match(table, /^NAME\s+REFERENCE\s+TARGETS\s+MINPODS\s+MAXPODS\s+REPLICAS\s+AGE\n/);
    assert.match(table, /\nburn\s+Deployment\/burn\s+cpu: (\d+%|<unknown>)\/50%\s+1\s+3\s+\d\s+/);

    await unlink(join(ctl, 'burn'));
    await eventually(
      'the scale-down to 1 after the stabilization window',
      async () => (await specReplicas()) === 1 && (await hpa()).status.desiredReplicas === 1,
      { timeoutMs: 60_000 },
    );
    const events = await kubectl(
      'get',
      'events',
      '--field-selector',
      'involvedObject.kind=HorizontalPodAutoscaler,reason=SuccessfulRescale',
      '-o',
      'jsonpath={range .items[*]}{.message}{"\\n"}{end}',
    );
    assert.match(
      events,
      /New size: [23]; reason: cpu resource utilization \(percentage of request\) above target/,
    );
    assert.match(events, /New size: 1; reason: All metrics below target/);
  },
);
