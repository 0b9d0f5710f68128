import type { KubeObject } from '../../common/kube-object.js';
import {
  alreadyExists,
  conflict,
  invalidObject,
  notFound,
  revisionCompacted,
  storeClosed,
} from '../errors.js';
import type { ListOptions, ListResult, Store, WatchEvent, WatchOptions, Watcher } from '../store.js';
import { compileWatchFilter } from '../watch-filter.js';
import type { Compare, EtcdClient, EtcdTls, TxnResponse } from './etcd-client.js';
import { isCompactedError, isFutureRevisionError } from './etcd-errors.js';
import { EtcdKeys } from './etcd-keys.js';
import { kvObject, listPage } from './etcd-list.js';
import { EtcdWatch } from './etcd-watch.js';

/** Options of EtcdStore.open; every field has a default. */
export interface EtcdStoreOptions {
  /** Key prefix of every object, so several clusters (or tests) can share one etcd; default `/stratus/`. */
  prefix?: string;
  /** Deadline of each etcd call; default 10_000 ms. */
  callTimeoutMs?: number;
  /**
   * How often history is compacted (kube-apiserver's `--etcd-compaction-interval`): each run
   * compacts to the revision the previous run saw, so watches can resume from up to one interval
   * back. Default 300_000 ms (5 min); 0 disables it.
   */
  compactIntervalMs?: number;
  /** TLS with a client certificate to the members; default plaintext. */
  tls?: EtcdTls;
}

/**
 * The Store on etcd v3, with kube-apiserver's etcd3 semantics: an object's resourceVersion is
 * its key's mod revision (etcd's global revision counter is the store's); a create is a
 * transaction on the key's absence (mod revision 0), an update or delete one on its mod revision
 * (the caller's precondition, or mere existence); lists read one revision for all their pages;
 * watches start from a revision and get 410 below etcd's compaction point. Values are the JSON
 * text of the object without its resourceVersion, which reads fill in from the mod revision.
 */
