import type { KubeObject } from '../common/kube-object.js';
import type { CachedList, ListOptions } from '../store/index.js';
import { apiVersionOf, qualifiedResource, type ApiDeps } from './api-context.js';
import { badRequest, notFound } from './errors.js';
import { checkListQuery, readAt } from './list-options.js';
import {
  parseObjectBody,
  readBody,
  sendJson,
  sendJsonList,
  sendJsonText,
  wantsPartialMetadata,
  wantsTable,
} from './http-io.js';
import { sendObject, sendStored, writeOptions, type ResourceRequest } from './resource-request.js';
import { buildTable, parseIncludeObject, partialObjectMetadata, TABLE_CONTENT_TYPE } from './table.js';
import { checkIdentity, createObject, updateObject } from './write-pipeline.js';

function notFoundError(r: ResourceRequest): Error {
  const name = r.name ?? '';
  return notFound(qualifiedResource(r.type), name, { name, group: r.type.group, kind: r.type.plural });
}

/** Reads the object a request names (consistently), or fails with Kubernetes' NotFound. */
export async function getExisting(deps: ApiDeps, r: ResourceRequest): Promise<KubeObject> {
  const object = await deps.store.get(r.type.storageResource, r.namespace, r.name ?? '');
  if (object === undefined) throw notFoundError(r);
  return object;
}

/**
 * GET of one object, from the watch cache at the request's resourceVersion: its JSON text is
 * sent as cached, parsed only for a Table or PartialObjectMetadata.
 */
export async function handleGet(deps: ApiDeps, r: ResourceRequest): Promise<void> {
  const entry = await deps.store.getCached(
    r.type.storageResource,
    r.namespace,
    r.name ?? '',
    readAt(r.query),
  );
  if (entry === undefined) throw notFoundError(r);
  const accept = r.req.headers.accept;
  if (wantsTable(accept) || wantsPartialMetadata(accept))
    sendObject(r, 200, JSON.parse(entry.json) as KubeObject);
  else sendJsonText(r.res, 200, entry.json);
}

/** The list options of a list or watch request's query. */
export function listOptions(r: ResourceRequest): ListOptions {
  const options: ListOptions = {};
  if (r.namespace !== '') options.namespace = r.namespace;
  const labelSelector = r.query.get('labelSelector');
  if (labelSelector) options.labelSelector = labelSelector;
  const fieldSelector = r.query.get('fieldSelector');
  if (fieldSelector) options.fieldSelector = fieldSelector;
  const limit = r.query.get('limit');
  if (limit) {
    const n = Number(limit);
    if (!Number.isInteger(n) || n < 0)
      throw badRequest(`limit: Invalid value: "${limit}": must be a non-negative integer`);
    if (n > 0) options.limit = n;
  }
  const cont = r.query.get('continue');
  if (cont) options.continue = cont;
  return options;
}

/**
 * GET of a collection from the watch cache: a `…List` assembled from the cached JSON text of
 * its items, or a Table or a PartialObjectMetadataList, with the revision the list shows as its
 * resourceVersion (see `readAt` for which one).
 */
export async function handleList(deps: ApiDeps, r: ResourceRequest): Promise<void> {
  checkListQuery(r.query);
  const result = await deps.store.listCached(r.type.storageResource, listOptions(r), readAt(r.query));
  const resourceVersion = String(result.revision);
  const accept = r.req.headers.accept;
  const metadata: Record<string, unknown> = { resourceVersion };
  if (result.continue !== undefined) metadata.continue = result.continue;
  if (result.remainingItemCount !== undefined) metadata.remainingItemCount = result.remainingItemCount;
  if (!wantsTable(accept) && !wantsPartialMetadata(accept)) {
    const head = { kind: r.type.listKind, apiVersion: apiVersionOf(r.type), metadata };
    await sendJsonList(
      r.res,
      head,
      result.items.map((e) => e.json),
    );
    return;
  }
  const items = parsedItems(result);
  if (wantsTable(accept)) {
    const table = buildTable(r.type, items, {
      now: r.now,
      includeObject: parseIncludeObject(r.query.get('includeObject')),
      resourceVersion,
      ...(result.continue !== undefined ? { continue: result.continue } : {}),
      ...(result.remainingItemCount !== undefined ? { remainingItemCount: result.remainingItemCount } : {}),
    });
    sendJson(r.res, 200, table, TABLE_CONTENT_TYPE);
    return;
  }
  sendJson(
    r.res,
    200,
    {
      kind: 'PartialObjectMetadataList',
      apiVersion: 'meta.k8s.io/v1',
      metadata,
      items: items.map(partialObjectMetadata),
    },
    'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io',
  );
}

function parsedItems(list: CachedList): KubeObject[] {
  return list.items.map((e) => JSON.parse(e.json) as KubeObject);
}

/** POST of a new object: 201 with the stored object. */
export async function handleCreate(deps: ApiDeps, r: ResourceRequest): Promise<void> {
  const options = writeOptions(r);
  const body = parseObjectBody(await readBody(r.req), r.req.headers['content-type'] ?? '');
  const object = checkIdentity(r.type, body, r.namespace, undefined);
  if (r.trace && object.metadata.name !== undefined) r.trace.name = object.metadata.name;
  const created = await createObject(deps, r.type, object, options);
  if (r.trace) r.trace.name = created.metadata.name ?? '';
  sendStored(r, 201, created, options.warnings);
}

/** PUT of a whole object (or of its status with `subresource: 'status'`). */
export async function handleUpdate(deps: ApiDeps, r: ResourceRequest): Promise<void> {
  const options = writeOptions(r);
  const body = parseObjectBody(await readBody(r.req), r.req.headers['content-type'] ?? '');
  const candidate = checkIdentity(r.type, body, r.namespace, r.name);
  const old = await getExisting(deps, r);
  const mode = r.subresource === 'status' ? { subresource: 'status' as const } : {};
  const result = await updateObject(deps, r.type, old, candidate, options, mode);
  sendStored(r, 200, result.object, options.warnings);
}
