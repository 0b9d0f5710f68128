import type { KubeObject } from '../common/kube-object.js';
import { parseQuantity } from '../common/quantity.js';
import type {
  BucketTraffic,
  ResourceSummary,
  S3UsageCounter,
  SeriesInfo,
  UsageDb,
  UsagePoint,
} from '../telemetry/index.js';
import type { ApiDeps } from './api-context.js';
import { agentGet } from './agent-get.js';

/** Options of the usage meter; every field has a default. */
export interface UsageMeterOptions {
  /**
   * How often the agents' windows are read; default 7 500 ms, half their 15 s sampling, so no
   * window is missed (a window is recorded once, by its timestamp).
   */
  intervalMs?: number;
  /** S3 traffic per bucket, from the gateway's hook; absent: buckets meter storage only. */
  s3?: S3UsageCounter;
  /**
   * Whether this server meters pods and storage from the start; default true. Several elected
   * servers meter them only while holding the controllers' Lease (`lead`), so that each window is
   * recorded once; every server records its own gateway's S3 traffic.
   */
  leading?: boolean;
}

const SUMMARY_LIMIT = 8 * 1024 * 1024;
const BUCKETS = 'buckets.storage.stratus.dev';
const RAW_STEP = 15;
/** How long traffic of a bucket the store does not list is kept for it (the mirror writes one within seconds). */
const UNLISTED_MS = 60_000;

interface PodSpecLike {
  containers?: { resources?: { requests?: Record<string, string> } }[];
}

function requests(pod: KubeObject): { cpu: number; memory: number } {
  let cpu = 0;
  let memory = 0;
  for (const c of ((pod['spec'] ?? {}) as PodSpecLike).containers ?? []) {
    const r = c.resources?.requests ?? {};
    cpu += Math.round((parseQuantity(r['cpu'] ?? '0') ?? 0) * 1000);
    memory += Math.round(parseQuantity(r['memory'] ?? '0') ?? 0);
  }
  return { cpu, memory };
}

/**
 * Meters usage into the `UsageDb`, as metrics-server scrapes kubelets: every `intervalMs` it reads
 * each node agent's last window (`/stats/resource`, the one `kubectl top` shows) and records it
 * once per pod as `[seconds, cpu-ms, KiB-seconds]` with the pod's namespace, workload owner,
 * labels and requests; buckets get their stored bytes (the Bucket's status) times the time since
 * the last round and the requests and bytes the S3 gateway counted. Compacts once a minute.
 * Pods and storage are metered only while `leading`.
 */
export class UsageMeter {
  readonly #deps: ApiDeps;
  readonly #db: UsageDb;
  readonly #s3: S3UsageCounter | undefined;
  readonly #timer: NodeJS.Timeout;
  readonly #lastWindow = new Map<string, string>();
  #lastBuckets: number | undefined;
  #lastCompact = 0;
  #running: Promise<void> = Promise.resolve();
  #leading: boolean;
  /** Traffic of buckets not (yet) listed, with when it was first seen. */
  #unlisted = new Map<string, { traffic: BucketTraffic; sinceMs: number }>();

  constructor(deps: ApiDeps, db: UsageDb, options: UsageMeterOptions = {}) {
    this.#deps = deps;
    this.#db = db;
    this.#s3 = options.s3;
    this.#leading = options.leading ?? true;
    this.#timer = setInterval(() => void this.tick(), options.intervalMs ?? 7_500);
    this.#timer.unref();
  }

  /**
   * Starts or stops metering pods and storage (on winning or losing the controllers' Lease); S3
   * traffic is recorded either way. Storage counts from the first round after it starts.
   */
  lead(on: boolean): void {
    this.#leading = on;
    this.#lastBuckets = undefined;
    this.#lastWindow.clear();
  }

  /** One metering round (the timer calls it; tests may too). Never throws: a failed round is skipped. */
  tick(): Promise<void> {
    this.#running = this.#running.then(() => this.#round().catch(() => undefined));
    return this.#running;
  }

