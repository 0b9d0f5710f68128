import type { KubeObject } from '../common/kube-object.js';
import type { ResourceType } from '../resources/index.js';
import { hasCode } from '../common/stratus-error.js';
import type { CacheEvent, ReadAt, Watcher, WatchOptions } from '../store/index.js';
import { apiVersionOf, type ApiDeps } from './api-context.js';
import { listOptions } from './crud-handlers.js';
import { watchStart } from './list-options.js';
import { wantsTable } from './http-io.js';
import type { ResourceRequest } from './resource-request.js';
import { errorToStatus } from './status-errors.js';
import { buildTable, parseIncludeObject, TABLE_CONTENT_TYPE } from './table.js';

/** A slow watcher holding more than this many unsent bytes is cut off; it re-lists and re-watches. */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;
/** Kubernetes' default upper bound of a watch request without timeoutSeconds. */
const DEFAULT_TIMEOUT_SECONDS = 1800;

/** Options of watches that tests shorten. */
export interface WatchSettings {
  /** Interval of BOOKMARK events for `allowWatchBookmarks=true`; default one minute. */
  bookmarkIntervalMs: number;
}

/** Each event's line as JSON watches send it, made once for all of them (kube-apiserver's caching serializer). */
const LINES = new WeakMap<CacheEvent, string>();

function jsonLine(event: CacheEvent): string {
  let line = LINES.get(event);
  if (line === undefined) {
    line = `{"type":"${event.type}","object":${event.json}}\n`;
    LINES.set(event, line);
  }
  return line;
}

/** The set of open watches, so the server can end them on close. */
export type WatchRegistry = Set<() => void>;

/**
 * Serves `?watch=true` from the watch cache: newline-delimited JSON events on a chunked 200
 * reply, each carrying the object's cached JSON text (serialized once for every watcher). Without a
 * resourceVersion (or with `0`) the current objects arrive first as ADDED; with one, changes
 * after it; a compacted one gets an ERROR event carrying a 410 `Expired` Status, as Kubernetes
 * sends. Table-form events when the Accept header asks for tables; BOOKMARKs with
 * `allowWatchBookmarks`; ends after `timeoutSeconds` or when the client goes away.
 */
