/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-explicit-any -- tests read kubectl JSON by path */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { cpSync, existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { kubectlSkipReason, runKubectl } from '../controllers/testing.js';
import { ProcessRuntime, RuncRuntime, type Runtime } from '../runtime/index.js';
import { buildBusyboxImage } from '../images/testing.js';
import { runtimeSkip, WORKLOAD_RUNTIMES } from '../agent/testing/index.js';
import { collect, MAIN_JS, OutputBuffer, type CliResult } from './cli-harness.js';

// Issue 3's multi-node acceptance with real node agents: a `stratus server` child process and
// three `stratus agent` child processes on one machine, each agent with its own data directory,
// driven with the real kubectl. The same body runs on each runtime (issue 11): on runc the pods
// name the `runc` RuntimeClass and serve with busybox's httpd from an image built from Debian's
// busybox-static, copied into each agent's image store.
const NODES = ['a1', 'a2', 'a3'];
/** The node of the agent that joins later with room for a pod that fits nowhere else. */
const BIG = 'big';

/** An HTTP server on $PORT that says which node runs it; prints the port it listens on. */
const NODE_ECHO = [
  'const port = Number(process.env.PORT);',
  "require('node:http').createServer((q, r) => r.end(process.env.APP + ' on ' + process.env.NODE_NAME + '\\n'))",
  "  .listen(port, '127.0.0.1', () => console.log('listening on ' + port));",
  "process.on('SIGTERM', () => process.exit(0));",
].join('\n');
/** The same server in a busybox container: httpd on 127.0.0.1:$PORT (the host's network). */
const BUSYBOX_ECHO =
  'mkdir -p /www && echo "$APP on $NODE_NAME" > /www/index.html && echo "listening on $PORT" && ' +
  'exec httpd -f -p "127.0.0.1:$PORT" -h /www';

interface Child {
  process: ChildProcessWithoutNullStreams;
  done: Promise<CliResult>;
  out: OutputBuffer;
}

for (const runtime of WORKLOAD_RUNTIMES) {
  const skipReason = kubectlSkipReason() ?? runtimeSkip(runtime, 'the multi-agent tests');
  const missing = skipReason !== undefined;
  const skip = skipReason ?? false;
  describe(`several agents on ${runtime}`, { skip }, () => {
    let dir: string;
    let kubeconfig: string;
    let server: Child | undefined;
    let agentArgs: string[] = [];
    const agents = new Map<string, Child>();

    function start(args: string[]): Child {
      const child = spawn(process.execPath, [MAIN_JS, ...args], {
        cwd: dir,
        env: { ...process.env, HOME: dir },
      });
      const out = new OutputBuffer(child.stdout);
      return { process: child, out, done: collect(child, { timeoutMs: 300_000 }) };
    }

    /** Stops the containers an agent left behind (an agent's stop leaves them for adoption). */
    async function removeContainers(node: string): Promise<number> {
      const left: Runtime =
        runtime === 'runc'
          ? new RuncRuntime({ dataDir: join(dir, node, 'runc') })
          : new ProcessRuntime({ dataDir: join(dir, node, 'runtime'), cgroups: false });
      try {
        const all = await left.list();
        for (const c of all) await left.remove(c.id);
        return all.length;
      } finally {
        await left.close();
      }
    }

    before(async () => {
      if (missing) return;
      dir = await mkdtemp(join(tmpdir(), 'stratus-multi-agent-'));
      server = start([
        'server',
        '--data-dir',
        join(dir, 'server'),
        '--port',
        '0',
        '--s3-port',
        '0',
        '--node-monitor-grace-period',
        '5s',
        '--pod-eviction-timeout',
        '1s',
        '--scheduler-strategy',
        'spread',
      ]);
      const text = await server.out.waitFor(/export KUBECONFIG=.*\n/, 60_000);
      kubeconfig = /^kubeconfig: (\S+)$/m.exec(text)?.[1] ?? '';
      // Agents join as a user would have them: with the command `stratus token create --join` prints
      // (a bootstrap token and the CA's pin over https), each then holding its own node credential.
      const joined = await start(['token', 'create', '--join', '--kubeconfig', kubeconfig]).done;
      assert.equal(joined.code, 0, joined.stderr);
      agentArgs = joined.stdout.trim().split(/\s+/).slice(2);
      assert.deepEqual([agentArgs[0], agentArgs[2], agentArgs[4]], ['--server', '--token', '--ca-cert-hash']);
      if (runtime === 'runc')
        assert.ok(
          await buildBusyboxImage(join(dir, 'images'), { contextDir: join(dir, 'busybox') }),
          'busybox-static (/bin/busybox) is installed',
        );
      for (const node of NODES) startAgent(node);
      for (const agent of agents.values()) await agent.out.waitFor(/registered/, 60_000);
    });

    /** `stratus agent` for node NAME with its own data directory, renewing its Lease every second. */
    function startAgent(node: string, extra: string[] = []): Child {
      // On runc each agent's image store (DATA_DIR/images) holds the busybox image.
      const images = join(dir, node, 'images');
      if (runtime === 'runc' && !existsSync(images)) cpSync(join(dir, 'images'), images, { recursive: true });
      const agent = start([
        'agent',
        ...agentArgs,
        '--data-dir',
        join(dir, node),
        '--node-name',
        node,
        '--node-status-update-frequency',
        '1s',
        ...extra,
      ]);
      agents.set(node, agent);
      return agent;
    }

    after(async () => {
      if (missing) return;
      for (const agent of agents.values()) agent.process.kill('SIGTERM');
      for (const agent of agents.values()) await agent.done;
      // An agent that never started has no runtime folder to clean.
      for (const node of [...NODES, BIG]) await removeContainers(node).catch(() => 0);
      server?.process.kill('SIGTERM');
      await server?.done;
      await rm(dir, { recursive: true, force: true });
    });

    async function kubectl(...args: string[]): Promise<string> {
      const run = await runKubectl(dir, kubeconfig, args);
      if (run.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${run.stderr}`);
      return run.stdout;
    }

    async function apply(name: string, objects: unknown[]): Promise<void> {
      const file = join(dir, `${name}.yaml`);
      await writeFile(file, objects.map((o) => stringify(o)).join('---\n'));
      await kubectl('apply', '-f', file);
    }

    /** A pod template running the echo server of the runtime with one port named http. */
    function echoTemplate(app: string, extra: { requests?: boolean } = {}): unknown {
      return {
        metadata: { labels: { app } },
        spec: {
          terminationGracePeriodSeconds: 2,
          ...(runtime === 'runc' ? { runtimeClassName: 'runc' } : {}),
          containers: [
            {
              name: app,
              ...(runtime === 'runc'
                ? { image: 'busybox:1.35', command: ['sh', '-c', BUSYBOX_ECHO] }
                : { image: 'node:20-alpine', command: [process.execPath, '-e', NODE_ECHO] }),
              env: [
                { name: 'APP', value: app },
                { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
              ],
              ports: [{ name: 'http', containerPort: 8080 }],
              ...(extra.requests ? { resources: { requests: { cpu: '100m', memory: '32Mi' } } } : {}),
            },
          ],
        },
      };
    }

    interface LivePod {
      name: string;
      node: string;
      running: boolean;
      ready: boolean;
      annotations: Record<string, string>;
    }

    async function livePods(app: string): Promise<LivePod[]> {
      const list = JSON.parse(await kubectl('get', 'pods', '-l', `app=${app}`, '-o', 'json')) as {
        items: any[];
      };
      return list.items
        .filter((p) => !p.metadata.deletionTimestamp)
        .map((p) => ({
          name: p.metadata.name as string,
          node: (p.spec.nodeName ?? '') as string,
          running: p.status?.phase === 'Running',
          ready: (p.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True'),
          annotations: (p.metadata.annotations ?? {}) as Record<string, string>,
        }));
    }

    /** Polls (at most 300 times, 200 ms apart) until `check` gives a value. */
    async function waitFor<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
      let last: unknown;
      for (let i = 0; i < 300; i++) {
        try {
          const v = await check();
          if (v !== undefined) return v;
        } catch (err) {
          last = err;
        }
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    }

    /** The pod's host port for `container/http`, read with kubectl as a user would. */
    async function hostPort(pod: string, key: string): Promise<number> {
      const text = await kubectl(
        'get',
        'pod',
        pod,
        '-o',
        'jsonpath={.metadata.annotations.stratus\\.dev/host-ports}',
      );
      const port = (JSON.parse(text) as Record<string, number>)[key];
      assert.ok(typeof port === 'number', `${pod} publishes ${key} in ${text}`);
      return port;
    }

    async function get(port: number): Promise<string> {
      return (await fetch(`http://127.0.0.1:${port}/`)).text();
    }

    test(
      'a DaemonSet runs one pod on each of 3 real agents, each answering on its published host port',
      { skip },
      async () => {
        await apply('echo', [
          {
            apiVersion: 'apps/v1',
            kind: 'DaemonSet',
            metadata: { name: 'echo' },
            spec: { selector: { matchLabels: { app: 'echo' } }, template: echoTemplate('echo') },
          },
        ]);
        const pods = await waitFor('3 Running echo pods with host ports', async () => {
          const live = await livePods('echo');
          const done =
            live.length === 3 && live.every((p) => p.ready && p.annotations['stratus.dev/host-ports']);
          return done ? live : undefined;
        });
        assert.deepEqual(pods.map((p) => p.node).sort(), NODES);
        const wide = await kubectl('get', 'pods', '-l', 'app=echo', '-o', 'wide');
        for (const node of NODES)
          assert.match(wide, new RegExp(`^echo-\\S+\\s+1/1\\s+Running\\s.*\\s${node}\\s`, 'm'));
        for (const pod of pods) {
          const port = await hostPort(pod.name, 'echo/http');
          // Ready without a probe means started: the program may not listen yet.
          assert.equal(await waitFor(`${pod.name} answering`, () => get(port)), `echo on ${pod.node}\n`);
          assert.match(await kubectl('logs', pod.name), new RegExp(`^listening on ${port}$`, 'm'));
        }
      },
    );

    test(
      "a Service over the DaemonSet answers on its ClusterIP with every agent's pod, whichever agent's proxy holds the address",
      { skip },
      async () => {
        await apply('echo-svc', [
          {
            apiVersion: 'v1',
            kind: 'Service',
            metadata: { name: 'echo' },
            spec: {
              selector: { app: 'echo' },
              ports: [{ port: 8080, targetPort: 'http', appProtocol: 'http' }],
            },
          },
        ]);
        const ip = await kubectl('get', 'svc', 'echo', '-o', 'jsonpath={.spec.clusterIP}');
        await waitFor('the pods of all three nodes behind the ClusterIP', async () => {
          const seen = new Set<string>();
          for (let i = 0; i < 9; i++) seen.add(await (await fetch(`http://${ip}:8080/`)).text());
          return seen.size === 3 ? seen : undefined;
        }).then((seen) =>
          assert.deepEqual(
            [...seen].sort(),
            NODES.map((n) => `echo on ${n}\n`),
          ),
        );
        await kubectl('delete', 'svc', 'echo');
      },
    );

    test(
      'an agent killed with SIGKILL and started again adopts its pod: same container, no restart, still answering',
      { skip },
      async () => {
        const node = 'a1';
        const pod = (await livePods('echo')).find((p) => p.node === node);
        assert.ok(pod !== undefined, `an echo pod on ${node}`);
        const container = async (): Promise<any> =>
          JSON.parse(await kubectl('get', 'pod', pod.name, '-o', 'json')).status.containerStatuses[0];
        const was = await container();
        const port = await hostPort(pod.name, 'echo/http');
        const renewed = async (): Promise<string> =>
          kubectl('get', 'lease', node, '-n', 'kube-node-lease', '-o', 'jsonpath={.spec.renewTime}');
        const agent = agents.get(node)!;
        agent.process.kill('SIGKILL');
        await agent.done;
        assert.equal(await get(port), `echo on ${node}\n`, 'the pod outlives its agent');
        const lastRenewal = await renewed();
        await startAgent(node).out.waitFor(/registered/, 60_000);
        // The new agent has run a while (its Lease renewed twice) before the pod is checked.
        const seen = new Set<string>();
        await waitFor('two Lease renewals by the new agent', async () => {
          const t = await renewed();
          if (t !== lastRenewal) seen.add(t);
          return seen.size >= 2 ? true : undefined;
        });
        const now = await container();
        assert.equal(now.containerID, was.containerID, 'the same container, adopted');
        assert.equal(now.restartCount, 0);
        assert.ok(now.state.running !== undefined);
        assert.equal(await get(port), `echo on ${node}\n`);
        // Its log, read through the new agent: one start only.
        const log = await kubectl('logs', pod.name);
        assert.equal([...log.matchAll(/listening on/g)].length, 1, log);
      },
    );

    test(
      'a pod asking for a hostPort gets that port, published and shown by stratus describe',
      { skip },
      async (t) => {
        const wanted = await new Promise<number>((resolve) => {
          const probe = createServer().listen(0, '127.0.0.1', () => {
            const addr = probe.address();
            probe.close(() => resolve(typeof addr === 'object' && addr !== null ? addr.port : 0));
          });
        });
        const template = echoTemplate('fixed') as { metadata: object; spec: { containers: any[] } };
        template.spec.containers[0].ports = [{ containerPort: 8080, hostPort: wanted }];
        const fixed = {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'fixed', ...template.metadata },
          spec: template.spec,
        };
        // Pod Security's baseline level, the default, refuses host ports, as Kubernetes does.
        await assert.rejects(
          apply('fixed', [fixed]),
          /pods "fixed" is forbidden: violates PodSecurity "baseline:latest": hostPort \(container "fixed" uses hostPort \d+\)/,
        );
        await kubectl('label', 'namespace', 'default', 'pod-security.kubernetes.io/enforce=privileged');
        t.after(() => kubectl('label', 'namespace', 'default', 'pod-security.kubernetes.io/enforce-'));
        await apply('fixed', [fixed]);
        const [pod] = await waitFor('pod fixed Ready', async () => {
          const live = await livePods('fixed');
          return live[0]?.ready && live[0].annotations['stratus.dev/host-ports'] ? live : undefined;
        });
        assert.equal(await hostPort('fixed', 'fixed/8080'), wanted);
        assert.equal(await waitFor('fixed answering', () => get(wanted)), `fixed on ${pod?.node ?? ''}\n`);
        const child = start(['describe', 'pod', 'fixed', '--kubeconfig', kubeconfig]);
        const described = await child.done;
        assert.equal(described.code, 0, described.stderr);
        assert.match(described.stdout, new RegExp(`Host Port:\\s+${wanted}/TCP`));
        await kubectl('delete', 'pod', 'fixed', '--wait=true');
      },
    );

    test(
      'stopping an agent: its node goes NotReady and its pods are recreated on the other agents',
      { skip },
      async (t) => {
        await apply('web', [
          {
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            metadata: { name: 'web' },
            spec: {
              replicas: 3,
              selector: { matchLabels: { app: 'web' } },
              template: echoTemplate('web', { requests: true }),
            },
          },
        ]);
        // A pod that tolerates the unreachable taint for ever: it stays on a3, marked not Ready.
        const pinned = echoTemplate('pinned') as { metadata: object; spec: Record<string, unknown> };
        pinned.spec['nodeName'] = 'a3';
        pinned.spec['tolerations'] = [
          { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
        ];
        await apply('pinned', [
          {
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: { name: 'pinned', ...pinned.metadata },
            spec: pinned.spec,
          },
        ]);
        await kubectl('rollout', 'status', 'deploy/web', '--timeout=60s');
        await waitFor('pod pinned Ready', async () =>
          (await livePods('pinned'))[0]?.ready ? true : undefined,
        );
        const before = await waitFor('3 Ready web pods', async () => {
          const live = await livePods('web');
          return live.length === 3 && live.every((p) => p.ready) ? live : undefined;
        });
        assert.deepEqual(
          before.map((p) => p.node).sort(),
          NODES,
          'the spread strategy puts one replica on each node',
        );

        // Stop a3 as a machine going away: its agent exits, then its pods' processes are gone too.
        const stopped = 'a3';
        const agent = agents.get(stopped)!;
        const stoppedAt = Date.now();
        agent.process.kill('SIGTERM');
        assert.equal((await agent.done).code, 0);
        agents.delete(stopped);
        assert.ok(
          (await removeContainers(stopped)) >= 3,
          'the web, echo and pinned containers were left running',
        );
        const victim = before.find((p) => p.node === stopped)!.name;

        await waitFor(`node ${stopped} NotReady`, async () =>
          new RegExp(`^${stopped}\\s+NotReady\\s`, 'm').test(await kubectl('get', 'nodes'))
            ? true
            : undefined,
        );
        await waitFor('pod pinned marked not Ready', async () => {
          const [pod] = await livePods('pinned');
          return pod !== undefined && !pod.ready ? true : undefined;
        });
        const taints = await kubectl('get', 'node', stopped, '-o', 'jsonpath={.spec.taints[*].key}');
        assert.match(taints, /node\.kubernetes\.io\/unreachable/);
        t.diagnostic(`node NotReady ${Date.now() - stoppedAt} ms after its agent stopped (grace 5 s)`);
        const after = await waitFor('3 Ready web pods on the other agents', async () => {
          const live = await livePods('web');
          const done =
            live.length === 3 && live.every((p) => p.ready && p.node !== stopped && p.name !== victim);
          return done ? live : undefined;
        });
        t.diagnostic(`pods replaced and Ready ${Date.now() - stoppedAt} ms after the agent stopped`);
        for (const pod of after) {
          assert.equal(await get(await hostPort(pod.name, 'web/http')), `web on ${pod.node}\n`);
        }
        const nodes = await kubectl('get', 'nodes');
        for (const node of ['a1', 'a2']) assert.match(nodes, new RegExp(`^${node}\\s+Ready\\s`, 'm'));

        // The agent comes back on the same data dir: the node is Ready again and untainted, and the
        // DaemonSet runs its pod there again.
        await startAgent(stopped).out.waitFor(/registered/, 60_000);
        await waitFor(`node ${stopped} Ready and untainted`, async () => {
          const ready = new RegExp(`^${stopped}\\s+Ready\\s`, 'm').test(await kubectl('get', 'nodes'));
          const left = await kubectl('get', 'node', stopped, '-o', 'jsonpath={.spec.taints[*].key}');
          return ready && !left.includes('unreachable') ? true : undefined;
        });
        const echo = await waitFor(`the echo pod on ${stopped} answering again`, async () => {
          const pod = (await livePods('echo')).find((p) => p.node === stopped);
          if (!pod?.ready) return undefined;
          const body = await get(await hostPort(pod.name, 'echo/http'));
          return body === `echo on ${stopped}\n` ? pod : undefined;
        });
        assert.match(await kubectl('get', 'pod', echo.name), /Running/);
        await waitFor('pod pinned Ready again', async () =>
          (await livePods('pinned'))[0]?.ready ? true : undefined,
        );
      },
    );

    test(
      'a pod that fits nowhere stays Pending with a FailedScheduling event, and runs when an agent with room joins',
      { skip },
      async () => {
        const template = echoTemplate(BIG) as { metadata: object; spec: { containers: object[] } };
        template.spec.containers = template.spec.containers.map((c) => ({
          ...c,
          resources: { requests: { cpu: '6' } },
        }));
        await apply(BIG, [
          {
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: { name: BIG, ...template.metadata },
            spec: template.spec,
          },
        ]);
        const message = await waitFor('a FailedScheduling event', async () => {
          const list = JSON.parse(
            await kubectl('get', 'events', '--field-selector', `involvedObject.name=${BIG}`, '-o', 'json'),
          ) as { items: { reason: string; message: string }[] };
          return list.items.find((e) => e.reason === 'FailedScheduling')?.message;
        });
        assert.match(message, /^0\/3 nodes are available: 3 Insufficient cpu\./);
        assert.match(await kubectl('get', 'pod', BIG), /Pending/);

        await startAgent(BIG, ['--cpu', '8']).out.waitFor(/registered/, 60_000);
        const pod = await waitFor(`pod ${BIG} Ready`, async () => {
          const [p] = await livePods(BIG);
          return p?.ready ? p : undefined;
        });
        assert.equal(pod.node, BIG);
        assert.equal(await get(await hostPort(BIG, `${BIG}/http`)), `${BIG} on ${BIG}\n`);
      },
    );
  });
}
