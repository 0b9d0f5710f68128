import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { KubeClient } from '../client/index.js';
import { StatusError } from '../client/index.js';
import { systemClock, type Clock } from '../common/clock.js';
import {
  CrashBackoff,
  ProcessRuntime,
  RuncRuntime,
  runcAvailable,
  RuntimeSet,
  type RuncRuntimeOptions,
  type BackoffOptions,
  type DiskFailure,
  type Runtime,
} from '../runtime/index.js';
import { EventRecorder } from '../client/index.js';
import { PodNetwork, ServiceProxy, type L4Mode, type L7Driver } from '../network/index.js';
import {
  createMetricsRegistry,
  registerAgentMetrics,
  renderMetrics,
  ResourceCollector,
} from '../telemetry/index.js';
import { claimDataDir } from './data-dir.js';
import { DiskPressure } from './disk-pressure.js';
import { LogServer } from './log-server.js';
import type { StreamLimits } from './exec-server.js';
import type { PortTarget } from './port-forward-server.js';
import type { NodeCapacity } from './node-object.js';
import { NodeRegistration, upsertObject } from './node-registration.js';
import { PodWorker, type WorkerDeps } from './pod-worker.js';
import { ImagePuller } from './image-puller.js';
import { ImageStore, collectImages, type ImageGcResult } from '../images/index.js';
import { PodIds } from './pod-ids.js';
import { startPodNetwork, type AgentPodNetworkOptions, type RunningPodNetwork } from './pod-network-setup.js';
import { containerSamples } from './resource-samples.js';

/** Options of `Agent.start`; every field but client and dataDir has a default. */
export interface AgentOptions extends NodeCapacity {
  /** A client with the node's (or an admin's) credentials. */
  client: KubeClient;
  /** Holds the runtime's containers and logs, pod volumes and the node secret. */
  dataDir: string;
  /** Default: the host name. */
  nodeName?: string;
  /** The log endpoint's port on the node's address; default 0 (a free port). */
  agentPort?: number;
  /**
   * The node's address (kubelet's `--node-ip`): the Node's InternalIP, the pods' hostIP (where
   * their host ports are reached from other nodes), and where the log endpoint and NodePorts
   * listen. Default 127.0.0.1, for a node alone on its machine with the server.
   */
  nodeIP?: string;
  /**
   * Serve the log endpoint over HTTPS with this key and certificate (PEM), published with the
   * node's secret for the API server to pin; default plain HTTP (an endpoint on loopback).
   */
  endpointTls?: { key: string; cert: string };
  /** Idle timeout and cap of exec, attach and port-forward sessions (default 4 h, 64). */
  streamLimits?: StreamLimits;
  /** Default: the system clock. */
  clock?: Clock;
  /** Lease renewal (and node status) interval; default 10 000 ms. */
  leaseIntervalMs?: number;
  /** Periodic resync of every pod; default 10 000 ms. */
  resyncIntervalMs?: number;
  /** How often due probes are looked for; default 100 ms (a probe runs at most this late). */
  probeTickMs?: number;
  /** Crash back-off figures; default kubelet's (10 s doubling to 5 min). */
  backoff?: BackoffOptions;
  /**
   * Default: a ProcessRuntime under DATA_DIR/runtime, whose refused disk writes the agent reports
   * (a Warning Event on the pod, the Node's DiskPressure condition).
   */
  runtime?: Runtime;
  /**
   * The `runc` runtime beside `process` (under DATA_DIR/runc): default on when the agent is root
   * with runc and tini-static installed; `false` turns it off; an object sets its options.
   */
  runc?: boolean | Partial<Omit<RuncRuntimeOptions, 'dataDir' | 'onDiskError'>>;
  /** The runtime of pods that name no RuntimeClass: `process` (default) or `runc`. */
  defaultRuntime?: 'process' | 'runc';
  /**
   * The service proxy (Services' ClusterIPs, NodePorts and LoadBalancer addresses) with its L7
   * driver; default: none (`stratus up` and `stratus agent` run one with `node`).
   */
  serviceProxy?: { l7: L7Driver; l4?: L4Mode; threads?: number };
  /**
   * How often container and node usage is sampled (the metrics API's window); default 15 000 ms.
   * 0 turns sampling off: no `kubectl top`, no usage records (what it costs is then measurable).
   */
  metricsIntervalMs?: number;
  /** Where sync errors go; default: stderr. */
  onError?: (err: unknown) => void;
  /**
   * Run each pod as its own unprivileged users (ids from a per-pod block, its own view of the
   * data directories); default: when the agent is root. Without root the agent cannot switch
   * users, and pods run as the agent's user.
   */
  podUsers?: boolean;
  /**
   * The pod network and cluster DNS (`pod-network-setup.ts`), made when a runtime
   * `needsSandbox`, or never with `false`. The built-in `runc` runtime needs sandboxes only when
   * this is an object (`stratus up`/`stratus agent` give one with `--default-runtime runc`);
   * unset, runc containers share the host's network (the fallback, and what tests get unless
   * they ask, since a pod network takes a bridge, a range and port 53 on the host).
   */
  podNetwork?: AgentPodNetworkOptions | false;
  /**
   * The node's image store, opened when the runtime `usesImages` (runc); default
   * DATA_DIR/images (`stratus up` passes its own DATA_DIR/images, where `make busybox-image` and
   * `stratus image` put images).
   */
  imagesDir?: string;
  /**
   * Image garbage collection (kubelet's imageGCHigh/LowThresholdPercent and its 5 min period):
   * unused images go, least recently used first, when the images' file system is fuller than
   * `highPercent` (default 85) until it is under `lowPercent` (default 80).
   */
  imageGc?: { highPercent?: number; lowPercent?: number; intervalMs?: number };
}

