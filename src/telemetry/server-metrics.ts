import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { KeyedHistogram } from './keyed-histogram.js';

/** The labels of one API request, as kube-apiserver labels its request metrics. */
export interface ApiRequestLabels {
  /** LIST, WATCH, GET, POST, PUT, PATCH, DELETE, … (upper case, as Kubernetes). */
  verb: string;
  group: string;
  version: string;
  resource: string;
  subresource: string;
  /** `resource`, `namespace`, `cluster`, or '' for a non-resource request. */
  scope: string;
}

const REQUEST_LABELS = ['verb', 'group', 'version', 'resource', 'subresource', 'scope', 'component'] as const;
/** kube-apiserver's buckets for apiserver_request_duration_seconds. */
const LATENCY_BUCKETS = [
  0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60,
];

/**
 * The control plane's metrics, registered in the server's registry: the API server's requests
 * (`apiserver_request_total`, `apiserver_request_duration_seconds`, `apiserver_longrunning_requests`
 * for watches) with kube-apiserver's names and labels, and the store's group commits (batch size
 * and commit time, which under `synchronous=FULL` is mostly the WAL fsync).
 */
export class ServerMetrics {
  private readonly requests: Counter<(typeof REQUEST_LABELS)[number] | 'code'>;
  /** Requests counted since the last scrape, by label set and code: added to `requests` then. */
  private readonly counts = new Map<string, { labels: Record<string, string>; n: number }>();
  private readonly latency: KeyedHistogram;
  private readonly longRunning: Gauge<(typeof REQUEST_LABELS)[number]>;
  private readonly batchSize: Histogram;
  private readonly commitSeconds: Histogram;

  constructor(registry: Registry) {
    const registers = [registry];
    this.requests = new Counter({
      name: 'apiserver_request_total',
      help: 'Counter of apiserver requests broken out for each verb, group, version, resource, scope, component, and HTTP response code.',
      labelNames: [...REQUEST_LABELS, 'code'],
      registers,
      collect: () => this.flushCounts(),
    });
    this.latency = new KeyedHistogram(
      'apiserver_request_duration_seconds',
      'Response latency distribution in seconds for each verb, group, version, resource, subresource, scope and component (watches excluded).',
      LATENCY_BUCKETS,
      registry,
    );
    this.longRunning = new Gauge({
      name: 'apiserver_longrunning_requests',
      help: 'Gauge of all active long-running apiserver requests (watches, log streams) broken out by verb, group, version, resource, scope and component.',
      labelNames: [...REQUEST_LABELS],
      registers,
    });
    this.batchSize = new Histogram({
      name: 'stratus_store_commit_batch_size',
      help: 'Writes committed in one store transaction (group commit).',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1000],
      registers,
    });
    this.commitSeconds = new Histogram({
      name: 'stratus_store_commit_duration_seconds',
      help: 'Time of one store transaction commit; with synchronous=FULL mostly the fsync of the write-ahead log.',
      buckets: [0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024],
      registers,
    });
  }

  /** Counts a finished request, and its latency unless it was long-running. */
  requestDone(labels: ApiRequestLabels, code: number, seconds: number, longRunning: boolean): void {
    // Found by a key of the label values: a request costs a Map lookup, not prom-client's
    // validation and hashing of a labels object (a few µs each, on every request).
    const key = `${labels.verb}\0${labels.group}\0${labels.version}\0${labels.resource}\0${labels.subresource}\0${labels.scope}`;
    const countKey = `${key}\0${code}`;
    let count = this.counts.get(countKey);
    if (count === undefined) {
      count = { labels: { ...labels, component: 'apiserver', code: String(code) }, n: 0 };
      this.counts.set(countKey, count);
    }
    count.n++;
    if (!longRunning) this.latency.observe(key, () => ({ ...labels, component: 'apiserver' }), seconds);
  }

  /** Adds the requests counted since the last scrape to the counter (its `collect`). */
  private flushCounts(): void {
    for (const count of this.counts.values()) {
      if (count.n === 0) continue;
      this.requests.inc(count.labels, count.n);
      count.n = 0;
    }
  }

  /** Counts a long-running request as active until the returned function is called. */
  longRunningStarted(labels: ApiRequestLabels): () => void {
    const l = { ...labels, component: 'apiserver' };
    this.longRunning.inc(l);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.longRunning.dec(l);
    };
  }

  /** Records one store commit. */
  storeCommit(writes: number, seconds: number): void {
    this.batchSize.observe(writes);
    this.commitSeconds.observe(seconds);
  }
}

/** What the S3 gateway reports of one request (its `onRequest` hook). */
export interface S3RequestRecord {
  /** The S3 operation (`PutObject`, `ListObjectsV2`, …), or `Unknown` when it was not routed. */
  operation: string;
  status: number;
  seconds: number;
  bytesIn: number;
  bytesOut: number;
  /** The bucket of an authenticated request to one. */
  bucket?: string;
}

/**
 * The S3 gateway's metrics: requests by operation and HTTP code, latency by operation, and bytes
 * received and sent on the connection per operation (headers included).
 */
export class S3Metrics {
  private readonly requests: Counter<'operation' | 'code'>;
  private readonly latency: Histogram<'operation'>;
  private readonly bytesIn: Counter<'operation'>;
  private readonly bytesOut: Counter<'operation'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.requests = new Counter({
      name: 'stratus_s3_requests_total',
      help: 'S3 requests by operation and HTTP status code.',
      labelNames: ['operation', 'code'],
      registers,
    });
    this.latency = new Histogram({
      name: 'stratus_s3_request_duration_seconds',
      help: 'S3 request latency from its headers to the end of its answer, by operation.',
      labelNames: ['operation'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.bytesIn = new Counter({
      name: 'stratus_s3_received_bytes_total',
      help: 'Bytes received on S3 connections by operation.',
      labelNames: ['operation'],
      registers,
    });
    this.bytesOut = new Counter({
      name: 'stratus_s3_sent_bytes_total',
      help: 'Bytes sent on S3 connections by operation.',
      labelNames: ['operation'],
      registers,
    });
  }

  /** The gateway's hook: records one finished request. */
  readonly record = (r: S3RequestRecord): void => {
    const operation = { operation: r.operation };
    this.requests.inc({ ...operation, code: String(r.status) });
    this.latency.observe(operation, r.seconds);
    if (r.bytesIn > 0) this.bytesIn.inc(operation, r.bytesIn);
    if (r.bytesOut > 0) this.bytesOut.inc(operation, r.bytesOut);
  };
}
