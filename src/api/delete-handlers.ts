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

/**
 * Kinds whose DELETE answers with the object even once it is gone, as their kube-apiserver
 * storage does (`ReturnDeletedObject`); for the others a completed delete answers with a Status.
 */
const RETURNS_DELETED_OBJECT = new Set(['pods', 'services', 'namespaces']);

/**
 * DELETE of one object: 200 with its state while finalizers or a grace period hold it (with
 * deletionTimestamp); once it is gone, a `Status` of Success naming it, or for pods, services
 * and namespaces the deleted object, as kube-apiserver answers. The typed clients (Python's
 * `V1Status`) read exactly that, and no object is serialized for the common case.
 */
export async function deleteOne(deleter: Deleter, r: ResourceRequest): Promise<void> {
  const options = await deleteOptions(r);
  const result = await deleter.delete(r.type, r.namespace, r.name ?? '', options);
  if (result.deleted && (r.type.group !== '' || !RETURNS_DELETED_OBJECT.has(r.type.plural))) {
    const meta = result.object.metadata;
    sendJson(r.res, 200, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      details: { name: meta.name, group: r.type.group, kind: r.type.plural, uid: meta.uid },
    });
    return;
  }
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
