import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { KubeClient } from '../client/index.js';
import { startCloud, type RunningCloud, type UpComponent } from '../cli/up.js';
import { nodeUser } from '../identity/index.js';
import { PodNetwork } from '../network/index.js';
import { ip, netnsList } from '../network/pod-network/index.js';
import { runNft } from '../network/nftables/nftables-data-plane.js';
import { eventually, execInNetns, nodeInNetns } from '../network/testing/index.js';
import { Agent } from './agent.js';
import { NetnsProcessRuntime } from './testing/netns-process-runtime.js';

// A whole cloud with one agent whose runtime needs sandboxes: pods get their own address on a
// bridge of the test's own, their Service's endpoints are podIP:containerPort, and a process in
// another pod's namespace finds the Service by DNS name and reaches it through its ClusterIP.
const missing = PodNetwork.unavailable();
if (missing !== undefined && process.env.CI === 'true') throw new Error(`${missing}; required under CI`);
if (missing !== undefined) console.log(`# skipping the agent pod network test: ${missing}`);
const skip = missing !== undefined;

const tag = `pa${process.pid % 100000}`;
const names = { bridge: `st${tag}`, netnsPrefix: `st${tag}-`, table: `stratus-test-${tag}` };
const clusterCidr = `10.${200 + (process.pid % 50)}.0.0/16`;
const serviceCidr = `127.97.${process.pid % 250}.0/24`;
let dir: string | undefined;
let cloud: RunningCloud | undefined;
let agent: Agent | undefined;

