import type { KubeObject } from '../common/kube-object.js';
import { compileFieldSelector, compileLabelSelector } from '../common/selector.js';
import { decodeContinue, encodeContinue } from './continue-token.js';
import { continueExpired } from './errors.js';
import type { ListRow, Statements } from './sqlite-schema.js';
import type { ListOptions, ListResult, StoredList } from './store.js';

/** Rows read per statement when a limit is set; selectors may need several reads to fill a page. */
const MIN_CHUNK = 256;

/**
 * Reads one list page from the `current` table in (namespace, name) order. Pages are read from
 * the latest state at the time each page is requested, strictly after the previous page's last
 * key: an object that exists throughout the listing appears exactly once; one created or deleted
 * meanwhile may or may not. Every page reports the first page's revision, so a watch started from
 * it replays whatever changed while paging (delivery is at least once, which level-triggered
 * clients need). A token whose first-page revision is compacted fails with 410, as in Kubernetes.
 */
export function listPage(
  stmts: Statements,
  resource: string,
  options: ListOptions,
  state: { revision: number; compacted: number },
): ListResult {
  const namespace = options.namespace ?? '';
  const labels = options.labelSelector ? compileLabelSelector(options.labelSelector) : undefined;
  const fields = options.fieldSelector ? compileFieldSelector(options.fieldSelector) : undefined;
  const limit = options.limit !== undefined && options.limit > 0 ? Math.floor(options.limit) : 0;
  const start = startPosition(options, state);
  const revision = start.revision;
  let scanNs = start.namespace;
  let scanName = start.name;
  const read = (chunk: number): ListRow[] =>
    namespace === ''
      ? stmts.listAll.all(resource, scanNs, scanName, chunk)
      : stmts.listNamespace.all(resource, namespace, scanNs === namespace ? scanName : '', chunk);
  const items: KubeObject[] = [];
  const chunk = limit > 0 ? Math.max(limit + 1, MIN_CHUNK) : Number.MAX_SAFE_INTEGER;
  let more = false;
  let last: ListRow | undefined;
  for (;;) {
    const rows = read(chunk);
    for (const row of rows) {
      scanNs = row.namespace;
      scanName = row.name;
      const object = JSON.parse(row.value) as KubeObject;
      if (labels !== undefined && !labels(object.metadata.labels)) continue;
      if (fields !== undefined && !fields(object)) continue;
      if (limit > 0 && items.length === limit) {
        more = true;
        break;
      }
      items.push(object);
      last = row;
    }
    if (more || rows.length < chunk) break;
  }
  const result: ListResult = { items, revision };
  if (more && last !== undefined) {
    result.continue = encodeContinue({ revision, namespace: last.namespace, name: last.name });
    if (labels === undefined && fields === undefined) {
      result.remainingItemCount =
        namespace === ''
          ? (stmts.countAll.get(resource, last.namespace, last.name) ?? 0)
          : (stmts.countNamespace.get(resource, namespace, last.name) ?? 0);
    }
  }
  return result;
}

/** Where a listing starts: after the continue token's key, at its revision; else at the start. */
function startPosition(
  options: Pick<ListOptions, 'continue'>,
  state: { revision: number; compacted: number },
): { revision: number; namespace: string; name: string } {
  if (!options.continue) return { revision: state.revision, namespace: '', name: '' };
  const pos = decodeContinue(options.continue);
  if (pos.revision < state.compacted) throw continueExpired(pos.revision, state.compacted);
  return pos;
}

/**
 * A page of every namespace's objects as stored (JSON text, no parse), in key order, with the
 * same paging as `listPage`: what a watch cache loads from.
 */
export function listStoredPage(
  stmts: Statements,
  resource: string,
  options: Pick<ListOptions, 'limit' | 'continue'>,
  state: { revision: number; compacted: number },
): StoredList {
  const { revision, namespace, name } = startPosition(options, state);
  const limit = options.limit !== undefined && options.limit > 0 ? Math.floor(options.limit) : 0;
  const rows = stmts.listAll.all(resource, namespace, name, limit > 0 ? limit + 1 : Number.MAX_SAFE_INTEGER);
  const more = limit > 0 && rows.length > limit;
  const items = more ? rows.slice(0, limit) : rows;
  const result: StoredList = { items, revision };
  const last = items[items.length - 1];
  if (more && last !== undefined) {
    result.continue = encodeContinue({ revision, namespace: last.namespace, name: last.name });
  }
  return result;
}
