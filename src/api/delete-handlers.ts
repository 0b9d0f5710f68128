import type { KubeObject } from '../common/kube-object.js';
import type { ListOptions } from '../store/index.js';
import { apiVersionOf, type ApiDeps } from './api-context.js';
import { parseDeleteOptions, type DeleteOptions, type Deleter } from './deletion.js';
import { parseObjectBody, readBody, sendJson } from './http-io.js';
import { sendObject, type ResourceRequest } from './resource-request.js';

async function deleteOptions(r: ResourceRequest): Promise<DeleteOptions> {
  const body = await readBody(r.req);
  const parsed = body.length > 0 ? parseObjectBody(body, r.req.headers['content-type'] ?? '') : undefined;
  return parseDeleteOptions(parsed, r.query);
}

/** DELETE of one object: 200 with its last state (with deletionTimestamp when finalizers hold it). */
export async function deleteOne(deleter: Deleter, r: ResourceRequest): Promise<void> {
  const options = await deleteOptions(r);
  const result = await deleter.delete(r.type, r.namespace, r.name ?? '', options);
  sendObject(r, 200, result.object);
}

/** DELETE of a collection (`deletecollection`), filtered by label and field selectors: the deleted objects. */
export async function deleteCollection(deps: ApiDeps, deleter: Deleter, r: ResourceRequest): Promise<void> {
  const options = await deleteOptions(r);
  const listOptions: ListOptions = {};
  if (r.namespace !== '') listOptions.namespace = r.namespace;
  const labelSelector = r.query.get('labelSelector');
  if (labelSelector) listOptions.labelSelector = labelSelector;
  const fieldSelector = r.query.get('fieldSelector');
  if (fieldSelector) listOptions.fieldSelector = fieldSelector;
  const listed = await deps.store.list(r.type.storageResource, listOptions);
  const items: KubeObject[] = [];
  for (const o of listed.items) {
    const result = await deleter.delete(r.type, o.metadata.namespace ?? '', o.metadata.name ?? '', options);
    items.push(result.object);
  }
  sendJson(r.res, 200, { kind: r.type.listKind, apiVersion: apiVersionOf(r.type), metadata: {}, items });
}