after(async () => {
  await cloud?.close().catch(() => undefined);
  if (!skip) {
    for (const ns of await netnsList()) if (ns.startsWith(names.netnsPrefix)) await ip(['netns', 'del', ns]);
    await ip(['link', 'del', names.bridge]).catch(() => undefined);
    await runNft('nft', ['delete', 'table', 'ip', names.table]).catch(() => undefined);
  }
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

const agentComponent: UpComponent = {
  name: 'agent',
  async start({ server, dataDir }) {
    const nodeName = `node-${tag}`;
    const client = new KubeClient({
      server: server.httpUrl,
      token: server.loopbackToken(nodeUser(nodeName)),
      namespace: 'default',
      contextName: 'agent',
    });
    const agentDir = join(dataDir, 'agent');
    agent = await Agent.start({
      client,
      dataDir: agentDir,
      nodeName,
      runtime: new NetnsProcessRuntime({ dataDir: join(agentDir, 'runtime'), cgroups: false }),
      podUsers: false,
      podNetwork: { names, dnsPort: 53, dnsUpstreams: [], serviceCidrs: [serviceCidr], forwarding: false },
      serviceProxy: { l7: 'node', threads: 1 },
    });
    const a = agent;
    return {
      lines: [],
      close: async () => {
        await a.stopAllPods();
        await a.network?.network.destroy();
        await a.close();
        await client.close();
      },
    };
  },
};

const WEB = `require('http').createServer((q, s) => s.end('hello from ' + process.env.HOSTNAME + '\\n')).listen(8080)`;

test('pods get their own address, endpoints, DNS names and Service addresses', { skip }, async () => {
  dir = await mkdtemp(join(tmpdir(), 'stratus-podnet-agent-'));
  cloud = await startCloud(
    { dataDir: dir, apiPort: 0, controllers: true, clusterCidr, serviceClusterIPRange: serviceCidr },
    [agentComponent],
  );
  const admin = new KubeClient({
    server: cloud.server.httpUrl,
    token: cloud.server.adminToken,
    namespace: 'default',
    contextName: 'test',
  });
  try {
    await admin.create('services', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'default' },
      spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
    });
    const pod = (name: string, labels: Record<string, string>, command: string[], ports: object[] = []) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'default', labels },
      spec: { containers: [{ name: 'main', image: 'none', command, ports }] },
    });
    await admin.create(
      'pods',
      pod('web', { app: 'web' }, [process.execPath, '-e', WEB], [{ name: 'http', containerPort: 8080 }]),
    );
    await admin.create(
      'pods',
      pod('client', {}, ['sh', '-c', 'echo "$WEB_SERVICE_HOST:$WEB_SERVICE_PORT"; exec sleep 3600']),
    );
    const podCidr = (await admin.get('nodes', `node-${tag}`)) as { spec?: { podCIDR?: string } };
    assert.equal(podCidr.spec?.podCIDR, clusterCidr.replace('.0.0/16', '.0.0/24'));
    const prefix = clusterCidr.replace('.0.0/16', '.0.');
    const running = async (name: string) => {
      const p = (await admin.get('pods', name)) as Pod;
      return p.status?.phase === 'Running' && p.status.podIP?.startsWith(prefix) ? p : undefined;
    };
    const web = await eventually('web runs with its own address', () => running('web'));
    const client = await eventually('client runs with its own address', () => running('client'));
    assert.notEqual(web.status?.podIP, client.status?.podIP);
    assert.equal(web.metadata?.annotations?.['stratus.dev/host-ports'], undefined, 'no host ports');

    // The Service's endpoints are the pod's address and container port.
    await eventually('the slice names podIP:8080', async () => {
      const slices = await admin.list('endpointslices', { labelSelector: 'kubernetes.io/service-name=web' });
      const s = slices.items[0] as
        { endpoints?: Array<{ addresses: string[] }>; ports?: Array<{ port: number }> } | undefined;
      return s?.endpoints?.[0]?.addresses[0] === web.status?.podIP && s?.ports?.[0]?.port === 8080;
    });

    // The client's environment names the Service.
    const svc = (await admin.get('services', 'web')) as unknown as { spec: { clusterIP: string } };
    const log = await eventually('the client logged its env', async () => {
      const r = await admin.request('GET', '/api/v1/namespaces/default/pods/client/log');
      return String(r.body).trim() || undefined;
    });
    assert.equal(log, `${svc.spec.clusterIP}:80`);

    // From the client's namespace: the name through the cluster DNS (the resolv.conf the pod
    // gets), then the Service's address through the node's proxy.
    const uid = client.metadata?.uid ?? '';
    const resolv = await readFile(join(dir, 'agent', 'pod-network', 'sandboxes', uid, 'resolv.conf'), 'utf8');
    const nameserver = /^nameserver (\S+)$/m.exec(resolv)?.[1] ?? '';
    assert.equal(nameserver, clusterCidr.replace('.0.0/16', '.0.1'));
    const script = `const dns = require('dns').promises; const r = new dns.Resolver(); r.setServers(['${nameserver}']);
      r.resolve4('web.default.svc.cluster.local').then((a) => require('http').get('http://' + a[0] + '/', (res) => {
        let d = ''; res.on('data', (c) => (d += c)); res.on('end', () => console.log(a[0] + ' ' + d.trim()));
      }).on('error', (e) => { console.error(e.message); process.exit(1); }), (e) => { console.error(e.message); process.exit(1); });`;
    const out = await eventually('the client reaches web by name', () =>
      nodeInNetns(`${names.netnsPrefix}${uid}`, script).catch(() => undefined),
    );
    assert.equal(out.trim(), `${svc.spec.clusterIP} hello from web`);
    // A resolver that is not Node's (Debian's busybox-static), over UDP from the pod.
    const lookup = await execInNetns(`${names.netnsPrefix}${uid}`, [
      'busybox',
      'nslookup',
      '-type=a',
      'web.default.svc.cluster.local',
      nameserver,
    ]);
    assert.match(lookup, new RegExp(`Address: ${svc.spec.clusterIP.replaceAll('.', '\\.')}$`, 'm'), lookup);

    // Deleting the pod removes its sandbox.
    const webUid = web.metadata?.uid ?? '';
    await admin.delete('pods', 'web');
    await eventually(
      'the sandbox is gone',
      async () => !(await netnsList()).includes(`${names.netnsPrefix}${webUid}`),
    );
  } catch (err) {
    for (const n of ['web', 'client']) {
      const p = (await admin.get('pods', n).catch((e: Error) => ({ status: e.message }))) as Pod | undefined;
      console.log(`# ${n}: ${JSON.stringify(p?.status)} ${JSON.stringify(p?.spec?.nodeName)}`);
    }
    throw err;
  } finally {
    await admin.close();
  }
});
