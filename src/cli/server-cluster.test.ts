import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { KubeClient } from '../client/index.js';
import { kubectlSkipReason, runKubectl } from '../controllers/testing.js';
import { etcdSkip } from '../store/testing.js';
import { spawnCli, type CliChild, type CliResult } from './cli-harness.js';
import { freePort } from '../common/free-port.js';

const skip = etcdSkip || kubectlSkipReason();
/** Small ranges, so that servers allocating without reservations would collide. */
const RANGES = ['--service-cluster-ip-range', '127.78.0.0/27', '--service-node-port-range', '30000-30031'];

const start = (dir: string, args: string[]): CliChild => spawnCli(dir, args, 900_000);

async function cli(dir: string, args: string[]): Promise<CliResult> {
  return start(dir, args).done;
}

test(
  "three servers with --cluster-init and --join: each runs an etcd member over TLS from the cluster CA, kubectl against any sees the same objects, Services allocated on all three never share a ClusterIP or NodePort, a wrong token is refused, and a stopped server's member is removed from another host",
  { skip },
  async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stratus-cluster-'));
    const children: CliChild[] = [];
    const clients: KubeClient[] = [];
    const server = async (name: string, host: string, extra: string[]): Promise<CliChild> => {
      const c = start(dir, [
        'server',
        ...['--data-dir', join(dir, name), '--host', host, '--port', '0', '--s3-port', '0'],
        ...['--server-name', name, '--etcd-client-port', String(await freePort())],
        ...['--etcd-peer-port', String(await freePort()), ...RANGES, ...extra],
      ]);
      children.push(c);
      return c;
    };
    const apiUrlOf = async (c: CliChild): Promise<string> =>
      /^API server listening on (\S+)$/m.exec(
        await c.stdout.waitFor(/export KUBECONFIG=/, 180_000).catch((err: Error) => {
          throw new Error(`${err.message}\nstderr: ${c.stderr.text}`);
        }),
      )?.[1] ?? '';
    try {
      const a = await server('a', '127.0.0.1', ['--cluster-init']);
      const urlA = await apiUrlOf(a);
      assert.match(a.stdout.text, /etcd member a-\w+ at https:\/\/127\.0\.0\.1:\d+/);
      const token = (await readFile(join(dir, 'a', 'token'), 'utf8')).trim();
      assert.match(token, /^K10[0-9a-f]{64}::server:[0-9a-f]{32}$/);

      // Never unauthenticated: a wrong secret (the right CA hash) is refused before any file.
      const wrong = await cli(dir, [
        'server',
        ...['--data-dir', join(dir, 'x'), '--port', '0', '--s3-port', '0'],
        ...['--join', urlA, '--token', token.replace(/server:.*/, `server:${'0'.repeat(32)}`)],
      ]);
      assert.notEqual(wrong.code, 0);
      assert.match(wrong.stderr, /refused the server token \(401\)/);

      // b joins through a, c through b: any server of the cluster admits.
      const b = await server('b', '127.0.0.2', ['--join', urlA, '--token', token]);
      const urlB = await apiUrlOf(b);
      const c = await server('c', '127.0.0.3', ['--join', urlB, '--token', token]);
      await apiUrlOf(c);
      const kubeconfig = (n: string): string => join(dir, n, 'kubeconfig');

      const created = await runKubectl(dir, kubeconfig('c'), [
        'create',
        'configmap',
        'shared',
        '--from-literal=k=v',
      ]);
      assert.equal(created.code, 0, created.stderr);
      for (const n of ['a', 'b', 'c']) {
        const seen = await runKubectl(dir, kubeconfig(n), [
          'get',
          'configmap',
          'shared',
          '-o',
          'jsonpath={.data.k}',
        ]);
        assert.equal(seen.stdout, 'v', `${n}: ${seen.stderr}`);
      }

      // Services created at once on all three servers: every ClusterIP and NodePort is distinct.
      for (const n of ['a', 'b', 'c']) clients.push(KubeClient.fromKubeconfig(kubeconfig(n)));
      const services = await Promise.all(
        Array.from({ length: 21 }, (_, i) =>
          (clients[i % 3] as KubeClient).create('services', {
            apiVersion: 'v1',
            kind: 'Service',
            metadata: { name: `s${i}`, namespace: 'default' },
            spec: { type: 'NodePort', selector: { app: 'x' }, ports: [{ port: 80 }] },
          }),
        ),
      );
      const ips = services.map((s) => (s['spec'] as { clusterIP: string }).clusterIP);
      const ports = services.map(
        (s) => (s['spec'] as { ports: Array<{ nodePort: number }> }).ports[0]?.nodePort,
      );
      assert.equal(new Set(ips).size, ips.length, `ClusterIPs handed out twice: ${ips.join(' ')}`);
      assert.equal(new Set(ports).size, ports.length, `NodePorts handed out twice: ${ports.join(' ')}`);
      // Nodes registered at once through all three get distinct pod ranges (lowest first on each).
      const nodes = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          (clients[i % 3] as KubeClient).create('nodes', {
            apiVersion: 'v1',
            kind: 'Node',
            metadata: { name: `n${i}` },
          }),
        ),
      );
      const cidrs = nodes.map((n) => (n['spec'] as { podCIDR: string }).podCIDR);
      assert.equal(new Set(cidrs).size, cidrs.length, `pod ranges handed out twice: ${cidrs.join(' ')}`);
      // A deleted Service's address can be asked for at once on another server.
      await (clients[0] as KubeClient).delete('services', 's0', { namespace: 'default' });
      const again = await (clients[1] as KubeClient).create('services', {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'again', namespace: 'default' },
        spec: { clusterIP: ips[0], selector: { app: 'x' }, ports: [{ port: 80 }] },
      });
      assert.equal((again['spec'] as { clusterIP: string }).clusterIP, ips[0]);
      // ... and one another Service holds is refused there.
      const taken = await runKubectl(dir, kubeconfig('c'), [
        'create',
        'service',
        'clusterip',
        'dup',
        '--tcp=80',
        `--clusterip=${ips[1] ?? ''}`,
      ]);
      assert.notEqual(taken.code, 0);
      assert.match(taken.stderr, /already allocated/);

      // Three healthy members over TLS; a plaintext client gets nothing from them.
      const status = await cli(dir, [
        'cluster',
        'status',
        '--data-dir',
        join(dir, 'a'),
        '--kubeconfig',
        kubeconfig('a'),
      ]);
      assert.equal(status.code, 0, status.stderr);
      const members = status.stdout.split('ETCD MEMBERS')[1] ?? '';
      assert.equal(members.match(/ healthy /g)?.length, 3, status.stdout);
      assert.equal(members.match(/https:\/\/127\.0\.0\.[123]:\d+/g)?.length, 6, status.stdout);
      const clientPort = /etcd member a-\w+ at https:\/\/127\.0\.0\.1:(\d+)/.exec(a.stdout.text)?.[1] ?? '';
      const plain = await cli(dir, [
        'cluster',
        'status',
        '--etcd',
        `etcd://127.0.0.1:${clientPort}`,
        '--kubeconfig',
        kubeconfig('a'),
      ]);
      assert.notEqual(plain.code, 0, plain.stdout);

      // A running server's member can neither leave nor be removed from another host; once
      // stopped, it is removed from a's directory (etcdctl member remove), and leave then finds it gone.
      const running = await cli(dir, ['cluster', 'leave', '--data-dir', join(dir, 'c')]);
      assert.notEqual(running.code, 0);
      assert.match(running.stderr, /stop its server first/);
      const live = await cli(dir, ['cluster', 'remove-member', 'c', '--data-dir', join(dir, 'a')]);
      assert.notEqual(live.code, 0);
      assert.match(live.stderr, /member c-\w+ still answers at 127\.0\.0\.3:\d+: stop its server first/);
      c.process.kill('SIGTERM');
      assert.equal((await c.done).code, 0);
      const removed = await cli(dir, ['cluster', 'remove-member', 'c', '--data-dir', join(dir, 'a')]);
      assert.equal(removed.code, 0, removed.stderr);
      assert.match(removed.stdout, /removed etcd member c-\w+/);
      const left = await cli(dir, ['cluster', 'leave', '--data-dir', join(dir, 'c')]);
      assert.notEqual(left.code, 0);
      assert.match(left.stderr, /has no member c-\w+ \(left already\?\)/);
      const after = await cli(dir, [
        'cluster',
        'status',
        '--data-dir',
        join(dir, 'b'),
        '--kubeconfig',
        kubeconfig('b'),
      ]);
      assert.equal(after.code, 0, after.stderr);
      const remaining = after.stdout.split('ETCD MEMBERS')[1] ?? '';
      assert.equal(remaining.match(/ healthy /g)?.length, 2, after.stdout);
      assert.doesNotMatch(remaining, /\bc-\w+/);
      // The two left still serve, writes included.
      const write = await runKubectl(dir, kubeconfig('b'), [
        'create',
        'configmap',
        'after',
        '--from-literal=k=v',
      ]);
      assert.equal(write.code, 0, write.stderr);
    } finally {
      for (const client of clients) await client.close();
      for (const c of children) c.process.kill('SIGTERM');
      await Promise.all(children.map((c) => c.done));
      await rm(dir, { recursive: true, force: true });
    }
  },
);
