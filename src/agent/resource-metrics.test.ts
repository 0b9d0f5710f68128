import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KubeObject } from '../common/kube-object.js';
import { parseQuantity } from '../common/quantity.js';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { StatusError } from '../client/index.js';
import { MAIN_JS } from '../cli/testing.js';
import {
  kubectl,
  kubectlSkip,
  startAgentCluster,
  waitForLog,
  waitForPod,
  type AgentCluster,
} from './agent-testing.js';

const MiB = 1024 * 1024;

/** A pod on n1 running `sh -c SCRIPT`; `limits` put its container in a cgroup of its own. */
function shPod(name: string, script: string, limits?: Record<string, string>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { app: name, metrics: 'yes' } },
    spec: {
      nodeName: 'n1',
      terminationGracePeriodSeconds: 1,
      containers: [
        {
          name: 'main',
          image: 'sh',
          command: ['sh', '-c', script],
          ...(limits ? { resources: { limits } } : {}),
        },
      ],
    },
  };
}

interface PodMetrics {
  metadata: { name: string; namespace: string; labels?: Record<string, string> };
  timestamp: string;
  window: string;
  containers: { name: string; usage: { cpu: string; memory: string } }[];
}

const cores = (m: PodMetrics | undefined): number => parseQuantity(m?.containers[0]?.usage.cpu ?? 'x') ?? NaN;
const bytes = (m: PodMetrics | undefined): number =>
  parseQuantity(m?.containers[0]?.usage.memory ?? 'x') ?? NaN;

