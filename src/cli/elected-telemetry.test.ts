import assert from 'node:assert/strict';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Agent } from '../agent/index.js';
import { KubeClient } from '../client/index.js';
import { eventually } from '../controllers/testing.js';
import { nodeUser } from '../identity/index.js';
import { EtcdCluster, etcdSkip } from '../store/testing.js';
import { startServer, type RunningServer } from './server.js';

interface UsageList {
  items: { series: { name: string; kind: string } }[];
}

/** The pods a server's usage records hold. */
async function meteredPods(server: RunningServer): Promise<string[]> {
  const res = await fetch(`${server.httpUrl}/apis/usage.stratus.dev/v1/usages?kind=pod&since=3600`, {
    headers: { authorization: `Bearer ${server.adminToken}` },
  });
  assert.equal(res.status, 200);
  return ((await res.json()) as UsageList).items.map((i) => i.series.name);
}

/** A server's kube-state-metrics series for pods. */
async function podPhases(server: RunningServer): Promise<string[]> {
  const res = await fetch(`${server.httpUrl}/metrics/objects`, {
    headers: { authorization: `Bearer ${server.adminToken}` },
  });
  assert.equal(res.status, 200);
  return (await res.text()).split('\n').filter((l) => l.startsWith('kube_pod_status_phase{'));
}

test(
  'two elected servers: only the holder of the controllers’ lease meters pods and serves kube-state-metrics’ series; the other takes both over with the lease',
  { skip: etcdSkip },
  async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stratus-elected-telemetry-'));
    const etcd = await EtcdCluster.start(1);
    const notices: string[] = [];
    const servers: RunningServer[] = [];
    let agent: Agent | undefined;
    let nodeClient: KubeClient | undefined;
    let admin: KubeClient | undefined;
    const start = async (name: string): Promise<RunningServer> => {
      const s = await startServer({
        dataDir: join(dir, name),
        apiPort: 0,
        store: etcd.url,
        controllers: true,
        leaderElect: true,
        // Long enough that a busy machine does not make a lose its lease; a.close() releases it,
        // and b takes it at its next retry.
        leaderElection: { leaseDurationMs: 30_000, renewDeadlineMs: 20_000, retryPeriodMs: 500 },
        serverName: name,
        usageIntervalMs: 250,
        onNotice: (line) => notices.push(line),
      });
      servers.push(s);
      return s;
    };
    const leads = (name: string): boolean =>
      notices.some((l) =>
        new RegExp(`${name}_\\w+ acquired lease kube-system/stratus-controller-manager`).test(l),
      );
    try {
      const a = await start('a');
      await eventually('a to hold the lease', () => leads('a'));
      // b shares a's bootstrap (CA, keys, encryption config), as a joining server gets it.
      await cp(join(dir, 'a'), join(dir, 'b'), {
        recursive: true,
        filter: (src) => !/(audit\.log|usage\.db.*)$/.test(src),
      });
      const b = await start('b');
      nodeClient = new KubeClient({
        server: b.httpUrl,
        token: b.loopbackToken(nodeUser('n1')),
        namespace: 'default',
        contextName: 'node-n1',
      });
      agent = await Agent.start({
        client: nodeClient,
        dataDir: join(dir, 'agent-n1'),
        nodeName: 'n1',
        resyncIntervalMs: 1000,
        leaseIntervalMs: 1000,
        metricsIntervalMs: 1000,
        onError: () => undefined,
      });
      admin = new KubeClient({
        server: b.httpUrl,
        token: b.adminToken,
        namespace: 'default',
        contextName: 'b',
      });
      await admin.create('pods', {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'idle', namespace: 'default' },
        spec: {
          nodeName: 'n1',
          terminationGracePeriodSeconds: 1,
          containers: [{ name: 'main', image: 'sleep', command: ['sleep', '3600'] }],
        },
      });

      // a leads: it meters the pod and serves its series; b, beside it all along, does neither.
      await eventually('a to meter the pod', async () => (await meteredPods(a)).includes('idle'), {
        timeoutMs: 60_000,
      });
      await eventually('a to serve the pod’s phase', async () =>
        (await podPhases(a)).some((l) => l.includes('pod="idle"')),
      );
      assert.ok(!leads('b'));
      assert.deepEqual(await meteredPods(b), []);
      assert.deepEqual(await podPhases(b), []);

      // a stops (releasing its lease): b takes over both.
      await a.close();
      servers.splice(servers.indexOf(a), 1);
      await eventually('b to hold the lease', () => leads('b'), { timeoutMs: 60_000 });
      await eventually('b to meter the pod', async () => (await meteredPods(b)).includes('idle'), {
        timeoutMs: 60_000,
      });
      await eventually('b to serve the pod’s phase', async () =>
        (await podPhases(b)).some((l) => l.includes('pod="idle"')),
      );
    } finally {
      await agent?.stopAllPods().catch(() => undefined);
      await agent?.close();
      await nodeClient?.close();
      await admin?.close();
      for (const s of servers) await s.close();
      await etcd.close();
      await rm(dir, { recursive: true, force: true });
    }
  },
);
