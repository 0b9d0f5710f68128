import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Agent } from '../agent/index.js';
import { KubeClient } from '../client/index.js';
import type { KubeObject } from '../common/kube-object.js';
import { parseQuantity } from '../common/quantity.js';
import { kubectlSkipReason, runKubectl } from '../controllers/testing.js';
import { nodeUser } from '../identity/index.js';
import { CliHarness } from './cli-harness.js';

interface PodMetrics {
  timestamp: string;
  window: string;
  containers: { usage: { cpu: string; memory: string } }[];
}

interface UsageList {
  items: {
    series: { name: string; owner: string };
    totals: { seconds: number; cpuMs: number; memKiBs: number; cpuRequestMs: number };
  }[];
}

/** Polls `check` every 100 ms for at most 90 s; returns its first truthy value. */
async function eventually<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 90_000;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}: ${String(last)}`);
}

function shPod(name: string, script: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { app: name, team: 'core' } },
    spec: {
      nodeName: 'n1',
      terminationGracePeriodSeconds: 1,
      containers: [
        {
          name: 'main',
          image: 'sh',
          command: ['sh', '-c', script],
          resources: { requests: { cpu: '250m', memory: '64Mi' } },
        },
      ],
    },
  };
}

/** RFC 4180 fields of a CSV text (quoted fields, doubled quotes, CRLF records). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  const re = /("(?:[^"]|"")*"|[^,\r\n]*)(,|\r\n|$)/gy;
  let row: string[] = [];
  for (let m = re.exec(text); m !== null && re.lastIndex <= text.length; m = re.exec(text)) {
    const f = m[1] ?? '';
    row.push(f.startsWith('"') ? f.slice(1, -1).replace(/""/g, '"') : f);
    if (m[2] !== ',') {
      rows.push(row);
      row = [];
      if (m[2] === '') break;
    }
  }
  return rows.filter((r) => r.length > 1 || r[0] !== '');
}

describe('stratus usage and smoothness against metered pods', () => {
  let h: CliHarness;
  let agent: Agent;
  let nodeClient: KubeClient;
  before(async () => {
    h = await CliHarness.start({ usageIntervalMs: 250 });
    nodeClient = new KubeClient({
      server: h.server.httpUrl,
      token: h.server.loopbackToken(nodeUser('n1')),
      namespace: 'default',
      contextName: 'node-n1',
    });
    agent = await Agent.start({
      client: nodeClient,
      dataDir: join(h.dir, 'agent-n1'),
      nodeName: 'n1',
      resyncIntervalMs: 1000,
      leaseIntervalMs: 1000,
      probeTickMs: 100,
      metricsIntervalMs: 1000,
      onError: () => undefined,
    });
    await h.client.create('pods', shPod('busy', 'while :; do :; done'));
    await h.client.create('pods', shPod('idle', 'exec sleep 3600'));
  });
  after(async () => {
    await agent?.stopAllPods().catch(() => undefined);
    await agent?.close();
    await nodeClient?.close();
    await h?.close();
  });

  it('records what the agent sampled (within 1 %) and prints it as CSV, JSON and a table with cost', async () => {
    // The samples: every distinct window the metrics API shows for the busy pod, by 15 s slot.
    const seen = new Map<string, number>();
    const slots = new Map<number, number>();
    const poll = async (): Promise<void> => {
      const m = (
        await h.client.request<PodMetrics>('GET', '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/busy')
      ).body;
      if (seen.has(m.timestamp)) return;
      const cpuMs = (parseQuantity(m.containers[0]?.usage.cpu ?? '0') ?? 0) * 1000 * parseFloat(m.window);
      seen.set(m.timestamp, cpuMs);
      const slot = Math.floor(Date.parse(m.timestamp) / 15_000) * 15;
      slots.set(slot, (slots.get(slot) ?? 0) + cpuMs);
    };
    // the first whole 15 s slot after the first window seen
    const first = await eventually('a first window', async () => {
      await poll();
      return slots.size > 0 ? Math.min(...slots.keys()) : undefined;
    });
    const [a, b] = [first + 15, first + 30];
    await eventually('a whole slot of windows', async () => {
      await poll();
      return Math.max(...slots.keys()) >= b ? true : undefined;
    });
    const sampled = [...slots.entries()].filter(([t]) => t >= a && t < b).reduce((s, [, v]) => s + v, 0);
    assert.ok(sampled > 0);
    let recorded = 0;
    const busy = await eventually('the meter to have recorded the slot', async () => {
      const list = (
        await h.client.request<UsageList>('GET', '/apis/usage.stratus.dev/v1/namespaces/default/usages', {
          query: { from: String(a), to: String(b) },
        })
      ).body;
      const found = list.items.find((i) => i.series.name === 'busy');
      recorded = found?.totals.cpuMs ?? 0;
      return found !== undefined && recorded >= 0.99 * sampled ? found : undefined;
    }).catch(() => undefined);
    assert.ok(busy !== undefined, `recorded ${recorded} cpu-ms vs sampled ${sampled}`);
    assert.ok(Math.abs(recorded - sampled) <= 0.01 * sampled, `${recorded} vs ${sampled}`);
    assert.equal(busy.totals.cpuRequestMs, 250 * busy.totals.seconds);
    assert.equal(busy.series.owner, 'Pod/busy');

    await h.client.create('pricesheets', {
      apiVersion: 'billing.stratus.dev/v1',
      kind: 'PriceSheet',
      metadata: { name: 'default' },
      spec: { currency: 'USD', cpuPerVcpuHour: '1000', memoryPerGiBHour: '0.005', utilityPremium: '1.5' },
    });
    const csv = await h.run(['usage', '--by', 'label=app', '-o', 'csv', '--since', '1h']);
    assert.equal(csv.code, 0, csv.stderr);
    assert.ok(csv.stdout.endsWith('\r\n'));
    const rows = parseCsv(csv.stdout);
    assert.equal(rows[0]?.[0], 'APP');
    assert.ok(rows.every((r) => r.length === rows[0]?.length));
    assert.deepEqual(
      rows.map((r) => r[0]),
      ['APP', 'busy', 'idle', 'TOTAL'],
    );
    const costCol = rows[0]?.indexOf('COST') ?? -1;
    assert.ok(Number(rows[1]?.[costCol]) > 0, csv.stdout);

    const json = await h.run(['usage', '-n', 'default', '--by', 'workload', '-o', 'json']);
    assert.equal(json.code, 0, json.stderr);
    const report = JSON.parse(json.stdout) as { currency: string; rows: { workload: string }[] };
    assert.equal(report.currency, 'USD');
    assert.deepEqual(
      report.rows.map((r) => r.workload),
      ['default/Pod/busy', 'default/Pod/idle', 'TOTAL'],
    );
    const table = await h.run(['usage']);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^NAMESPACE\s+CPU_CORE_HOURS/);
    assert.match(table.stdout, /\ndefault\s/);

    const bad = await h.run(['usage', '--by', 'colour']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /--by "colour"/);
  });

  it('smoothness reports the metered pods, as text, JSON and an SVG chart', async () => {
    const text = await h.run(['smoothness', '--since', '10m', '--step', '15', '--plot', 'demand.svg']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /default\/Pod\/busy/);
    assert.match(text.stdout, /POOLED/);
    assert.match(text.stdout, /√n rule predicts/);
    assert.match(text.stdout, /premium is 1\.50/);
    const svg = await readFile(join(h.dir, 'demand.svg'), 'utf8');
    assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.match(svg, /<title>pooled<\/title>/);
    const json = await h.run(['smoothness', '--since', '10m', '--step', '15', '-o', 'json']);
    const r = JSON.parse(json.stdout) as {
      workloads: { name: string; stats: { mean: number; peak: number } }[];
      n: number;
    };
    const busy = r.workloads.find((w) => w.name === 'default/Pod/busy');
    // the machine may be shared: the loop gets what it gets, but it is metered
    assert.ok(busy !== undefined && busy.stats.mean > 0 && busy.stats.peak > 0, json.stdout);
  });

  it(
    'kubectl api-resources lists the usage API, from aggregated and legacy discovery',
    { skip: kubectlSkipReason() },
    async () => {
      const kubectl = (args: string[]): ReturnType<typeof runKubectl> =>
        runKubectl(h.dir, h.server.kubeconfigPath, args);
      const resources = await kubectl(['api-resources', '--api-group', 'usage.stratus.dev']);
      assert.equal(resources.code, 0, resources.stderr);
      assert.match(resources.stdout, /\nusages\s+usage\.stratus\.dev\/v1\s+true\s+Usage\n/);
      const apis = await kubectl(['get', '--raw', '/apis']);
      const groups = (
        JSON.parse(apis.stdout) as { groups: { name: string; preferredVersion: { version: string } }[] }
      ).groups;
      assert.equal(groups.find((g) => g.name === 'usage.stratus.dev')?.preferredVersion.version, 'v1');
      const list = await kubectl(['get', '--raw', '/apis/usage.stratus.dev/v1']);
      const rl = JSON.parse(list.stdout) as {
        resources: { name: string; namespaced: boolean; verbs: string[] }[];
      };
      assert.deepEqual(rl.resources, [
        { name: 'usages', singularName: 'usage', namespaced: true, kind: 'Usage', verbs: ['list'] },
      ]);
    },
  );
});
