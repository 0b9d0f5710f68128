import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { prepareBusybox } from '../images/testing.js';
import { PodNetwork } from '../network/index.js';
import { netnsList } from '../network/pod-network/index.js';
import { eventually } from '../network/testing/index.js';
import { runcMissing } from '../runtime/testing.js';
import { KUBECTL, kubectl, kubectlSkip } from './agent-testing.js';
import { deploymentAcceptance } from './testing/deployment-acceptance.js';
import { startNetnsCloud, type NetnsCloud } from './testing/netns-cloud.js';

// runc pods on the pod network, as a user runs them (issue 11's first Done-when line): the cloud of
// `stratus up --default-runtime runc`, a busybox image built from Debian's busybox-static, the
// example Deployment of 3 `busybox httpd` replicas behind a Service (examples/runc/), Ready by an
// httpGet probe to each podIP, reached from the host through the ClusterIP and from another runc
// pod by its DNS name; kubectl exec -it, cp in and out, port-forward; rolled to another tag of
// the image and back, and a deleted pod replaced (the Deployment acceptance of up-workloads).
const missing =
  runcMissing() ?? PodNetwork.unavailable() ?? (kubectlSkip === false ? undefined : kubectlSkip);
if (missing !== undefined && process.env.CI === 'true') throw new Error(`${missing}; required under CI`);
if (missing !== undefined) console.log(`# skipping the runc pod network test: ${missing}`);
const skip = missing !== undefined;

const clusterCidr = `10.${150 + (process.pid % 40)}.0.0/16`;
let net: NetnsCloud | undefined;
after(async () => net?.close());

const execFileAsync = promisify(execFile);
/** The stratus command (`bin/stratus`, the bundled CLI `make build` writes). */
const STRATUS = fileURLToPath(new URL('../../../bin/stratus', import.meta.url));
const BUSYBOX_WEB = fileURLToPath(new URL('../../../examples/runc/busybox-web.yaml', import.meta.url));
const CLIENT =
  'echo "api=$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT"; ' +
  'until wget -qO- http://bb-web.default.svc.cluster.local:8080/; do sleep 1; done; exec sleep 3600';

