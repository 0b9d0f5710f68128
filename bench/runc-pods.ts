/**
 * runc pods through the agent (issue 11), against Debian's Podman in the same run:
 * - a 10-replica Deployment of `busybox httpd` (the busybox image `make busybox-image` builds,
 *   on runc, each pod on the pod network, Ready by an httpGet probe) from create to all Ready,
 *   median of 3; Podman's peer is 10 parallel `podman run -d` of the same root and command (host
 *   network), until all 10 answer HTTP. Goal: at most 3 s.
 * - the agent's memory per running container: the agent process's growth from 0 to 20 running
 *   pods, plus the helpers it keeps per container (the `sh` wrapper and the runc shim), against
 *   conmon's per container under Podman. Goal: at most 2 MB.
 * The agent runs in a child process (`runc-pods-agent.ts`), the API server here.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { startCloud } from '../src/cli/up.js';
import { KubeClient } from '../src/client/index.js';
import type { KubeObject } from '../src/common/kube-object.js';
import { nodeUser } from '../src/identity/index.js';
import { buildBusyboxImage } from '../src/images/testing.js';
import { PodNetwork } from '../src/network/index.js';
import { ip, netnsList } from '../src/network/pod-network/index.js';
import { runNft } from '../src/network/nftables/nftables-data-plane.js';
import { eventually } from '../src/network/testing/index.js';
import { runcMissing } from '../src/runtime/testing.js';
import type { BenchResult } from './result.js';
import { memoryOf, type BenchAgentConfig } from './runc-pods-agent.js';
import { PODMAN, PODMAN_RUNC } from './runc-start.js';
import { freePort } from '../src/common/free-port.js';

const REPLICAS = 10;
const RUNS = 3;
const HELD = 20;
const HTTPD = 'mkdir -p /www && echo ok > /www/index.html && exec httpd -f -p $PORT -h /www';

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

/** The agent child: its process, stdout lines, and a way to ask for a line back. */
class AgentChild {
  private readonly lines: Interface;
  private readonly waiting: Array<(line: string) => void> = [];
  constructor(readonly child: ChildProcess) {
    this.lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    this.lines.on('line', (line) => this.waiting.shift()?.(line));
  }
  next(): Promise<string> {
    return new Promise((resolve, reject) => {
      this.waiting.push(resolve);
      this.child.once('exit', (code) => reject(new Error(`the bench agent exited ${code ?? 'by a signal'}`)));
    });
  }
  async ask(line: string): Promise<string> {
    const reply = this.next();
    this.child.stdin?.write(`${line}\n`);
    return reply;
  }
}

/** The Deployment of `replicas` httpd pods, Ready by an httpGet probe every second. */
function deployment(name: string, replicas: number): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          terminationGracePeriodSeconds: 1,
          containers: [
            {
              name: 'httpd',
              image: 'busybox:1.35',
              command: ['sh', '-c', HTTPD.replace('$PORT', '8080')],
              ports: [{ name: 'http', containerPort: 8080 }],
              readinessProbe: { httpGet: { path: '/', port: 'http' }, periodSeconds: 1 },
            },
          ],
        },
      },
    },
  };
}

const isReady = (p: Pod): boolean =>
  p.metadata?.deletionTimestamp === undefined &&
  p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

/** Creates the Deployment and resolves with the ms until `replicas` of its pods are Ready. */
async function deployUntilReady(admin: KubeClient, name: string, replicas: number): Promise<number> {
  const t0 = performance.now();
  await admin.create('deployments', deployment(name, replicas));
  let pods: Pod[] = [];
  await eventually(
    `${replicas} pods of ${name} Ready`,
    async () => {
      pods = (await admin.list('pods', { labelSelector: `app=${name}` })).items as Pod[];
      return pods.filter(isReady).length >= replicas;
    },
    { timeoutMs: 600_000 },
  ).catch((err: Error) => {
    const waiting = pods
      .filter((p) => !isReady(p))
      .map((p) => `${p.metadata?.name ?? ''}: ${JSON.stringify(p.status)}`);
    throw new Error(`${err.message}; not Ready: ${waiting.join('\n')}`);
  });
  return performance.now() - t0;
}

/** Deletes the Deployment and its pods and waits until their sandboxes are gone. */
async function undeploy(admin: KubeClient, name: string, netnsPrefix: string): Promise<void> {
  const pods = (await admin.list('pods', { labelSelector: `app=${name}` })).items as Pod[];
  await admin.delete('deployments', name);
  for (const p of pods) await admin.delete('pods', p.metadata?.name ?? '').catch(() => undefined);
  await eventually(
    `the pods of ${name} are gone`,
    async () => {
      const left = (await admin.list('pods', { labelSelector: `app=${name}` })).items.length;
      const sandboxes = (await netnsList()).filter((n) => n.startsWith(netnsPrefix)).length;
      return left === 0 && sandboxes === 0;
    },
    { timeoutMs: 120_000 },
  );
}