/** Polls `check` every 200 ms for at most 60 s; returns its first truthy value. */
async function eventually<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 60_000;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}: ${String(last)}`);
}

describe('resource metrics: metrics.k8s.io and kubectl top', { skip: kubectlSkip }, () => {
  let c: AgentCluster;
  before(async () => {
    c = await startAgentCluster();
    await c.agent('n1', { metricsIntervalMs: 1000 });
    // busy: a shell loop, sampled from /proc (no limits, so no cgroup); alloc: 100 MiB held by dd
    // blocked on a full pipe, in a cgroup of its own (limits) when the agent is root. (`$$` is
    // Kubernetes' escape of `$`: the shell sees `$$`, its pid.)
    await c.client.create('pods', shPod('busy', 'echo "pid=$$$$"; while :; do :; done'));
    await c.client.create('pods', shPod('idle', 'exec sleep 3600'));
    await c.client.create(
      'pods',
      shPod('alloc', 'dd if=/dev/zero bs=100M count=1 status=none | sleep 3600', {
        memory: '300Mi',
        cpu: '1',
      }),
    );
    for (const name of ['busy', 'idle', 'alloc'])
      await waitForPod(
        c.client,
        name,
        (p) => (p.status as { phase?: string } | undefined)?.phase === 'Running',
      );
  });
  after(async () => c?.close());

  const podMetrics = async (name: string): Promise<PodMetrics> =>
    (
      await c.client.request<PodMetrics>(
        'GET',
        `/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/${name}`,
      )
    ).body;

  it('a busy loop shows the CPU it really used (one core on a quiet machine), an idle pod near zero, 100 MiB allocated within 10 %', async () => {
    // The truth: the loop's own CPU seconds from /proc, read every 50 ms while the test waits. On
    // a quiet machine the loop gets a core; under load (make test) less, and the metric must say so.
    const pid = Number(/pid=(\d+)/.exec(await waitForLog(c, 'busy', /pid=\d+/))?.[1]);
    const truth: [number, number][] = [];
    const reader = setInterval(() => {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      truth.push([Date.now(), (Number(f[11]) + Number(f[12])) / 100]);
    }, 50);
    const cpuAt = (ms: number): number | undefined => {
      const i = truth.findIndex(([t]) => t >= ms);
      const [a, b] = [truth[i - 1], truth[i]];
      if (i < 1 || a === undefined || b === undefined) return undefined;
      return a[1] + ((b[1] - a[1]) * (ms - a[0])) / Math.max(1, b[0] - a[0]);
    };
    let busy: PodMetrics;
    try {
      busy = await eventually("the busy pod's CPU as /proc saw it", async () => {
        const m = await podMetrics('busy');
        const end = Date.parse(m.timestamp);
        const seconds = parseFloat(m.window);
        const [from, to] = [cpuAt(end - seconds * 1000), cpuAt(end)];
        if (from === undefined || to === undefined) return undefined;
        const real = (to - from) / seconds;
        // Ticks are 10 ms and the sample times are a few ms apart: 0.15 core of slack.
        return real > 0.1 && Math.abs(cores(m) - real) <= 0.15 + 0.1 * real ? m : undefined;
      });
    } finally {
      clearInterval(reader);
    }
    assert.equal(busy.metadata.labels?.['app'], 'busy');
    assert.match(busy.window, /^\d+(\.\d+)?s$/);
    await eventually('the idle pod near zero', async () => cores(await podMetrics('idle')) < 0.05);
    const alloc = await eventually('the allocating pod near 100 MiB', async () => {
      const m = await podMetrics('alloc');
      return bytes(m) > 90 * MiB ? m : undefined;
    });
    assert.ok(bytes(alloc) < 110 * MiB, `alloc uses ${bytes(alloc) / MiB} MiB`);
    const list = await c.client.request<{ kind: string; items: PodMetrics[] }>(
      'GET',
      '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods',
      { query: { labelSelector: 'app in (busy,idle)' } },
    );
    assert.equal(list.body.kind, 'PodMetricsList');
    assert.deepEqual(list.body.items.map((i) => i.metadata.name).sort(), ['busy', 'idle']);
    const node = await c.client.request<{ usage: { cpu: string; memory: string } }>(
      'GET',
      '/apis/metrics.k8s.io/v1beta1/nodes/n1',
    );
    assert.ok((parseQuantity(node.body.usage.cpu) ?? 0) > 0.5, `node cpu ${node.body.usage.cpu}`);
    await assert.rejects(
      c.client.request('GET', '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/nothing'),
      (e: unknown) => e instanceof StatusError && e.status === 404,
    );
    await assert.rejects(
      c.client.request('GET', '/apis/metrics.k8s.io/v1beta1/pods', { query: { watch: 'true' } }),
      (e: unknown) => e instanceof StatusError && e.status === 405,
    );
  });

  it('kubectl top nodes and top pods [--containers] [-A] print them', async () => {
    await eventually('busy in the metrics', async () => cores(await podMetrics('busy')) > 0.1);
    const nodes = await kubectl(c, ['top', 'nodes']);
    assert.equal(nodes.code, 0, nodes.stderr);
    assert.match(
      nodes.stdout,
      /^NAME\s+CPU\(cores\)\s+CPU\(%\)\s+MEMORY\(bytes\)\s+MEMORY\(%\)\s*\nn1\s+\d+m\s+\d+%\s+\d+Mi\s+\d+%/,
    );
    const pods = await kubectl(c, ['top', 'pods', '-l', 'metrics=yes']);
    assert.equal(pods.code, 0, pods.stderr);
    assert.match(pods.stdout, /^NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)/);
    assert.match(pods.stdout, /\nalloc\s+\d+m\s+(9\d|10\d)Mi/);
    assert.match(pods.stdout, /\nbusy\s+[1-9]\d*m\s+\d+Mi/);
    const containers = await kubectl(c, ['top', 'pods', '--containers', 'busy']);
    assert.equal(containers.code, 0, containers.stderr);
    assert.match(containers.stdout, /^POD\s+NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)\s*\nbusy\s+main\s+\d+m/);
    const all = await kubectl(c, ['top', 'pods', '-A']);
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stdout, /^NAMESPACE\s+NAME\s+CPU\(cores\)/);
    assert.match(all.stdout, /\ndefault\s+idle\s+\d+m/);
    const allContainers = await kubectl(c, ['top', 'pods', '-A', '--containers']);
    assert.equal(allContainers.code, 0, allContainers.stderr);
    assert.match(allContainers.stdout, /^NAMESPACE\s+POD\s+NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)/);
    assert.match(allContainers.stdout, /\ndefault\s+alloc\s+main\s+\d+m\s+(9\d|10\d)Mi/);
    assert.match(allContainers.stdout, /\ndefault\s+busy\s+main\s+[1-9]\d*m\s+\d+Mi/);
  });

  it('stratus top prints the same tables', async () => {
    await eventually('busy in the metrics', async () => cores(await podMetrics('busy')) > 0.1);
    const stratus = async (...args: string[]): Promise<string> =>
      (
        await promisify(execFile)(
          process.execPath,
          [MAIN_JS, 'top', ...args, '--kubeconfig', c.server.kubeconfigPath],
          {
            timeout: 30_000,
          },
        )
      ).stdout;
    assert.match(
      await stratus('nodes'),
      /^NAME\s+CPU\(cores\)\s+CPU\(%\)\s+MEMORY\(bytes\)\s+MEMORY\(%\)\s*\nn1\s+\d+m\s+\d+%\s+\d+Mi\s+\d+%\n$/,
    );
    const pods = await stratus('pods', '-l', 'metrics=yes');
    assert.match(pods, /^NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)\s*\n/);
    assert.match(pods, /\nalloc\s+\d+m\s+(9\d|10\d)Mi\n/);
    assert.match(
      await stratus('pods', '-A', '--containers', '-l', 'app=busy'),
      /^NAMESPACE\s+POD\s+NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)\s*\ndefault\s+busy\s+main\s+\d+m\s+\d+Mi\n$/,
    );
    await assert.rejects(stratus('pods', 'nothing'), /metrics not available yet for pods "nothing"/);
  });

  it("view in a namespace may read its pods' metrics, and nothing else", async () => {
    await c.client.create('rolebindings', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'viewer', namespace: 'default' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'viewer' }],
    });
    const { KubeClient } = await import('../client/index.js');
    const viewer = new KubeClient({
      server: c.server.httpUrl,
      token: c.server.loopbackToken({ username: 'viewer', groups: ['system:authenticated'] }),
      namespace: 'default',
      contextName: 'viewer',
    });
    try {
      const ok = await eventually('the view role to include metrics', async () =>
        viewer.request('GET', '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods').catch(() => undefined),
      );
      assert.equal(ok.status, 200);
      for (const path of [
        '/apis/metrics.k8s.io/v1beta1/namespaces/kube-system/pods',
        '/apis/metrics.k8s.io/v1beta1/nodes',
      ])
        await assert.rejects(
          viewer.request('GET', path),
          (e: unknown) => e instanceof StatusError && e.status === 403,
        );
    } finally {
      await viewer.close();
    }
  });
});