export class EtcdStore implements Store {
  private readonly keys: EtcdKeys;
  private readonly watches = new Set<EtcdWatch<WatchEvent>>();
  private compacted = 0;
  private closed = false;
  private lastSeen = 0;
  private readonly timer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly client: EtcdClient,
    prefix: string,
    compactIntervalMs: number,
  ) {
    this.keys = new EtcdKeys(prefix);
    if (compactIntervalMs > 0) {
      this.timer = setInterval(() => {
        this.compactHistory().catch((err: unknown) =>
          process.emitWarning(`etcd compaction failed: ${String(err)}`, 'StratusStoreWarning'),
        );
      }, compactIntervalMs);
      this.timer.unref();
    }
  }

  /**
   * Connects to the members at `endpoints` (`host:port`) and checks that one answers; rejects
   * with STORE_UNAVAILABLE when none does. The gRPC client loads on the first call.
   */
  static async open(endpoints: readonly string[], options: EtcdStoreOptions = {}): Promise<EtcdStore> {
    // Loaded here, not at import: gRPC costs a server on SQLite a noticeable part of its start.
    const { EtcdClient } = await import('./etcd-client.js');
    const client = new EtcdClient(endpoints, {
      ...(options.callTimeoutMs !== undefined ? { callTimeoutMs: options.callTimeoutMs } : {}),
      ...(options.tls !== undefined ? { tls: options.tls } : {}),
    });
    const store = new EtcdStore(client, options.prefix ?? '/stratus/', options.compactIntervalMs ?? 300_000);
    try {
      await store.currentRevision();
    } catch (err) {
      await client.close();
      throw err;
    }
    return store;
  }

  async get(resource: string, namespace: string, name: string): Promise<KubeObject | undefined> {
    this.check();
    const res = await this.client.range({ key: this.keys.object(resource, namespace, name) });
    const kv = res.kvs[0];
    return kv === undefined ? undefined : kvObject(kv);
  }

  list(resource: string, options: ListOptions = {}): Promise<ListResult> {
    this.check();
    return listPage(this.client, this.keys, resource, { ...options, compacted: this.compacted });
  }

  async create(resource: string, object: KubeObject): Promise<KubeObject> {
    this.check();
    const { namespace, name, key, value } = this.encode(resource, object);
    const res = await this.client.txn({
      compare: [modIs(key, 'EQUAL', 0)],
      success: [{ request_put: { key, value } }],
      failure: [],
    });
    if (!res.succeeded) throw alreadyExists(resource, namespace, name);
    return withRevision(value, res.header.revision);
  }

  async update(resource: string, object: KubeObject): Promise<KubeObject> {
    this.check();
    const { namespace, name, key, value } = this.encode(resource, object);
    const expected = object.metadata.resourceVersion;
    const res = await this.client.txn({
      compare: [precondition(key, expected)],
      success: [{ request_put: { key, value } }],
      failure: [{ request_range: { key } }],
    });
    if (!res.succeeded) throw failure(res, resource, namespace, name, expected);
    return withRevision(value, res.header.revision);
  }

  async delete(
    resource: string,
    namespace: string,
    name: string,
    options: { expectedResourceVersion?: string } = {},
  ): Promise<KubeObject> {
    this.check();
    const key = this.keys.object(resource, namespace, name);
    const expected = options.expectedResourceVersion;
    const res = await this.client.txn({
      compare: [precondition(key, expected)],
      success: [{ request_delete_range: { key, prev_kv: true } }],
      failure: [{ request_range: { key } }],
    });
    if (!res.succeeded) throw failure(res, resource, namespace, name, expected);
    const prev = res.responses[0]?.response_delete_range?.prev_kvs[0];
    if (prev === undefined) throw notFound(resource, namespace, name);
    return withRevision(prev.value, res.header.revision);
  }

  async watch(
    resource: string,
    options: WatchOptions,
    onEvent: (event: WatchEvent) => void,
  ): Promise<Watcher> {
    this.check();
    const filter = compileWatchFilter(options);
    const from = Math.max(0, Math.floor(options.fromRevision));
    await this.checkNotCompacted(from);
    const watch = new EtcdWatch(
      {
        client: this.client,
        key: this.keys.start(resource),
        rangeEnd: this.keys.end(resource),
        parse: (key) => this.keys.parse(resource, key),
        currentRevision: () => this.currentRevision(),
      },
      from,
      filter,
      onEvent,
      (w) => this.watches.delete(w),
    );
    this.watches.add(watch);
    await watch.start();
    return watch;
  }

  /** etcd's current revision, from a linearizable read. */
  async currentRevision(): Promise<number> {
    this.check();
    const key = Buffer.from(this.keys.prefix, 'utf8');
    const res = await this.client.range({ key, count_only: true, limit: 1 });
    return res.header.revision;
  }

  /**
   * Compacts etcd's history at `revision` (clamped to the current one), physically, so it is
   * done when this resolves. This compacts the whole etcd, as kube-apiserver's compactor does.
   */
  async compact(revision: number): Promise<void> {
    this.check();
    const target = Math.min(Math.floor(revision), await this.currentRevision());
    if (target <= 0) return;
    try {
      await this.client.compact(target);
    } catch (err) {
      if (!isCompactedError(err)) throw err;
    }
    this.compacted = Math.max(this.compacted, target);
  }

  /**
   * One run of the periodic compaction (exposed so tests need not wait): compacts to the
   * revision the previous run saw, then remembers the current one.
   */
  async compactHistory(): Promise<void> {
    const now = await this.currentRevision();
    if (this.lastSeen > 0) await this.compact(this.lastSeen);
    this.lastSeen = now;
  }

  /** Ends every watch and closes the connections. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    await Promise.all([...this.watches].map((w) => w.close()));
    await this.client.close();
  }

  private check(): void {
    if (this.closed) throw storeClosed();
  }

  /**
   * etcd accepts a watch from its compaction revision itself; the Store contract gives 410
   * below it, as a read at `revision` does.
   */
  private async checkNotCompacted(from: number): Promise<void> {
    try {
      await this.client.range({
        key: Buffer.from(this.keys.prefix),
        count_only: true,
        revision: Math.max(1, from),
      });
    } catch (err) {
      if (isCompactedError(err)) throw revisionCompacted(from, Math.max(this.compacted, from + 1));
      if (!isFutureRevisionError(err)) throw err;
    }
  }

  private encode(
    resource: string,
    object: KubeObject,
  ): { namespace: string; name: string; key: Buffer; value: Buffer } {
    const meta = object.metadata as KubeObject['metadata'] | undefined;
    const name = meta?.name;
    if (typeof name !== 'string' || name === '') throw invalidObject(resource, 'metadata.name is required');
    const namespace = meta?.namespace ?? '';
    if (typeof namespace !== 'string') throw invalidObject(resource, 'metadata.namespace must be a string');
    if (name.includes('\0') || namespace.includes('\0')) {
      throw invalidObject(resource, 'metadata.name and metadata.namespace cannot hold NUL');
    }
    const { resourceVersion: _drop, ...metadata } = object.metadata;
    let text: string;
    try {
      text = JSON.stringify({ ...object, metadata });
    } catch (err) {
      throw invalidObject(resource, `the object is not JSON: ${(err as Error).message}`);
    }
    const key = this.keys.object(resource, namespace, name);
    return { namespace, name, key, value: Buffer.from(text, 'utf8') };
  }
}

function modIs(key: Buffer, result: Compare['result'], revision: number): Compare {
  return { key, target: 'MOD', result, mod_revision: revision };
}

/**
 * The transaction's condition: the key's mod revision equals the caller's resourceVersion, or,
 * without one, the key exists. A resourceVersion that is no revision never matches (a conflict).
 */
function precondition(key: Buffer, expected: string | undefined): Compare {
  if (expected === undefined || expected === '') return modIs(key, 'GREATER', 0);
  return modIs(key, 'EQUAL', /^[1-9][0-9]{0,15}$/.test(expected) ? Number(expected) : -1);
}

/** Why a conditional write failed, from the key as the failure branch read it. */
function failure(
  res: TxnResponse,
  resource: string,
  namespace: string,
  name: string,
  expected: string | undefined,
): Error {
  const current = res.responses[0]?.response_range?.kvs[0];
  if (current === undefined) return notFound(resource, namespace, name);
  return conflict(resource, namespace, name, expected ?? '', current.mod_revision);
}

/** A fresh object from stored JSON text, with `revision` as its resourceVersion. */
function withRevision(value: Buffer | string, revision: number): KubeObject {
  const object = JSON.parse(typeof value === 'string' ? value : value.toString('utf8')) as KubeObject;
  object.metadata.resourceVersion = String(revision);
  return object;
}