  async #owner(pod: KubeObject, cache: Map<string, string>): Promise<string> {
    const ref = (pod.metadata?.ownerReferences ?? []).find((r) => r.controller === true);
    if (ref === undefined) return `Pod/${pod.metadata?.name ?? ''}`;
    if (ref.kind !== 'ReplicaSet') return `${ref.kind}/${ref.name}`;
    const key = `${pod.metadata?.namespace ?? ''}/${ref.name}`;
    let owner = cache.get(key);
    if (owner === undefined) {
      const rs = await this.#deps.store.get('replicasets.apps', pod.metadata?.namespace ?? '', ref.name);
      const up = (rs?.metadata?.ownerReferences ?? []).find((r) => r.controller === true);
      owner = up === undefined ? `ReplicaSet/${ref.name}` : `${up.kind}/${up.name}`;
      cache.set(key, owner);
    }
    return owner;
  }

  async #round(): Promise<void> {
    const nowMs = this.#deps.clock.now();
    const records: { series: number; points: UsagePoint[] }[] = [];
    const leading = this.#leading;
    const nodes = leading
      ? (await this.#deps.store.list('nodes')).items.map((n) => n.metadata?.name ?? '')
      : [];
    // Read once a node has answered: nodes without an agent (simulated ones) cost no pod list,
    // which at 150,000 pods would hold the event loop for seconds every round.
    let pods: Map<string, KubeObject> | undefined;
    const podsByUid = async (): Promise<Map<string, KubeObject>> => {
      if (pods === undefined) {
        pods = new Map();
        for (const p of (await this.#deps.store.list('pods')).items) pods.set(p.metadata?.uid ?? '', p);
      }
      return pods;
    };
    const owners = new Map<string, string>();
    for (const node of nodes) {
      let summary: ResourceSummary;
      try {
        summary = JSON.parse(
          await agentGet(this.#deps, node, '/stats/resource', SUMMARY_LIMIT),
        ) as ResourceSummary;
      } catch {
        continue;
      }
      if (summary.windowSeconds <= 0 || this.#lastWindow.get(node) === summary.timestamp) continue;
      this.#lastWindow.set(node, summary.timestamp);
      const seconds = summary.windowSeconds;
      const t = Math.floor(Date.parse(summary.timestamp) / 1000 / RAW_STEP) * RAW_STEP;
      const known = summary.pods.length > 0 ? await podsByUid() : new Map<string, KubeObject>();
      for (const u of summary.pods) {
        const pod = known.get(u.uid);
        if (pod === undefined) continue;
        const req = requests(pod);
        const info: SeriesInfo = {
          uid: u.uid,
          kind: 'pod',
          namespace: u.namespace,
          name: u.name,
          owner: await this.#owner(pod, owners),
          labels: pod.metadata?.labels ?? {},
          cpuRequestMilli: req.cpu,
          memRequestBytes: req.memory,
        };
        let nano = 0;
        let bytes = 0;
        for (const c of u.containers) {
          nano += c.usage.cpuNanoCores;
          bytes += c.usage.memoryBytes;
        }
        const values = [
          Math.round(seconds),
          Math.round((nano / 1e6) * seconds),
          Math.round((bytes / 1024) * seconds),
        ];
        records.push({ series: this.#db.series(info), points: [{ t, values }] });
      }
    }
    records.push(...(await this.#buckets(nowMs, leading)));
    this.#db.append(records);
    if (nowMs - this.#lastCompact >= 60_000) {
      this.#lastCompact = nowMs;
      this.#db.compact(Math.floor(nowMs / 1000));
    }
  }

  async #buckets(nowMs: number, leading: boolean): Promise<{ series: number; points: UsagePoint[] }[]> {
    const since = leading ? this.#lastBuckets : undefined;
    // Whole seconds, the remainder carried to the next round (rounds are 7.5 s apart).
    const seconds = since === undefined ? 0 : Math.floor((nowMs - since) / 1000);
    this.#lastBuckets = !leading ? undefined : since === undefined ? nowMs : since + seconds * 1000;
    const traffic = new Map<string, BucketTraffic>();
    for (const [name, u] of this.#unlisted) traffic.set(name, u.traffic);
    for (const [name, t] of this.#s3?.drain() ?? []) {
      const was = traffic.get(name) ?? { requests: 0, bytesIn: 0, bytesOut: 0 };
      traffic.set(name, {
        requests: was.requests + t.requests,
        bytesIn: was.bytesIn + t.bytesIn,
        bytesOut: was.bytesOut + t.bytesOut,
      });
    }
    const t = Math.floor(nowMs / 1000 / RAW_STEP) * RAW_STEP;
    const out: { series: number; points: UsagePoint[] }[] = [];
    for (const b of (await this.#deps.store.list(BUCKETS)).items) {
      const name = b.metadata?.name ?? '';
      const spec = (b['spec'] ?? {}) as { namespace?: string; owner?: string };
      const stored = ((b['status'] ?? {}) as { bytes?: number }).bytes ?? 0;
      const s3 = traffic.get(name) ?? { requests: 0, bytesIn: 0, bytesOut: 0 };
      traffic.delete(name);
      this.#unlisted.delete(name);
      if (seconds === 0 && s3.requests === 0) continue;
      const series = this.#db.series({
        uid: `bucket:${name}`,
        kind: 'bucket',
        namespace: spec.namespace ?? '',
        name,
        owner: `Bucket/${name}`,
        labels: b.metadata?.labels ?? {},
        cpuRequestMilli: 0,
        memRequestBytes: 0,
      });
      const values = [seconds, Math.round((stored / 1024) * seconds), s3.requests, s3.bytesIn, s3.bytesOut];
      out.push({ series, points: [{ t, values }] });
    }
    // A bucket's first requests come before the mirror writes its Bucket: kept for it a while (a
    // deleted bucket's last ones are dropped then).
    for (const [name, left] of traffic) {
      const sinceMs = this.#unlisted.get(name)?.sinceMs ?? nowMs;
      if (nowMs - sinceMs < UNLISTED_MS) this.#unlisted.set(name, { traffic: left, sinceMs });
      else this.#unlisted.delete(name);
    }
    return out;
  }

  /** Stops the timer and waits for a round in progress; the database is the caller's to close. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running;
  }
}