export async function handleWatch(
  deps: ApiDeps,
  r: ResourceRequest,
  settings: WatchSettings,
  open: WatchRegistry,
): Promise<void> {
  const { res, type } = r;
  const options = listOptions(r);
  if (r.name !== undefined) {
    const byName = `metadata.name=${r.name}`;
    options.fieldSelector = options.fieldSelector ? `${options.fieldSelector},${byName}` : byName;
  }
  const start = watchStart(r.query);
  const timeoutRaw = Number(r.query.get('timeoutSeconds') ?? DEFAULT_TIMEOUT_SECONDS);
  const timeoutSeconds =
    Number.isFinite(timeoutRaw) && timeoutRaw > 0
      ? Math.min(timeoutRaw, DEFAULT_TIMEOUT_SECONDS)
      : DEFAULT_TIMEOUT_SECONDS;
  const table = wantsTable(r.req.headers.accept);
  const includeObject = parseIncludeObject(r.query.get('includeObject'));

  let initial: string[] = [];
  let fromRevision: number;
  if (start.initialEvents) {
    const listed = await deps.store.listCached(
      type.storageResource,
      {
        ...(options.namespace !== undefined ? { namespace: options.namespace } : {}),
        ...(options.labelSelector !== undefined ? { labelSelector: options.labelSelector } : {}),
        ...(options.fieldSelector !== undefined ? { fieldSelector: options.fieldSelector } : {}),
      },
      initialState(start.resourceVersion),
    );
    initial = listed.items.map((e) => e.json);
    fromRevision = listed.revision;
  } else if (start.resourceVersion === '' || start.resourceVersion === '0') {
    fromRevision = await deps.store.currentRevision();
  } else {
    fromRevision = Number(start.resourceVersion);
  }

  let lastRevision = fromRevision;
  let ended = false;
  let ready = false;
  const pending: string[] = [];
  // The cached JSON text goes out as is; only Table watches parse it to build their rows.
  const encode = (eventType: string, json: string): string => {
    if (!table) return `{"type":"${eventType}","object":${json}}\n`;
    const object = JSON.parse(json) as KubeObject;
    const payload = buildTable(type, [object], {
      now: deps.clock.now(),
      includeObject,
      ...(object.metadata.resourceVersion !== undefined
        ? { resourceVersion: object.metadata.resourceVersion }
        : {}),
    });
    return `${JSON.stringify({ type: eventType, object: payload })}\n`;
  };
  // Events delivered in one batch (one turn of the cache's delivery) leave in one socket write.
  let corked = false;
  const uncork = (): void => {
    corked = false;
    res.uncork();
    if (res.writableLength > MAX_BUFFERED_BYTES) end();
  };
  const write = (line: string): void => {
    if (ended) return;
    if (!ready) {
      pending.push(line);
      return;
    }
    if (!corked) {
      corked = true;
      res.cork();
      queueMicrotask(uncork);
    }
    res.write(line);
  };

  let watcher: Watcher | undefined;
  const timers: { timeout?: NodeJS.Timeout; bookmark?: NodeJS.Timeout } = {};
  const end = (): void => {
    if (ended) return;
    ended = true;
    open.delete(end);
    clearTimeout(timers.timeout);
    clearTimeout(timers.bookmark);
    if (watcher !== undefined) void watcher.close();
    if (!res.writableEnded) res.end();
  };

  const watchOptions: WatchOptions = { fromRevision };
  if (options.namespace !== undefined) watchOptions.namespace = options.namespace;
  if (options.labelSelector !== undefined) watchOptions.labelSelector = options.labelSelector;
  if (options.fieldSelector !== undefined) watchOptions.fieldSelector = options.fieldSelector;
  let startError: unknown;
  try {
    watcher = await deps.store.watchCached(type.storageResource, watchOptions, (event: CacheEvent) => {
      if (event.revision > lastRevision) lastRevision = event.revision;
      write(table ? encode(event.type, event.json) : jsonLine(event));
    });
  } catch (err) {
    // As kube-apiserver's cacher: a resourceVersion too old or never reached ends the watch
    // with an ERROR event (410 Expired, 504 Timeout) rather than an HTTP error.
    if (!hasCode(err, 'STORE_REVISION_COMPACTED') && !hasCode(err, 'STORE_TOO_LARGE_RESOURCE_VERSION'))
      throw err;
    startError = err;
  }

  res.writeHead(200, {
    'content-type': table ? TABLE_CONTENT_TYPE : 'application/json',
    'cache-control': 'no-cache, private',
    'transfer-encoding': 'chunked',
  });
  res.flushHeaders();
  open.add(end);
  res.on('close', end);
  ready = true;

  if (startError !== undefined) {
    res.write(`${JSON.stringify({ type: 'ERROR', object: errorToStatus(startError) })}\n`);
    end();
    return;
  }
  for (const json of initial) res.write(encode('ADDED', json));
  // The WatchList protocol: this BOOKMARK tells the client its initial state is complete.
  if (start.initialEventsEnd)
    res.write(bookmark(type, fromRevision, { 'k8s.io/initial-events-end': 'true' }));
  for (const line of pending.splice(0)) res.write(line);

  timers.timeout = setTimeout(end, timeoutSeconds * 1000);
  if (start.bookmarks) {
    const tick = (): void => {
      if (ended) return;
      write(bookmark(type, lastRevision));
      timers.bookmark = setTimeout(tick, settings.bookmarkIntervalMs);
    };
    timers.bookmark = setTimeout(tick, settings.bookmarkIntervalMs);
  }
}

/** The state a watch's initial events show: consistent without a resourceVersion, else as a list reads it. */
function initialState(resourceVersion: string): ReadAt {
  if (resourceVersion === '') return { kind: 'latest' };
  const revision = Number(resourceVersion);
  return revision === 0 ? { kind: 'any' } : { kind: 'notOlderThan', revision };
}

/** A BOOKMARK event line: an object of the watched kind with only a resourceVersion (and annotations). */
function bookmark(type: ResourceType, revision: number, annotations?: Record<string, string>): string {
  const metadata = { resourceVersion: String(revision), ...(annotations ? { annotations } : {}) };
  return `${JSON.stringify({ type: 'BOOKMARK', object: { kind: type.kind, apiVersion: apiVersionOf(type), metadata } })}\n`;
}
