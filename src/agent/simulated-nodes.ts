import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import type { KubeClient } from '../client/index.js';
import { StatusError } from '../client/index.js';
import { systemClock, type Clock } from '../common/clock.js';
import type { KubeObject } from '../common/kube-object.js';
import { Controller, Informer, objectKey } from '../machinery/index.js';

/** Options of startSimulatedNodes; every field but `client` and `count` has a default. */
export interface SimulatedNodesOptions {
  client: KubeClient;
  /** How many nodes to register. */
  count: number;
  /** Node names are `<prefix><i>`; default `sim-node-`. */
  namePrefix?: string;
  /** Capacity (= allocatable) of every node; default 32 cpu, 256Gi memory, 110 pods. */
  capacity?: Record<string, string>;
  /** Extra node labels. */
  labels?: Record<string, string>;
  /** Lease renewal period; default 10 s. */
  heartbeatMs?: number;
  /** Pod status writes in parallel; default 16. */
  workers?: number;
  /** Report bound pods Running (the simulated kubelet); default true. Benchmarks of the scheduler alone turn it off. */
  runPods?: boolean;
  clock?: Clock;
}

/** Running simulated nodes. */
export interface SimulatedNodes {
  /** The node names. */
  nodes: string[];
  /** Removes nothing from the API (the nodes stay, as a stopped kubelet's do); stops the loops. */
  close(): Promise<void>;
}

type P = Pod & KubeObject;

const rfc3339 = (ms: number): string => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

/**
 * Reports every pod bound to a simulated node Running and Ready, without starting anything, and
 * finishes the deletion of pods marked for deletion (kwok's pod stage).
 */
class SimulatedKubelet extends Controller {
  readonly name = 'simulated-kubelet';
  private readonly client: KubeClient;
  private readonly pods: Informer<P>;
  private readonly names: Set<string>;
  private readonly ips = new Map<string, string>();
  private nextIp = 1;

  constructor(client: KubeClient, names: Set<string>, options: { clock: Clock; workers: number }) {
    super({ clock: options.clock, workers: options.workers });
    this.client = client;
    this.names = names;
    this.pods = new Informer<P>(client, 'pods');
    const maybe = (pod: P): void => {
      if (this.names.has(pod.spec?.nodeName ?? '')) this.enqueue(objectKey(pod));
    };
    this.pods.addHandlers({ onAdd: maybe, onUpdate: (_old, pod) => maybe(pod) });
  }

  protected informers(): Informer[] {
    return [this.pods as unknown as Informer];
  }

  override async close(): Promise<void> {
    await super.close();
    await this.pods.close();
  }

  async reconcile(key: string): Promise<void> {
    const pod = this.pods.getByKey(key);
    if (!pod) return;
    const name = pod.metadata.name ?? '';
    const namespace = pod.metadata.namespace ?? '';
    try {
      if (pod.metadata.deletionTimestamp) {
        // The pod's containers are "stopped" at once: finish the graceful deletion.
        await this.client.request('DELETE', `/api/v1/namespaces/${namespace}/pods/${name}`, {
          body: { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 0 },
        });
        return;
      }
      if (pod.status?.phase === 'Running') return;
      await this.client.patch(
        'pods',
        name,
        { status: this.runningStatus(pod) },
        { namespace, subresource: 'status' },
      );
    } catch (err) {
      if (err instanceof StatusError && (err.status === 404 || err.status === 409)) return;
      throw err;
    }
  }

  private runningStatus(pod: P): Pod['status'] {
    const now = rfc3339(this.clock.now());
    const key = objectKey(pod);
    let ip = this.ips.get(key);
    if (!ip) {
      const n = this.nextIp++;
      // Loopback addresses: nothing may ever send traffic to a made-up address elsewhere.
      ip = `127.${100 + ((n >> 16) & 127)}.${(n >> 8) & 255}.${n & 255}`;
      this.ips.set(key, ip);
    }
    const cond = (type: string): { type: string; status: 'True'; lastTransitionTime: string } => ({
      type,
      status: 'True',
      lastTransitionTime: now,
    });
    return {
      phase: 'Running',
      conditions: ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'].map(cond),
      hostIP: '127.0.0.1',
      podIP: ip,
      podIPs: [{ ip }],
      startTime: now,
      containerStatuses: (pod.spec?.containers ?? []).map((c) => ({
        name: c.name,
        image: c.image ?? '',
        imageID: '',
        containerID: `simulated://${key}/${c.name}`,
        ready: true,
        started: true,
        restartCount: 0,
        state: { running: { startedAt: now } },
      })),
    };
  }
}

