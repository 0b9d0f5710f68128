import type { KubeObject } from '../../common/kube-object.js';
import { compileFieldSelector, compileLabelSelector } from '../../common/selector.js';
import { decodeContinue, encodeContinue } from '../continue-token.js';
import { continueExpired } from '../errors.js';
import type { ListOptions, ListResult } from '../store.js';
import type { EtcdClient, KeyValue } from './etcd-client.js';
import { isCompactedError } from './etcd-errors.js';
import type { EtcdKeys } from './etcd-keys.js';

/** Keys read per range when selectors may drop most of them. */
const SELECTIVE_CHUNK = 256;

/** An object as etcd holds it, with its mod revision as resourceVersion. */
export function kvObject(kv: KeyValue): KubeObject {
  const object = JSON.parse(kv.value.toString('utf8')) as KubeObject;
  object.metadata.resourceVersion = String(kv.mod_revision);
  return object;
}

/**
 * Reads one list page as kube-apiserver's etcd3 storage does: the first page reads the latest
 * revision and every later page reads that same revision (carried in the continue token), so a
 * paged list is one consistent snapshot. A token whose revision etcd has compacted fails with
 * 410. Selectors are applied here, reading further ranges until the page is full.
 */
export async function listPage(
  client: EtcdClient,
  keys: EtcdKeys,
  resource: string,
  options: ListOptions & { compacted: number },
): Promise<ListResult> {
  const namespace = options.namespace ?? '';
  const labels = options.labelSelector ? compileLabelSelector(options.labelSelector) : undefined;
  const fields = options.fieldSelector ? compileFieldSelector(options.fieldSelector) : undefined;
  const selective = labels !== undefined || fields !== undefined;
  const limit = options.limit !== undefined && options.limit > 0 ? Math.floor(options.limit) : 0;
  const end = keys.end(resource, namespace);
  let start = keys.start(resource, namespace);
  let revision = 0;
  if (options.continue) {
    const pos = decodeContinue(options.continue);
    revision = pos.revision;
    const after = keys.after(resource, pos.namespace, pos.name);
    if (Buffer.compare(after, start) > 0) start = after;
  }
  const chunk = limit === 0 ? 0 : selective ? Math.max(limit + 1, SELECTIVE_CHUNK) : limit + 1;
  const items: KubeObject[] = [];
  let last: { namespace: string; name: string } | undefined;
  let more = false;
  let remaining: number | undefined;
  for (;;) {
    const res = await client
      .range({ key: start, range_end: end, limit: chunk, ...(revision > 0 ? { revision } : {}) })
      .catch((err: unknown) => {
        if (isCompactedError(err)) throw continueExpired(revision, Math.max(options.compacted, revision + 1));
        throw err;
      });
    if (revision === 0) revision = res.header.revision;
    let consumed = 0;
    for (const kv of res.kvs) {
      const object = kvObject(kv);
      if (
        (labels === undefined || labels(object.metadata.labels)) &&
        (fields === undefined || fields(object))
      ) {
        if (limit > 0 && items.length === limit) {
          more = true;
          break;
        }
        items.push(object);
        last = keys.parse(resource, kv.key);
      }
      consumed++;
    }
    if (more && !selective) remaining = res.count - consumed;
    const lastKv = res.kvs[res.kvs.length - 1];
    if (more || !res.more || lastKv === undefined) break;
    start = Buffer.concat([lastKv.key, Buffer.from([0])]);
  }
  const result: ListResult = { items, revision };
  if (more && last !== undefined) {
    result.continue = encodeContinue({ revision, ...last });
    if (remaining !== undefined) result.remainingItemCount = remaining;
  }
  return result;
}