/** The host and port of the API server URL, for pods' `KUBERNETES_SERVICE_HOST` and `_PORT`. */
function apiServerAddress(server: string): { host: string; port: string } {
  const url = new URL(server);
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port || (url.protocol === 'https:' ? '443' : '80'),
  };
}

/**
 * The node's runtimes: the given one, or `process` (DATA_DIR/runtime) plus `runc` (DATA_DIR/runc)
 * when it can run here, with `defaultRuntime` for pods that name no RuntimeClass.
 */
function buildRuntimes(
  options: AgentOptions,
  dataDir: string,
  onDiskError: (f: DiskFailure) => void,
): RuntimeSet {
  if (options.runtime !== undefined) return new RuntimeSet(options.runtime);
  const processRuntime = new ProcessRuntime({ dataDir: join(dataDir, 'runtime'), onDiskError });
  // runc containers join pod sandboxes when the agent runs a pod network; else the host's network.
  const podNetwork = typeof options.podNetwork === 'object' && PodNetwork.unavailable() === undefined;
  const runcOptions = { podNetwork, ...(typeof options.runc === 'object' ? options.runc : {}) };
  const wanted = options.runc !== false && (options.runc !== undefined || runcAvailable(runcOptions));
  const runc = wanted
    ? new RuncRuntime({ ...runcOptions, dataDir: join(dataDir, 'runc'), onDiskError })
    : undefined;
  if (options.defaultRuntime === 'runc') {
    if (runc === undefined)
      throw new RangeError('--default-runtime runc needs root, runc and tini-static on this machine');
    return new RuntimeSet(runc, [processRuntime]);
  }
  return new RuntimeSet(processRuntime, runc === undefined ? [] : [runc]);
}

/** The name of the Secret in `kube-node-lease` holding the node's log-endpoint secret. */
export function nodeSecretName(node: string): string {
  return `stratus-agent-${node}`;
}

/**
 * The node agent (kubelet): registers the Node, stores the node's
 * log-endpoint secret in `kube-node-lease`, renews the node's Lease, adopts the containers a
 * previous agent left running, and runs one PodWorker per pod bound to the node, driven by a
 * watch on `spec.nodeName` plus a periodic resync. `close()` stops the agent; pods keep running
 * so that the next agent on the same data dir adopts them.
 */