function nodeObject(name: string, options: SimulatedNodesOptions): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        type: 'simulated',
        ...options.labels,
      },
      annotations: { 'stratus.dev/simulated': 'true' },
    },
    spec: {},
  };
}

function nodeStatus(options: SimulatedNodesOptions, now: string): Node['status'] {
  const capacity = options.capacity ?? { cpu: '32', memory: '256Gi', pods: '110' };
  return {
    capacity,
    allocatable: capacity,
    conditions: [
      {
        type: 'Ready',
        status: 'True',
        reason: 'KubeletReady',
        message: 'simulated kubelet is posting ready status',
        lastHeartbeatTime: now,
        lastTransitionTime: now,
      },
    ],
    addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
    nodeInfo: {
      architecture: 'amd64',
      bootID: '',
      containerRuntimeVersion: 'simulated://1',
      kernelVersion: '',
      kubeProxyVersion: '',
      kubeletVersion: 'v1.32.0-stratus-simulated',
      machineID: '',
      operatingSystem: 'linux',
      osImage: 'simulated',
      systemUUID: '',
    },
  };
}

async function ignoreExists<T>(p: Promise<T>): Promise<void> {
  try {
    await p;
  } catch (err) {
    if (!(err instanceof StatusError && err.status === 409)) throw err;
  }
}

/** Runs `fn` over items with at most `limit` at once. */
async function parallel<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const run = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, run));
}

/**
 * Registers `count` simulated Nodes (Ready, with the given capacity), renews a Lease for each in
 * `kube-node-lease`, and reports pods bound to them Running and Ready without starting any
 * process, as kwok does: so that the scheduler and controllers can be tested and benchmarked at
 * hundreds of nodes on one machine. `stratus agent --simulate N` calls it.
 */
export async function startSimulatedNodes(options: SimulatedNodesOptions): Promise<SimulatedNodes> {
  const { client } = options;
  const clock = options.clock ?? systemClock;
  const prefix = options.namePrefix ?? 'sim-node-';
  const names = Array.from({ length: options.count }, (_, i) => `${prefix}${i}`);
  const now = rfc3339(clock.now());
  await parallel(names, 16, async (name) => {
    await ignoreExists(client.create('nodes', nodeObject(name, options)));
    await client.patch('nodes', name, { status: nodeStatus(options, now) }, { subresource: 'status' });
    const lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name, namespace: 'kube-node-lease' },
      spec: {
        holderIdentity: name,
        leaseDurationSeconds: 40,
        renewTime: rfc3339(clock.now()).replace('Z', '.000000Z'),
      },
    };
    await ignoreExists(client.create('leases', lease, { namespace: 'kube-node-lease' }));
  });
  const kubelet = new SimulatedKubelet(client, new Set(names), { clock, workers: options.workers ?? 16 });
  if (options.runPods !== false) await kubelet.start();
  let renewing: Promise<void> | undefined;
  const timer = setInterval(() => {
    if (renewing) return;
    const renewTime = rfc3339(clock.now()).replace('Z', '.000000Z');
    renewing = parallel(names, 8, async (name) => {
      await client
        .patch('leases', name, { spec: { renewTime } }, { namespace: 'kube-node-lease' })
        .catch(() => undefined);
    }).finally(() => (renewing = undefined));
  }, options.heartbeatMs ?? 10_000);
  timer.unref();
  return {
    nodes: names,
    async close() {
      clearInterval(timer);
      await renewing;
      await kubelet.close();
    },
  };
}
