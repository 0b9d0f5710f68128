import type { KubeObject } from '../common/kube-object.js';
import type { ResourceType } from '../resources/index.js';
import type { ApiDeps } from './api-context.js';
import { getExisting, listOptions } from './crud-handlers.js';
import { methodNotAllowed, pathNotFound } from './errors.js';
import { parseObjectBody, readBody, sendJson, wantsTable } from './http-io.js';
import { sendObject, writeOptions, type ResourceRequest } from './resource-request.js';
import { buildTable, parseIncludeObject, TABLE_CONTENT_TYPE } from './table.js';
import { checkIdentity, createObject } from './write-pipeline.js';

type Conversion = NonNullable<ResourceType['conversion']>;

/**
 * Requests for a version that is not the stored one (autoscaling/v1 HorizontalPodAutoscaler):
 * a create converts the body to the stored version and runs that version's pipeline (decode,
 * defaults, validation, admission), gets and lists convert the stored objects back. Tables are
 * built from the stored objects by the stored version's columns, which show everything. Other
 * verbs are the stored version's (405 here), which every current client uses.
 */
export async function handleConvertedVersion(
  deps: ApiDeps,
  r: ResourceRequest,
  method: string,
  path: string,
): Promise<void> {
  const conversion = r.type.conversion as Conversion;
  const stored = deps.types.byStorageResource(r.type.storageResource);
  if (stored === undefined || stored === r.type) throw pathNotFound(path);
  const asStored: ResourceRequest = { ...r, type: stored };
  const apiVersion = `${r.type.group}/${r.type.version}`;
  if (r.subresource !== undefined) throw methodNotAllowed(method, path);
  if (method === 'POST' && r.name === undefined && r.namespace !== '') {
    const options = writeOptions(r);
    const body = parseObjectBody(await readBody(r.req), r.req.headers['content-type'] ?? '');
    const object = checkIdentity(r.type, body, r.namespace, undefined);
    const converted = checkIdentity(stored, conversion.toStorage(object), r.namespace, undefined);
    const created = await createObject(deps, stored, converted, options);
    if (r.trace) r.trace.name = created.metadata.name ?? '';
    return send(asStored, 201, created, conversion, options.warnings);
  }
  if (method !== 'GET') throw methodNotAllowed(method, path);
  if (r.name !== undefined) return send(asStored, 200, await getExisting(deps, asStored), conversion);
  const list = await deps.store.list(stored.storageResource, listOptions(asStored));
  if (wantsTable(r.req.headers.accept)) {
    const table = buildTable(stored, list.items, {
      now: r.now,
      includeObject: parseIncludeObject(r.query.get('includeObject')),
      resourceVersion: String(list.revision),
    });
    return sendJson(r.res, 200, table, TABLE_CONTENT_TYPE);
  }
  sendJson(r.res, 200, {
    kind: r.type.listKind,
    apiVersion,
    metadata: { resourceVersion: String(list.revision) },
    items: list.items.map((o) => conversion.fromStorage(o)),
  });
}

function send(
  r: ResourceRequest,
  status: number,
  object: KubeObject,
  conversion: Conversion,
  warnings?: readonly string[],
): void {
  if (wantsTable(r.req.headers.accept)) return sendObject(r, status, object, warnings);
  sendJson(r.res, status, conversion.fromStorage(object), 'application/json', warnings);
}
