import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { PodNetwork } from '../network/index.js';
import { netnsList } from '../network/pod-network/index.js';
import { eventually, execInNetns, nodeInNetns } from '../network/testing/index.js';
import { startNetnsCloud, type NetnsCloud } from './testing/netns-cloud.js';
import { NetnsProcessRuntime } from './testing/netns-process-runtime.js';

// A whole cloud with one agent whose runtime needs sandboxes: pods get their own address on a
// bridge of the test's own, their Service's endpoints are podIP:containerPort, and a process in
// another pod's namespace finds the Service by DNS name and reaches it through its ClusterIP.
const missing = PodNetwork.unavailable();
if (missing !== undefined && process.env.CI === 'true') throw new Error(`${missing}; required under CI`);
if (missing !== undefined) console.log(`# skipping the agent pod network test: ${missing}`);
const skip = missing !== undefined;

const clusterCidr = `10.${200 + (process.pid % 50)}.0.0/16`;
let net: NetnsCloud | undefined;
after(async () => net?.close());

const WEB = `require('http').createServer((q, s) => s.end('hello from ' + process.env.HOSTNAME + '\\n')).listen(8080)`;

test('pods get their own address, endpoints, DNS names and Service addresses', { skip }, async () => {
  net = await startNetnsCloud({
    tag: 'pa',
    clusterCidr,
    serviceCidr: `127.97.${process.pid % 250}.0/24`,
    agent: ({ agentDir }) => ({
      runtime: new NetnsProcessRuntime({ dataDir: join(agentDir, 'runtime'), cgroups: false }),
      podUsers: false,
    }),
  });
  const { admin, names } = net;
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
    const podCidr = (await admin.get('nodes', net.nodeName)) as { spec?: { podCIDR?: string } };
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
    const resolv = await readFile(join(net.agentDir, 'pod-network', 'sandboxes', uid, 'resolv.conf'), 'utf8');
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
  }
});
