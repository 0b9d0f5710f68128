/**
 * Resource usage as the node agent reports it and the metrics API serves it: cumulative counters
 * sampled at two instants become a CPU rate over the window between them, as kubelet's resource
 * metrics and metrics-server compute it. Pure: no I/O.
 */

/** Cumulative counters of one container or node at one instant. */
export interface CumulativeUsage {
  /** CPU time used since the container (or the machine) started. */
  cpuSeconds: number;
  /** Memory in use now (working set: resident memory, not reclaimable cache). */
  memoryBytes: number;
}

/** Usage over a window: CPU as a rate in nanocores (1e9 = one core), memory at the window's end. */
export interface Usage {
  cpuNanoCores: number;
  memoryBytes: number;
}

/** One container's cumulative counters, named as the API names it. */
export interface ContainerSample {
  namespace: string;
  pod: string;
  podUid: string;
  container: string;
  /** The runtime's container id: a restarted container is a new series. */
  id: string;
  usage: CumulativeUsage;
}

/** One sampling round of a node. */
export interface NodeSample {
  /** Milliseconds since the epoch. */
  atMs: number;
  node?: CumulativeUsage;
  containers: ContainerSample[];
}

/** A pod's containers' usage over the window. */
export interface PodUsage {
  namespace: string;
  name: string;
  uid: string;
  containers: { name: string; usage: Usage }[];
}

/**
 * What `GET /stats/resource` on an agent answers: the usage between its last two samples. Empty
 * (no `node`, no pods) until two samples exist.
 */
export interface ResourceSummary {
  node: string;
  /** RFC 3339 time of the newer sample. */
  timestamp: string;
  windowSeconds: number;
  nodeUsage?: Usage;
  pods: PodUsage[];
}

function rate(prev: CumulativeUsage, cur: CumulativeUsage, seconds: number): Usage {
  const cpu = Math.max(0, cur.cpuSeconds - prev.cpuSeconds);
  return { cpuNanoCores: Math.round((cpu / seconds) * 1e9), memoryBytes: Math.round(cur.memoryBytes) };
}

/**
 * The usage between two samples of one node. A container counts only when the same runtime
 * container is in both (a new or restarted container shows from its second sample, as with
 * metrics-server); pods are listed by namespace then name.
 */
export function summarize(node: string, prev: NodeSample | undefined, cur: NodeSample): ResourceSummary {
  const empty: ResourceSummary = {
    node,
    timestamp: new Date(cur.atMs).toISOString(),
    windowSeconds: 0,
    pods: [],
  };
  if (prev === undefined || cur.atMs <= prev.atMs) return empty;
  const seconds = (cur.atMs - prev.atMs) / 1000;
  const before = new Map(prev.containers.map((c) => [c.id, c.usage]));
  const pods = new Map<string, PodUsage>();
  for (const c of cur.containers) {
    const was = before.get(c.id);
    if (was === undefined) continue;
    let pod = pods.get(c.podUid);
    if (pod === undefined) {
      pod = { namespace: c.namespace, name: c.pod, uid: c.podUid, containers: [] };
      pods.set(c.podUid, pod);
    }
    pod.containers.push({ name: c.container, usage: rate(was, c.usage, seconds) });
  }
  const out: ResourceSummary = {
    ...empty,
    windowSeconds: seconds,
    pods: [...pods.values()].sort((a, b) =>
      a.namespace === b.namespace ? a.name.localeCompare(b.name) : a.namespace.localeCompare(b.namespace),
    ),
  };
  if (prev.node !== undefined && cur.node !== undefined) out.nodeUsage = rate(prev.node, cur.node, seconds);
  return out;
}

/** A CPU rate as a Kubernetes quantity in nanocores (`123456n`), the form metrics-server sends. */
export function cpuQuantity(nanoCores: number): string {
  return `${Math.max(0, Math.round(nanoCores))}n`;
}

/** Bytes as a Kubernetes quantity: `Ki` when whole kibibytes, else plain bytes. */
export function memoryQuantity(bytes: number): string {
  const b = Math.max(0, Math.round(bytes));
  return b % 1024 === 0 ? `${b / 1024}Ki` : String(b);
}

/** Seconds as a Go duration string (`15s`, `15.002s`), the form of `window` in metrics.k8s.io. */
export function goDuration(seconds: number): string {
  return `${Number(seconds.toFixed(3))}s`;
}