export class Agent {
  readonly nodeName: string;
  /** The agent's data directory (absolute). */
  readonly dataDir: string;
  private readonly workers = new Map<string, PodWorker>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly abort = new AbortController();
  private watchLoop: Promise<void> | undefined;
  private probing = false;
  private logServer: LogServer | undefined;
  private port = 0;
  private readonly deps: WorkerDeps;
  private readonly disk: DiskPressure;
  private registration: NodeRegistration | undefined;
  private proxy: ServiceProxy | undefined;
  private podNetwork: RunningPodNetwork | undefined;
  private readonly collector: ResourceCollector;
  private readonly registry = createMetricsRegistry();

  private constructor(
    private readonly options: AgentOptions,
    private readonly runtime: RuntimeSet,
  ) {
    const clock = options.clock ?? systemClock;
    this.nodeName = options.nodeName ?? hostname().toLowerCase();
    this.dataDir = resolve(options.dataDir);
    this.deps = {
      runtime,
      client: options.client,
      events: new EventRecorder(options.client, { component: 'kubelet', host: this.nodeName, clock }),
      clock,
      backoff: new CrashBackoff(clock, options.backoff ?? {}),
      nodeName: this.nodeName,
      hostIP: options.nodeIP ?? '127.0.0.1',
      dataDir: resolve(options.dataDir),
      runtimeClasses: new Set(runtime.names),
      apiServer: apiServerAddress(options.client.config.server),
      ...((options.podUsers ?? process.getuid?.() === 0)
        ? { podIds: new PodIds(join(resolve(options.dataDir), 'pods')) }
        : {}),
      onError: options.onError ?? ((err) => process.stderr.write(`agent: ${(err as Error).message}\n`)),
    };
    this.disk = new DiskPressure(this.dataDir, clock);
    this.collector = new ResourceCollector({
      node: this.nodeName,
      containers: () => containerSamples(runtime, this.workers.values()),
      clock,
      ...(options.metricsIntervalMs !== undefined ? { intervalMs: options.metricsIntervalMs } : {}),
    });
    registerAgentMetrics(this.registry, {
      latest: () => this.collector.latest(),
      runningPods: () => this.workers.size,
    });
  }

  /** Starts an agent: registration, adoption, then the watch. */
  static async start(options: AgentOptions): Promise<Agent> {
    const dataDir = resolve(options.dataDir);
    claimDataDir(dataDir);
    // The runtime adopts containers as it is built, before the agent that reports for it exists.
    const reporter: { agent?: Agent } = {};
    const runtime = buildRuntimes(options, dataDir, (f) => reporter.agent?.diskFailed(f));
    const agent = new Agent(options, runtime);
    reporter.agent = agent;
    try {
      if (runtime.usesImages) {
        const store = await ImageStore.open(resolve(options.imagesDir ?? join(dataDir, 'images')));
        agent.deps.images = new ImagePuller(store, options.client, agent.deps.clock);
      }
      await agent.begin(dataDir);
    } catch (err) {
      await agent.close();
      throw err;
    }
    return agent;
  }

  /**
   * One image garbage collection pass: images that no container of a pod on this node uses
   * (whatever its state, as kubelet counts them) may go when the disk is above the threshold.
   */
  async collectImages(): Promise<ImageGcResult | undefined> {
    const images = this.deps.images;
    if (images === undefined) return undefined;
    const inUse = new Set<string>();
    for (const worker of this.workers.values()) {
      for (const slot of worker.slots.values()) {
        const digest = slot.imageID?.split('@')[1];
        if (digest !== undefined) inUse.add(digest);
      }
    }
    const gc = this.options.imageGc ?? {};
    return collectImages(images.store, {
      inUse,
      ...(gc.highPercent === undefined ? {} : { highPercent: gc.highPercent }),
      ...(gc.lowPercent === undefined ? {} : { lowPercent: gc.lowPercent }),
    });
  }

  /** The log endpoint's port. */
  get agentPort(): number {
    return this.port;
  }

  /** The node's address (InternalIP, pods' hostIP, where the log endpoint listens). */
  get nodeIP(): string {
    return this.deps.hostIP;
  }

  /** The node's pod network, when its runtime needs sandboxes. */
  get network(): RunningPodNetwork | undefined {
    return this.podNetwork;
  }

