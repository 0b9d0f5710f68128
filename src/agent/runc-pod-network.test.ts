import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { KubeClient } from '../client/index.js';
import { startCloud, type RunningCloud, type UpComponent } from '../cli/up.js';
import { nodeUser } from '../identity/index.js';
import { buildBusyboxImage } from '../images/testing.js';
import { PodNetwork } from '../network/index.js';
import { ip, netnsList } from '../network/pod-network/index.js';
import { runNft } from '../network/nftables/nftables-data-plane.js';
import { eventually } from '../network/testing/index.js';
import { runcMissing } from '../runtime/testing.js';
import { Agent } from './agent.js';
import { KUBECTL, kubectlSkip, type KubectlRun } from './agent-testing.js';

// runc pods on the pod network, as a user runs them: an agent whose default runtime is runc, a
// busybox image built from Debian's busybox-static, a Deployment of `busybox httpd` behind a
// Service, Ready by an httpGet probe to each podIP, reached from the host through the ClusterIP
// and from another runc pod by its DNS name, rolled to another tag of the image and back.
const missing =
  runcMissing() ?? PodNetwork.unavailable() ?? (kubectlSkip === false ? undefined : kubectlSkip);
if (missing !== undefined && process.env.CI === 'true') throw new Error(`${missing}; required under CI`);
if (missing !== undefined) console.log(`# skipping the runc pod network test: ${missing}`);
const skip = missing !== undefined;

const tag = `rn${process.pid % 100000}`;
const names = { bridge: `st${tag}`, netnsPrefix: `st${tag}-`, table: `stratus-test-${tag}` };
const clusterCidr = `10.${150 + (process.pid % 40)}.0.0/16`;
const serviceCidr = `127.96.${process.pid % 250}.0/24`;
let dir: string | undefined;
let cloud: RunningCloud | undefined;