/** The processes whose parent is `ppid`, with their command names. */
function childrenOf(ppid: number): Array<{ pid: number; comm: string }> {
  const out: Array<{ pid: number; comm: string }> = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const fields = stat.slice(close + 2).split(' ');
      if (Number(fields[1]) === ppid)
        out.push({ pid: Number(entry), comm: stat.slice(stat.indexOf('(') + 1, close) });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/**
 * Rss and Pss (KiB) of the agent's per-container helpers: each `sh` wrapper and what it waits on,
 * the `stratus-runc-shim` (comm cut to 15 characters) or, without the shim, `runc run`.
 */
function helperMemory(agentPid: number): { count: number; rss: number; pss: number } {
  let rss = 0;
  let pss = 0;
  let count = 0;
  for (const wrapper of childrenOf(agentPid).filter((c) => c.comm === 'sh')) {
    const runc = childrenOf(wrapper.pid).filter((c) => c.comm === 'runc' || c.comm === 'stratus-runc-sh');
    if (runc.length === 0) continue;
    count++;
    for (const p of [wrapper, ...runc]) {
      const m = memoryOf(p.pid);
      rss += m.rss;
      pss += m.pss;
    }
  }
  return { count, rss, pss };
}

function run(file: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${file} ${args.join(' ')}: ${err}`)),
    );
  });
}

/** Podman's containers of this bench, by name, so cleanup removes only ours. */
class PodmanPeer {
  private readonly names: string[] = [];
  constructor(private readonly rootfs: string) {}

  /** Starts `count` httpd containers in parallel; resolves with the ms until all answer. */
  async startAll(count: number): Promise<{ ms: number; names: string[] }> {
    const ports = await Promise.all(Array.from({ length: count }, () => freePort()));
    const names = ports.map((_, i) => `stratus-bench-${process.pid}-${this.names.length + i}`);
    this.names.push(...names);
    const t0 = performance.now();
    await Promise.all(
      ports.map((port, i) =>
        run(PODMAN, [
          'run',
          '-d',
          '--name',
          names[i] ?? '',
          ...PODMAN_RUNC,
          '--rootfs',
          `${this.rootfs}:O`,
          '/bin/sh',
          '-c',
          HTTPD.replace('$PORT', String(port)),
        ]),
      ),
    );
    await eventually(
      `${count} podman containers answer`,
      async () => {
        const answers = await Promise.all(
          ports.map((port) =>
            fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(1000) }).then(
              (r) => r.ok,
              () => false,
            ),
          ),
        );
        return answers.every(Boolean);
      },
      { timeoutMs: 120_000 },
    );
    return { ms: performance.now() - t0, names };
  }

  /** Rss and Pss (KiB) of conmon, per container, over the named ones. */
  async conmonMemory(names: string[]): Promise<{ rss: number; pss: number }> {
    let rss = 0;
    let pss = 0;
    for (const name of names) {
      const pid = Number((await run(PODMAN, ['inspect', '--format', '{{.State.ConmonPid}}', name])).trim());
      const m = memoryOf(pid);
      rss += m.rss;
      pss += m.pss;
    }
    return { rss: rss / names.length, pss: pss / names.length };
  }

  async remove(): Promise<void> {
    const names = this.names.splice(0);
    if (names.length > 0) await run(PODMAN, ['rm', '-f', '-t', '0', ...names]).catch(() => undefined);
  }
}

/** Runs the benchmark; without runc or the pod network it is skipped, without Podman no peer. */
export async function benchRuncPods(): Promise<BenchResult[]> {
  const missing = runcMissing() ?? PodNetwork.unavailable();
  if (missing !== undefined) {
    console.error(`runc-pods: skipped (${missing})`);
    return [];
  }
  const dir = await mkdtemp(join(tmpdir(), 'stratus-bench-runc-pods-'));
  const tag = `rb${process.pid % 100000}`;
  const names = { bridge: `st${tag}`, netnsPrefix: `st${tag}-`, table: `stratus-test-${tag}` };
  const clusterCidr = `10.${190 + (process.pid % 40)}.0.0/16`;
  const serviceCidr = `127.97.${process.pid % 250}.0/24`;
  const imagesDir = join(dir, 'images');
  if (!(await buildBusyboxImage(imagesDir, { contextDir: join(dir, 'busybox') }))) {
    console.error('runc-pods: skipped (busybox-static is not installed)');
    return [];
  }
  const cloud = await startCloud(
    {
      dataDir: join(dir, 'cloud'),
      apiPort: 0,
      controllers: true,
      clusterCidr,
      serviceClusterIPRange: serviceCidr,
    },
    [],
  );
  const admin = new KubeClient({
    server: cloud.server.httpUrl,
    token: cloud.server.adminToken,
    namespace: 'default',
    contextName: 'bench',
  });
  const nodeName = `node-${tag}`;
  const config: BenchAgentConfig = {
    server: cloud.server.httpUrl,
    token: cloud.server.loopbackToken(nodeUser(nodeName)),
    nodeName,
    dataDir: join(dir, 'agent'),
    imagesDir,
    names,
    serviceCidr,
  };
  const script = fileURLToPath(new URL('./runc-pods-agent.js', import.meta.url));
  const agent = new AgentChild(
    spawn(process.execPath, [script, JSON.stringify(config)], { stdio: ['pipe', 'pipe', 'inherit'] }),
  );
  const podman = existsSync(PODMAN) ? new PodmanPeer(join(dir, 'busybox', 'rootfs')) : undefined;
  if (podman === undefined) console.error(`runc-pods: ${PODMAN} missing (apt-get install podman): no peer`);
  try {
    if ((await agent.next()) !== 'ready') throw new Error('the bench agent did not start');
    const ours: number[] = [];
    const theirs: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      ours.push(await deployUntilReady(admin, `web${i}`, REPLICAS));
      await undeploy(admin, `web${i}`, names.netnsPrefix);
      if (podman !== undefined) {
        theirs.push((await podman.startAll(REPLICAS)).ms);
        await podman.remove();
      }
    }
    console.error(
      `runc-pods: Deployment runs ${ours.map((v) => v.toFixed(0)).join(', ')} ms; podman ${theirs.map((v) => v.toFixed(0)).join(', ')} ms`,
    );

    // Memory: the agent idle (after the runs above warmed it), then holding HELD running pods.
    const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 5000));
    await settle();
    const idle = JSON.parse(await agent.ask('rss')) as { rss: number; pss: number };
    await deployUntilReady(admin, 'held', HELD);
    await settle();
    const busy = JSON.parse(await agent.ask('rss')) as { rss: number; pss: number };
    const helpers = helperMemory(agent.child.pid ?? 0);
    await undeploy(admin, 'held', names.netnsPrefix);
    let conmon: { rss: number; pss: number } | undefined;
    if (podman !== undefined) {
      const { names: held } = await podman.startAll(HELD);
      conmon = await podman.conmonMemory(held);
      await podman.remove();
    }
    const mb = (kib: number): number => (kib * 1024) / 1e6;
    const growth = (busy.rss - idle.rss) / HELD;
    console.error(
      `runc-pods: agent Rss ${idle.rss} → ${busy.rss} KiB (Pss ${idle.pss} → ${busy.pss}) with ${HELD} pods; ` +
        `${helpers.count} helper pairs Rss ${helpers.rss} KiB, Pss ${helpers.pss} KiB; conmon per container ${JSON.stringify(conmon)}`,
    );
    const perPod = (kib: number): number => mb(growth + kib / Math.max(1, helpers.count));
    const results: BenchResult[] = [
      {
        name: `runc: ${REPLICAS}-replica Deployment, create to all Ready (median of ${RUNS})`,
        value: median(ours),
        unit: 'ms',
        goal: '<= 3000 ms',
        ...(theirs.length > 0
          ? {
              peer: { name: `podman run -d x${REPLICAS}`, value: median(theirs) },
              ratio: median(ours) / median(theirs),
            }
          : {}),
      },
      {
        name: `runc: agent memory per running container (Rss growth + helpers' Pss, ${HELD} pods)`,
        value: perPod(helpers.pss),
        unit: 'MB',
        goal: '<= 2 MB',
        ...(conmon !== undefined
          ? {
              peer: { name: 'conmon Pss', value: mb(conmon.pss) },
              ratio: perPod(helpers.pss) / mb(conmon.pss),
            }
          : {}),
      },
      {
        name: `runc: same, helpers by Rss`,
        value: perPod(helpers.rss),
        unit: 'MB',
        ...(conmon !== undefined
          ? {
              peer: { name: 'conmon Rss', value: mb(conmon.rss) },
              ratio: perPod(helpers.rss) / mb(conmon.rss),
            }
          : {}),
      },
    ];
    return results;
  } finally {
    await podman?.remove();
    await agent.ask('close').catch(() => undefined);
    await new Promise((r) => (agent.child.exitCode !== null ? r(undefined) : agent.child.once('exit', r)));
    await admin.close();
    await cloud.close();
    for (const ns of await netnsList()) if (ns.startsWith(names.netnsPrefix)) await ip(['netns', 'del', ns]);
    await ip(['link', 'del', names.bridge]).catch(() => undefined);
    await runNft('nft', ['delete', 'table', 'ip', names.table]).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}