  /** The runtimes this node runs, the default first (`process`, `runc`). */
  get runtimeNames(): string[] {
    return this.runtime.names;
  }

  /** The node's service proxy, when it runs one. */
  get serviceProxy(): ServiceProxy | undefined {
    return this.proxy;
  }

  /** The service proxy's driver and counters (of one `NS/NAME`'s listeners, or all), for `stratus explain service`. */
  private async proxyStats(service: string): Promise<unknown> {
    const proxy = this.proxy;
    if (proxy === undefined) return undefined;
    const all = await proxy.stats();
    const listeners = service === '' ? all : all.filter((l) => l.name.startsWith(`${service}:`));
    return { node: this.nodeName, driver: proxy.dataPlane.driver, listeners };
  }

  /** The pods this agent runs, by uid (for tests and `stratus explain`). */
  get podUids(): string[] {
    return [...this.workers.keys()];
  }

  private async begin(dataDir: string): Promise<void> {
    const secretFile = join(dataDir, 'agent-secret');
    if (!existsSync(secretFile))
      writeFileSync(secretFile, randomBytes(32).toString('base64url'), { mode: 0o600 });
    const secret = readFileSync(secretFile, 'utf8').trim();
    const tls = this.options.endpointTls;
    this.logServer = new LogServer(
      this.runtime,
      secret,
      (ns, pod, container) => this.lookup(ns, pod, container),
      {
        proxyStats: (service) => this.proxyStats(service),
        resourceStats: () => this.collector.summary(),
        metrics: () => renderMetrics(this.registry),
        portTarget: (ns, pod, port) => Promise.resolve(this.portTarget(ns, pod, port)),
        ...(this.options.streamLimits !== undefined ? { streamLimits: this.options.streamLimits } : {}),
        ...(tls !== undefined ? { tls } : {}),
      },
    );
    this.port = await this.logServer.listen(this.options.agentPort ?? 0, this.deps.hostIP);
    const client = this.options.client;
    const registration = new NodeRegistration(
      client,
      this.deps.clock,
      {
        name: this.nodeName,
        dataDir,
        agentPort: this.port,
        address: this.deps.hostIP,
        ...(this.options.cpu !== undefined ? { cpu: this.options.cpu } : {}),
        ...(this.options.memory !== undefined ? { memory: this.options.memory } : {}),
        ...(this.options.maxPods !== undefined ? { maxPods: this.options.maxPods } : {}),
      },
      () => this.disk.current(),
    );
    this.registration = registration;
    await registration.register();
    await upsertObject(client, 'secrets', {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: nodeSecretName(this.nodeName), namespace: 'kube-node-lease' },
      type: 'Opaque',
      data: {
        token: Buffer.from(secret).toString('base64'),
        ...(tls !== undefined ? { 'ca.crt': Buffer.from(tls.cert).toString('base64') } : {}),
      },
    });
    await registration.heartbeat();
    if (this.runtime.needsSandbox === true && this.options.podNetwork !== false) {
      this.podNetwork = await startPodNetwork(client, this.nodeName, {
        ...this.options.podNetwork,
        dataDir,
        onError: this.deps.onError,
      });
      this.deps.sandboxes = this.podNetwork.network;
    }
    const interval = this.options.leaseIntervalMs ?? 10_000;
    this.timers.push(setInterval(() => void registration.heartbeat().catch(this.deps.onError), interval));
    this.timers.push(setInterval(() => void this.probeAll(), this.options.probeTickMs ?? 100));
    if (this.deps.images !== undefined) {
      const gc = this.options.imageGc ?? {};
      this.timers.push(
        setInterval(() => void this.collectImages().catch(this.deps.onError), gc.intervalMs ?? 300_000),
      );
    }
    // The first list adopts the containers a previous agent left; no resync may kick a worker
    // into starting a container before its old one is adopted.
    const rv = await this.relist(true);
    const resyncMs = this.options.resyncIntervalMs ?? 10_000;
    this.timers.push(setInterval(() => this.resync(), resyncMs));
    this.watchLoop = this.watchPods(rv);
    if (this.options.metricsIntervalMs !== 0) this.collector.start();
    const proxy = this.options.serviceProxy;
    if (proxy !== undefined) {
      this.proxy = await ServiceProxy.start({
        client,
        node: { name: this.nodeName, address: this.deps.hostIP },
        ...proxy,
        onError: (err) => this.deps.onError(new Error(`service proxy: ${(err as Error).message}`)),
      });
    }
  }

  /**
   * A write the disk refused: a Warning Event on the pod (it may not land when the store shares
   * the full disk) and, on the first refusal in a while, a line in the agent's log and a status
   * update at once, so the DiskPressure condition shows without waiting for the next heartbeat.
   */
  private diskFailed(f: DiskFailure): void {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: f.spec.podName, namespace: f.spec.podNamespace, uid: f.spec.podUid },
    };
    const [reason, message] =
      f.what === 'log'
        ? ['LogWriteFailed', `output is dropped until the disk has room`]
        : ['RecordWriteFailed', `its state is kept in memory only until the agent restarts`];
    const text = `Cannot write ${f.what === 'log' ? 'the log' : 'the record'} of container "${f.spec.containerName}": ${f.error.message}; ${message}`;
    this.deps.events.event(pod, 'Warning', reason, text);
    if (!this.disk.failed(f.error.message)) return;
    this.deps.onError(new Error(`disk pressure: pod ${f.spec.podNamespace}/${f.spec.podName}: ${text}`));
    void this.registration?.heartbeat().catch(this.deps.onError);
  }

  /**
   * Where `kubectl port-forward` reaches a pod's port from this node: for a runtime with its own
   * network namespace (a sandbox) the pod's IP and the port itself; for the `process` runtime,
   * which shares the host's network, the host port the agent gave a declared container port (an
   * undeclared port is refused: it would be any host service on loopback).
   */
  private portTarget(ns: string, pod: string, port: number): PortTarget {
    for (const w of this.workers.values()) {
      if (w.pod.metadata?.namespace !== ns || w.pod.metadata.name !== pod) continue;
      for (const slot of w.slots.values()) {
        const spec = slot.status?.state === 'running' ? slot.status.spec : undefined;
        if (spec?.sandbox !== undefined) return { host: spec.sandbox.podIP, port };
        const mapped = spec?.ports?.find((p) => p.containerPort === port && (p.protocol ?? 'TCP') === 'TCP');
        if (mapped !== undefined) return { host: '127.0.0.1', port: mapped.hostPort };
      }
      return { error: `pod ${ns}/${pod} has no running container that declares TCP port ${port}` };
    }
    return { error: `pod ${ns}/${pod} is not running on this node` };
  }

  private lookup(ns: string, pod: string, container: string): string | undefined {
    for (const w of this.workers.values()) {
      if (w.pod.metadata?.namespace === ns && w.pod.metadata.name === pod) return w.slots.get(container)?.id;
    }
    return undefined;
  }

  private resync(): void {
    void this.relist(false).catch(this.deps.onError);
  }

  /** Lists the node's pods; on the first call adopts the runtime's containers and stops orphans. */
  private async relist(adopt: boolean): Promise<string> {
    const list = await this.options.client.list('pods', {
      allNamespaces: true,
      fieldSelector: `spec.nodeName=${this.nodeName}`,
    });
    const seen = new Set<string>();
    for (const item of list.items) {
      const pod = item as Pod;
      seen.add(pod.metadata?.uid ?? '');
      this.upsertWorker(pod, adopt);
    }
    if (adopt) {
      const containers = await this.runtime.list();
      const byPod = new Map<string, typeof containers>();
      for (const c of containers) byPod.set(c.spec.podUid, [...(byPod.get(c.spec.podUid) ?? []), c]);
      // Every known pod's containers are adopted before the orphans' graceful stops take their
      // seconds, so that nothing meanwhile finds a known pod without its container.
      for (const [uid, cs] of byPod) {
        for (const c of cs.sort((a, b) => a.spec.attempt - b.spec.attempt)) this.workers.get(uid)?.adopt(c);
      }
      for (const [uid, cs] of byPod) {
        if (this.workers.has(uid)) continue;
        for (const c of cs) {
          await this.runtime.stop(c.id, { gracePeriodSeconds: 5 }).catch(() => undefined);
          await this.runtime.remove(c.id).catch(() => undefined);
        }
      }
    }
    for (const [uid, worker] of this.workers) {
      if (!seen.has(uid)) this.dropWorker(uid, worker);
      else worker.kick();
    }
    return list.metadata.resourceVersion ?? '';
  }

  private upsertWorker(pod: Pod, quiet: boolean): void {
    if (this.abort.signal.aborted) return;
    const uid = pod.metadata?.uid ?? '';
    let worker = this.workers.get(uid);
    if (worker === undefined) {
      worker = new PodWorker(pod, this.deps);
      this.workers.set(uid, worker);
    } else worker.pod = pod;
    if (!quiet) worker.kick();
  }

  private dropWorker(uid: string, worker: PodWorker): void {
    this.workers.delete(uid);
    // No sync may start a container after the clean-up looked at them: stop kicks, wait, clean.
    worker.close();
    void worker
      .idle()
      .then(() => worker.cleanup())
      .catch(this.deps.onError);
  }

  private async watchPods(fromRv: string): Promise<void> {
    let rv = fromRv;
    const signal = this.abort.signal;
    while (!signal.aborted) {
      try {
        for await (const ev of this.options.client.watch('pods', {
          allNamespaces: true,
          fieldSelector: `spec.nodeName=${this.nodeName}`,
          resourceVersion: rv,
          allowWatchBookmarks: true,
          signal,
        })) {
          const pod = ev.object as Pod;
          if (pod.metadata?.resourceVersion !== undefined) rv = pod.metadata.resourceVersion;
          if (ev.type === 'BOOKMARK') continue;
          const uid = pod.metadata?.uid ?? '';
          if (ev.type === 'DELETED') {
            const w = this.workers.get(uid);
            if (w !== undefined) this.dropWorker(uid, w);
          } else this.upsertWorker(pod, false);
        }
      } catch (err) {
        if (signal.aborted) return;
        if (err instanceof StatusError && err.status === 410) rv = '';
        else this.deps.onError(err);
      }
      if (signal.aborted) return;
      await new Promise((r) => setTimeout(r, 500));
      if (rv === '') rv = await this.relist(false).catch(() => '');
    }
  }

  private async probeAll(): Promise<void> {
    if (this.probing) return;
    this.probing = true;
    try {
      await Promise.all([...this.workers.values()].map((w) => w.probe().catch(this.deps.onError)));
    } finally {
      this.probing = false;
    }
  }

  private stopLoops(): void {
    this.abort.abort();
    void this.collector.close();
    for (const t of this.timers) clearInterval(t);
  }

  /**
   * Stops the watch and timers, then every pod's containers (each pod's grace period) and forgets
   * them, without touching the API: for `stratus up` shutting down and for tests. Call `close()`
   * afterwards.
   */
  async stopAllPods(): Promise<void> {
    this.stopLoops();
    await this.watchLoop?.catch(() => undefined);
    const all = [...this.workers.values()];
    this.workers.clear();
    for (const w of all) w.close();
    await Promise.all(
      all.map((w) =>
        w
          .idle()
          .then(() => w.cleanup())
          .catch(this.deps.onError),
      ),
    );
    for (const c of await this.runtime.list()) {
      await this.runtime.stop(c.id, { gracePeriodSeconds: 1 }).catch(() => undefined);
      await this.runtime.remove(c.id).catch(() => undefined);
    }
  }

  /** Stops watching, probing and serving logs; the pods' processes keep running for adoption. */
  async close(): Promise<void> {
    this.stopLoops();
    await this.proxy?.close();
    for (const w of this.workers.values()) w.close();
    await this.watchLoop?.catch(() => undefined);
    await Promise.all([...this.workers.values()].map((w) => w.idle().catch(() => undefined)));
    await this.logServer?.close();
    await this.podNetwork?.close();
    await this.deps.events.close();
    await this.runtime.close();
    await this.deps.images?.store.close();
  }
}
