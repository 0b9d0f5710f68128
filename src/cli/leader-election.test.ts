import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { KubeClient } from '../client/index.js';
import { eventually, kubectlSkipReason, runKubectl } from '../controllers/testing.js';
import { EtcdCluster, etcdSkip } from '../store/testing.js';
import { collect, MAIN_JS, spawnCli, type CliChild } from './cli-harness.js';

const skip = etcdSkip || kubectlSkipReason();
/** Shortened timings (kube's are 15 s, 10 s, 2 s): the failover is bounded by the 3 s lease. */
const TIMINGS = [
  '--leader-elect-lease-duration',
  '3s',
  '--leader-elect-renew-deadline',
  '2s',
  '--leader-elect-retry-period',
  '500ms',
];

const start = (dir: string, args: string[]): CliChild => spawnCli(dir, args, 600_000);

test(
  'two servers on one etcd: only the lease holder acts; killing it hands the controllers and the scheduler to the other, a Deployment gets its pods, and `stratus cluster status` shows the failover',
  { skip },
  async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stratus-leader-'));
    const etcd = await EtcdCluster.start(1);
    const children: CliChild[] = [];
    const clients: KubeClient[] = [];
    const server = (name: string): CliChild => {
      const c = start(dir, [
        'server',
        '--data-dir',
        join(dir, name),
        '--port',
        '0',
        '--s3-port',
        '0',
        '--store',
        etcd.url,
        '--server-name',
        name,
        ...TIMINGS,
      ]);
      children.push(c);
      return c;
    };
    try {
      const a = server('a');
      const kubeconfigOf = async (c: CliChild): Promise<string> =>
        /^kubeconfig: (\/.*)$/m.exec(
          await c.stdout.waitFor(/export KUBECONFIG=.*\n/, 120_000),
        )?.[1] as string;
      await kubeconfigOf(a);
      await a.stderr.waitFor(/a_\w+ acquired lease kube-system\/stratus-controller-manager/, 60_000);
      await a.stderr.waitFor(/a_\w+ acquired lease kube-system\/stratus-scheduler/, 60_000);
      // The second server shares the first one's bootstrap (CA, keys, encryption config), as a
      // server joining with a token gets it; its data directory is a copy.
      await cp(join(dir, 'a'), join(dir, 'b'), {
        recursive: true,
        filter: (src) => !src.endsWith('audit.log'),
      });
      const b = server('b');
      const kubeconfigB = await kubeconfigOf(b);
      const clientB = KubeClient.fromKubeconfig(kubeconfigB);
      clients.push(clientB);

      // Both serve the same objects; the leases name a's identities; b runs no controllers.
      const kubeconfigA = join(dir, 'a', 'kubeconfig');
      const created = await runKubectl(dir, kubeconfigA, [
        'create',
        'configmap',
        'shared',
        '--from-literal=k=v',
      ]);
      assert.equal(created.code, 0, created.stderr);
      const seen = await runKubectl(dir, kubeconfigB, [
        'get',
        'configmap',
        'shared',
        '-o',
        'jsonpath={.data.k}',
      ]);
      assert.equal(seen.stdout, 'v', seen.stderr);
      const holder = async (lease: string): Promise<string> =>
        (
          (await clientB.get('leases', lease, { namespace: 'kube-system' }))['spec'] as {
            holderIdentity?: string;
          }
        ).holderIdentity ?? '';
      assert.match(await holder('stratus-controller-manager'), /^a_/);
      assert.match(await holder('stratus-scheduler'), /^a_/);
      await eventually('both servers’ own leases', async () => {
        const list = await clientB.list('leases', { namespace: 'kube-system' });
        const names = list.items.map((l) => l.metadata.name);
        return names.includes('stratus-server-a') && names.includes('stratus-server-b');
      });
      assert.doesNotMatch(
        b.stderr.text,
        /acquired lease kube-system\/stratus-(controller-manager|scheduler)/,
      );

      const agent = start(dir, ['agent', '--simulate', '2', '--kubeconfig', kubeconfigB]);
      children.push(agent);
      await agent.stdout.waitFor(/2 simulated nodes registered/, 60_000);

      // `stratus cluster status` shows both servers, a holding both leases, etcd's one member.
      const status = async (): Promise<string> => {
        const r = await collect(
          spawn(
            process.execPath,
            [MAIN_JS, 'cluster', 'status', '--etcd', etcd.url, '--kubeconfig', kubeconfigB],
            {
              cwd: dir,
              env: { ...process.env, HOME: dir },
            },
          ),
        );
        assert.equal(r.code, 0, r.stderr);
        return r.stdout;
      };
      const before = await status();
      assert.match(before, /^a\s+Alive/m);
      assert.match(before, /^b\s+Alive/m);
      assert.match(before, /^stratus-controller-manager\s+a_\w+\s+yes\s+0/m);
      assert.match(before, /^stratus-scheduler\s+a_\w+\s+yes/m);
      assert.match(before, /^m0\s+\w+\s+healthy\s+yes\s+3\.4/m);

      // The holder dies without a word: b takes both leases once a's expire.
      const killedAt = Date.now();
      a.process.kill('SIGKILL');
      await a.done;
      await b.stderr.waitFor(/b_\w+ acquired lease kube-system\/stratus-controller-manager/, 60_000);
      await b.stderr.waitFor(/b_\w+ acquired lease kube-system\/stratus-scheduler/, 60_000);
      const failoverMs = Date.now() - killedAt;
      console.log(`failover with a 3 s lease: ${failoverMs} ms`);
      assert.match(await holder('stratus-controller-manager'), /^b_/);
      const lease = await clientB.get('leases', 'stratus-controller-manager', { namespace: 'kube-system' });
      assert.equal((lease['spec'] as { leaseTransitions?: number }).leaseTransitions, 1);
      // The status shows the failover: a gone once its own lease lapses, b holding both leases.
      const after = await eventually('a shown gone', async () => {
        const text = await status();
        return /^a\s+Gone/m.test(text) ? text : undefined;
      });
      assert.match(after, /^b\s+Alive/m);
      assert.match(after, /^stratus-controller-manager\s+b_\w+\s+yes\s+1/m);
      assert.match(after, /^stratus-scheduler\s+b_\w+\s+yes\s+1/m);

      // The controllers and the scheduler now act on b: a Deployment gets its pods bound and Running.
      const deploy = await runKubectl(dir, kubeconfigB, [
        'create',
        'deployment',
        'web',
        '--image=busybox',
        '--replicas=2',
      ]);
      assert.equal(deploy.code, 0, deploy.stderr);
      await eventually(
        'the Deployment’s two pods running on the simulated nodes',
        async () => {
          const pods = await clientB.list('pods', { namespace: 'default', labelSelector: 'app=web' });
          const running = pods.items.filter(
            (p) =>
              (p['spec'] as { nodeName?: string }).nodeName !== undefined &&
              (p['status'] as { phase?: string } | undefined)?.phase === 'Running',
          );
          return running.length === 2;
        },
        { timeoutMs: 60_000 },
      );
      assert.match(await status(), /^AGENTS\nNODE\s+READY\s.*\n(\S+\s+True\s.*\n){2}/m);

      agent.process.kill('SIGTERM');
      b.process.kill('SIGTERM');
      const r = await b.done;
      assert.equal(r.code, 0, r.stderr);
      // A graceful stop releases the lease for the next candidate.
      assert.match(r.stderr, /b_\w+ stopped leading kube-system\/stratus-controller-manager/);
    } finally {
      for (const c of clients) await c.close();
      for (const c of children) c.process.kill('SIGKILL');
      await Promise.all(children.map((c) => c.done));
      await etcd.close();
      await rm(dir, { recursive: true, force: true });
    }
  },
);