after(async () => {
  await cloud?.close().catch(() => undefined);
  if (!skip) {
    for (const ns of await netnsList()) if (ns.startsWith(names.netnsPrefix)) await ip(['netns', 'del', ns]);
    await ip(['link', 'del', names.bridge]).catch(() => undefined);
    await runNft('nft', ['delete', 'table', 'ip', names.table]).catch(() => undefined);
  }
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

/** The agent of `stratus up --default-runtime runc`, with the test's own bridge, range and table. */
function runcAgent(imagesDir: string): UpComponent {
  return {
    name: 'agent',
    async start({ server, dataDir }) {
      const nodeName = `node-${tag}`;
      const client = new KubeClient({
        server: server.httpUrl,
        token: server.loopbackToken(nodeUser(nodeName)),
        namespace: 'default',
        contextName: 'agent',
      });
      const agent = await Agent.start({
        client,
        dataDir: join(dataDir, 'agent'),
        imagesDir,
        nodeName,
        defaultRuntime: 'runc',
        probeTickMs: 100,
        podNetwork: { names, dnsPort: 53, dnsUpstreams: [], serviceCidrs: [serviceCidr], forwarding: false },
        serviceProxy: { l7: 'node', threads: 1 },
        onError: () => undefined,
      });
      return {
        lines: [],
        close: async () => {
          await agent.stopAllPods();
          await agent.network?.network.destroy();
          await agent.close();
          await client.close();
        },
      };
    },
  };
}

/** Runs `argv` (kubectl by default) against the cloud with its own HOME, 60 s at most. */
function kubectl(args: string[], argv: string[] = [KUBECTL, ...args]): Promise<KubectlRun> {
  return new Promise((resolve, reject) => {
    const [file = KUBECTL, ...rest] = argv;
    const child = spawn(file, rest, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env['PATH'] ?? '/usr/bin:/bin',
        HOME: join(dir ?? '/tmp', 'home'),
        KUBECONFIG: cloud?.server.kubeconfigPath ?? '',
      },
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const HTTPD =
  'mkdir -p /www && echo "hello from $(hostname)" > /www/index.html && exec httpd -f -p 8080 -h /www';
const CLIENT =
  'echo "api=$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT"; ' +
  'until wget -qO- http://web.default.svc.cluster.local:8080/; do sleep 1; done; exec sleep 3600';

test(
  'a runc Deployment on the pod network: Ready by podIP, reached by ClusterIP and by DNS name',
  { skip, timeout: 280_000 },
  async () => {
    dir = await mkdtemp(join(tmpdir(), 'stratus-runcnet-'));
    const imagesDir = join(dir, 'images');
    assert.ok(
      await buildBusyboxImage(imagesDir, {
        contextDir: join(dir, 'busybox'),
        tags: ['busybox:1.35', 'busybox:1.35-b'],
      }),
      'busybox-static (/bin/busybox) is installed',
    );
    cloud = await startCloud(
      {
        dataDir: join(dir, 'cloud'),
        apiPort: 0,
        controllers: true,
        clusterCidr,
        serviceClusterIPRange: serviceCidr,
      },
      [runcAgent(imagesDir)],
    );
    const admin = new KubeClient({
      server: cloud.server.httpUrl,
      token: cloud.server.adminToken,
      namespace: 'default',
      contextName: 'test',
    });
    const prefix = clusterCidr.replace('.0.0/16', '.0.');
    try {
      await admin.create('services', {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'web', namespace: 'default' },
        spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 8080, targetPort: 'http' }] },
      });
      await admin.create('deployments', {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web', namespace: 'default' },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: {
              terminationGracePeriodSeconds: 2,
              containers: [
                {
                  name: 'httpd',
                  image: 'busybox:1.35',
                  command: ['sh', '-c', HTTPD],
                  ports: [{ name: 'http', containerPort: 8080 }],
                  readinessProbe: { httpGet: { path: '/', port: 'http' }, periodSeconds: 1 },
                },
              ],
            },
          },
        },
      });
      const ready = await eventually(
        'both replicas are Ready with their own addresses',
        async () => {
          const pods = (await admin.list('pods', { labelSelector: 'app=web' })).items as Pod[];
          const ok = pods.filter(
            (p) =>
              p.status?.podIP?.startsWith(prefix) === true &&
              p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true,
          );
          return ok.length === 2 ? ok : undefined;
        },
        { timeoutMs: 60_000 },
      );
      assert.notEqual(ready[0]?.status?.podIP, ready[1]?.status?.podIP);
      const uidsBefore = ready.map((p) => p.metadata?.uid ?? '');
      assert.match(ready[0]?.status?.containerStatuses?.[0]?.containerID ?? '', /^runc:\/\//);

      // From the host, through the Service's ClusterIP: both replicas answer, by their hostnames.
      const svc = (await admin.get('services', 'web')) as unknown as { spec: { clusterIP: string } };
      const seen = new Set<string>();
      await eventually('both replicas answer through the ClusterIP', async () => {
        const r = await fetch(`http://${svc.spec.clusterIP}:8080/`, {
          signal: AbortSignal.timeout(2000),
        }).catch(() => undefined);
        if (r?.ok === true) seen.add((await r.text()).trim());
        return seen.size === 2 ? true : undefined;
      });
      assert.deepEqual([...seen].sort(), ready.map((p) => `hello from ${p.metadata?.name ?? ''}`).sort());

      // From another runc pod, by the Service's DNS name through the cluster DNS.
      await admin.create('pods', {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'client', namespace: 'default' },
        spec: {
          terminationGracePeriodSeconds: 1,
          containers: [{ name: 'main', image: 'busybox:1.35', command: ['sh', '-c', CLIENT] }],
        },
      });
      const log = await eventually(
        'the client fetched the page by name',
        async () => {
          const r = await admin
            .request('GET', '/api/v1/namespaces/default/pods/client/log')
            .catch(() => undefined);
          const text = typeof r?.body === 'string' ? r.body : '';
          return /hello from web-/.test(text) ? text : undefined;
        },
        { timeoutMs: 60_000 },
      );
      const kubernetes = (await admin.get('services', 'kubernetes')) as unknown as {
        spec: { clusterIP: string };
      };
      assert.match(log, new RegExp(`^api=${kubernetes.spec.clusterIP.replaceAll('.', '\\.')}:443$`, 'm'));

      // kubectl exec into runc pods: by DNS name from the client, non-interactive.
      const byName = await kubectl(['exec', 'client', '--', 'wget', '-qO-', 'http://web:8080/']);
      assert.equal(byName.code, 0, byName.stderr);
      assert.match(byName.stdout, /^hello from web-/);
      // exec -it: a terminal in the container, resized to kubectl's (kubectl itself under script,
      // which gives it one); the remote command waits until the size arrives, then reports.
      const web0 = ready[0]?.metadata?.name ?? '';
      const remote = `i=0; while [ "$(stty size)" != "33 91" ] && [ $i -lt 200 ]; do i=$((i+1)); sleep 0.05; done; stty size; tty; hostname; exit 4`;
      const inner = `stty cols 91 rows 33; exec ${KUBECTL} exec -it ${web0} -- sh -c '${remote}'`;
      const tty = await kubectl([], ['script', '-qfec', inner, '/dev/null']);
      assert.equal(tty.code, 4, tty.stdout + tty.stderr);
      assert.match(tty.stdout, new RegExp(`33 91\\r\\n/dev/pts/\\d+\\r\\n${web0}\\r\\n`));
      // kubectl cp in and out: tar over exec, busybox's tar in the container.
      await writeFile(join(dir, 'in.txt'), 'copied through runc\n');
      const put = await kubectl(['cp', join(dir, 'in.txt'), `${web0}:/tmp/in.txt`]);
      assert.equal(put.code, 0, put.stderr);
      const get = await kubectl(['cp', `${web0}:/tmp/in.txt`, join(dir, 'out.txt')]);
      assert.equal(get.code, 0, get.stderr);
      assert.equal(await readFile(join(dir, 'out.txt'), 'utf8'), 'copied through runc\n');

      // The workloads acceptance on runc: a rolling update to another tag of the image, its
      // history and undo, through kubectl as on the process runtime (src/cli/up-workloads.test.ts).
      const rollout = async (): Promise<void> => {
        const r = await kubectl(['rollout', 'status', 'deploy/web', '--timeout=120s']);
        assert.equal(r.code, 0, r.stderr);
      };
      const set = await kubectl(['set', 'image', 'deploy/web', 'httpd=busybox:1.35-b']);
      assert.equal(set.code, 0, set.stderr);
      await rollout();
      assert.match((await kubectl(['rollout', 'history', 'deploy/web'])).stdout, /^2\s/m);
      assert.equal((await kubectl(['rollout', 'undo', 'deploy/web'])).code, 0);
      await rollout();
      const image = await kubectl([
        'get',
        'deploy',
        'web',
        '-o',
        'jsonpath={.spec.template.spec.containers[0].image}',
      ]);
      assert.equal(image.stdout, 'busybox:1.35');
      const rolled = (await admin.list('pods', { labelSelector: 'app=web' })).items as Pod[];
      assert.ok(
        rolled.every((p) => !uidsBefore.includes(p.metadata?.uid ?? '')),
        'the rollout replaced every pod',
      );

      // hostPort has no portmap on the pod network: refused with a reason, not silently unreachable
      // (in a namespace whose Pod Security level admits host ports).
      await admin.create('namespaces', {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: 'hp', labels: { 'pod-security.kubernetes.io/enforce': 'privileged' } },
      });
      // Its ServiceAccount comes from the controller shortly after the namespace.
      await eventually('the hostPort pod is admitted', () =>
        admin.create('pods', {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'hostport', namespace: 'hp' },
          spec: {
            containers: [
              {
                name: 'main',
                image: 'busybox:1.35',
                command: ['sleep', '3600'],
                ports: [{ containerPort: 8080, hostPort: 18080 }],
              },
            ],
          },
        }),
      );
      const refused = await eventually('hostPort is refused', async () => {
        const p = (await admin.get('pods', 'hostport', { namespace: 'hp' })) as Pod;
        const w = p.status?.containerStatuses?.[0]?.state?.waiting;
        return w?.reason === 'CreateContainerConfigError' ? w : undefined;
      });
      assert.match(refused.message ?? '', /hostPort 18080.*use a Service/);

      // Deleting the Deployment's pods takes their sandboxes.
      const current = (await admin.list('pods', { labelSelector: 'app=web' })).items as Pod[];
      const uids = current.map((p) => p.metadata?.uid ?? '');
      await admin.delete('deployments', 'web');
      for (const p of current) await admin.delete('pods', p.metadata?.name ?? '').catch(() => undefined);
      await eventually('the sandboxes are gone', async () => {
        const left = await netnsList();
        return uids.every((u) => !left.includes(`${names.netnsPrefix}${u}`)) ? true : undefined;
      });
    } catch (err) {
      const pods = (await admin.list('pods').catch(() => ({ items: [] }))).items as Pod[];
      for (const p of pods) console.log(`# ${p.metadata?.name ?? ''}: ${JSON.stringify(p.status)}`);
      throw err;
    } finally {
      // Pods go before the cloud, whatever failed: the agent stops their containers and sandboxes.
      await admin.delete('deployments', 'web').catch(() => undefined);
      const all = { allNamespaces: true };
      for (const p of (await admin.list('pods', all).catch(() => ({ items: [] }))).items) {
        const ns = { namespace: p.metadata?.namespace ?? 'default' };
        await admin.delete('pods', p.metadata?.name ?? '', ns).catch(() => undefined);
      }
      await eventually('every pod is gone', async () => (await admin.list('pods', all)).items.length === 0, {
        timeoutMs: 30_000,
      }).catch(() => undefined);
      await admin.close();
    }
  },
);