test(
  'the runc example Deployment on the pod network: rolled and healed, reached by ClusterIP, DNS name, exec -it, cp and port-forward',
  { skip, timeout: 280_000 },
  async () => {
    net = await startNetnsCloud({
      tag: 'rn',
      clusterCidr,
      serviceCidr: `127.96.${process.pid % 250}.0/24`,
      // The image as `make busybox-image` builds it: the example's context, `stratus image build`.
      prepare: async (dir) => {
        assert.ok(prepareBusybox(join(dir, 'busybox')), 'busybox-static (/bin/busybox) is installed');
        const built = await execFileAsync(
          STRATUS,
          ['image', 'build', join(dir, 'busybox'), '-q', '--data-dir', dir].concat([
            '-t',
            'busybox:1.35',
            '-t',
            'busybox:1.35-b',
          ]),
          {
            env: { ...process.env, SOURCE_DATE_EPOCH: '0' },
            timeout: 120_000,
          },
        );
        assert.match(built.stdout, /^sha256:[0-9a-f]{64}\n$/);
      },
      // The agent of `stratus up --default-runtime runc`.
      agent: ({ dir }) => ({
        imagesDir: join(dir, 'images'),
        defaultRuntime: 'runc',
        probeTickMs: 100,
        onError: () => undefined,
      }),
    });
    const { admin, names, dir } = net;
    const k = { dir, server: net.cloud.server };
    const prefix = clusterCidr.replace('.0.0/16', '.0.');
    try {
      // Issue 3's Deployment acceptance, the body src/cli/up-workloads.test.ts runs on process:
      // the example's 3 busybox httpd replicas and Service applied as the README's tour does, each
      // pod reached from the host at its own address; rolled to another tag and back; healed.
      const run = async (...args: string[]): Promise<string> => {
        const r = await kubectl(k, args);
        if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
        return r.stdout;
      };
      await deploymentAcceptance({
        kubectl: run,
        manifest: BUSYBOX_WEB,
        deployment: 'bb-web',
        container: 'httpd',
        images: ['busybox:1.35', 'busybox:1.35-b'],
        reach: async (pod) =>
          (
            await fetch(`http://${pod.status?.podIP ?? ''}:8080/`, { signal: AbortSignal.timeout(5000) })
          ).text(),
        greeting: (name) => `hello from ${name}\n`,
      });
      const ready = await eventually(
        'the 3 replicas are Ready with their own addresses',
        async () => {
          const pods = (await admin.list('pods', { labelSelector: 'app=bb-web' })).items as Pod[];
          const ok = pods.filter(
            (p) =>
              p.status?.podIP?.startsWith(prefix) === true &&
              p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true,
          );
          return ok.length === 3 ? ok : undefined;
        },
        { timeoutMs: 60_000 },
      );
      assert.equal(new Set(ready.map((p) => p.status?.podIP)).size, 3);
      assert.match(ready[0]?.status?.containerStatuses?.[0]?.containerID ?? '', /^runc:\/\//);

      // From the host, through the Service's ClusterIP: every replica answers, by its hostname.
      const svc = (await admin.get('services', 'bb-web')) as unknown as { spec: { clusterIP: string } };
      const seen = new Set<string>();
      await eventually('every replica answers through the ClusterIP', async () => {
        const r = await fetch(`http://${svc.spec.clusterIP}:8080/`, {
          signal: AbortSignal.timeout(2000),
        }).catch(() => undefined);
        if (r?.ok === true) seen.add((await r.text()).trim());
        return seen.size === 3 ? true : undefined;
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
          return /hello from bb-web-/.test(text) ? text : undefined;
        },
        { timeoutMs: 60_000 },
      );
      const kubernetes = (await admin.get('services', 'kubernetes')) as unknown as {
        spec: { clusterIP: string };
      };
      assert.match(log, new RegExp(`^api=${kubernetes.spec.clusterIP.replaceAll('.', '\\.')}:443$`, 'm'));

      // kubectl exec into runc pods: by DNS name from the client, non-interactive.
      const byName = await kubectl(k, ['exec', 'client', '--', 'wget', '-qO-', 'http://bb-web:8080/']);
      assert.equal(byName.code, 0, byName.stderr);
      assert.match(byName.stdout, /^hello from bb-web-/);
      // exec -it: a terminal in the container, resized to kubectl's (kubectl itself under script,
      // which gives it one); the remote command waits until the size arrives, then reports.
      const web0 = ready[0]?.metadata?.name ?? '';
      const remote = `i=0; while [ "$(stty size)" != "33 91" ] && [ $i -lt 200 ]; do i=$((i+1)); sleep 0.05; done; stty size; tty; hostname; exit 4`;
      const inner = `stty cols 91 rows 33; exec ${KUBECTL} exec -it ${web0} -- sh -c '${remote}'`;
      const tty = await kubectl(k, [], { argv: ['script', '-qfec', inner, '/dev/null'] });
      assert.equal(tty.code, 4, tty.stdout + tty.stderr);
      assert.match(tty.stdout, new RegExp(`33 91\\r\\n/dev/pts/\\d+\\r\\n${web0}\\r\\n`));
      // kubectl cp in and out: tar over exec, busybox's tar in the container.
      await writeFile(join(dir, 'in.txt'), 'copied through runc\n');
      const put = await kubectl(k, ['cp', join(dir, 'in.txt'), `${web0}:/tmp/in.txt`]);
      assert.equal(put.code, 0, put.stderr);
      const get = await kubectl(k, ['cp', `${web0}:/tmp/in.txt`, join(dir, 'out.txt')]);
      assert.equal(get.code, 0, get.stderr);
      assert.equal(await readFile(join(dir, 'out.txt'), 'utf8'), 'copied through runc\n');
      // kubectl port-forward to the Service: a local port reaches one of its pods' httpd.
      const pf = spawn(KUBECTL, ['port-forward', 'svc/bb-web', ':8080'], {
        env: { PATH: process.env.PATH ?? '', HOME: join(dir, 'home'), KUBECONFIG: k.server.kubeconfigPath },
      });
      try {
        let said = '';
        pf.stderr.on('data', (d: Buffer) => (said += d.toString()));
        const local = await new Promise<number>((resolve, reject) => {
          pf.stdout.on('data', (d: Buffer) => {
            said += d.toString();
            const m = /Forwarding from 127\.0\.0\.1:(\d+) -> 8080/.exec(said);
            if (m !== null) resolve(Number(m[1]));
          });
          pf.once('close', () => reject(new Error(`kubectl port-forward ended: ${said}`)));
        });
        const page = await fetch(`http://127.0.0.1:${local}/`).catch((e: Error) => {
          throw new Error(`${e.message}: ${String(e.cause)}; kubectl said: ${said}`);
        });
        assert.match(await page.text(), /^hello from bb-web-\S+\n$/);
      } finally {
        pf.kill();
      }
      // kubectl's SPDY fallback, and `kubectl run -i --rm`: stdin into a runc container (stdinOnce)
      // until kubectl's EOF, its output, then the pod deleted.
      const spdy = await kubectl(k, ['exec', web0, '--', 'hostname'], {
        env: { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false' },
      });
      assert.equal(spdy.stdout, `${web0}\n`, spdy.stderr);
      const once = await kubectl(
        k,
        ['run', 'once', '-i', '--rm', '--restart=Never', '--image=busybox:1.35', '--command', '--'].concat([
          'sh',
          '-c',
          'while read l; do echo "read $l"; done; echo "stdin closed"',
        ]),
        { input: 'one\ntwo\n' },
      );
      assert.equal(once.code, 0, once.stderr);
      assert.match(once.stdout, /read one\nread two\nstdin closed\n/);

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
      const current = (await admin.list('pods', { labelSelector: 'app=bb-web' })).items as Pod[];
      const uids = current.map((p) => p.metadata?.uid ?? '');
      await admin.delete('deployments', 'bb-web');
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
      await admin.delete('deployments', 'bb-web').catch(() => undefined);
      const all = { allNamespaces: true };
      for (const p of (await admin.list('pods', all).catch(() => ({ items: [] }))).items) {
        const ns = { namespace: p.metadata?.namespace ?? 'default' };
        await admin.delete('pods', p.metadata?.name ?? '', ns).catch(() => undefined);
      }
      await eventually('every pod is gone', async () => (await admin.list('pods', all)).items.length === 0, {
        timeoutMs: 30_000,
      }).catch(() => undefined);
    }
  },
);
