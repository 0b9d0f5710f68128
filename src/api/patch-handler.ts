import type { KubeObject } from '../common/kube-object.js';
import { queryBool } from '../common/query-bool.js';
import type { ResourceType } from '../resources/index.js';
import { apiVersionOf, type ApiDeps, type WriteOptions } from './api-context.js';
import { retryOnConflict } from './conflict-retry.js';
import { getExisting } from './crud-handlers.js';
import { applyConflict, badRequest, unsupportedMediaType } from './errors.js';
import { parseJsonValue, parseObjectBody, readBody } from './http-io.js';
import { isRecord } from './object-meta.js';
import {
  ApplyConflictError,
  applyJsonPatch,
  applyMergePatch,
  applyStrategicMergePatch,
  serverSideApply,
} from './patch/index.js';
import { sendObject, writeOptions, type ResourceRequest } from './resource-request.js';
import { checkIdentity, createObject, decodeAndDefault, updateObject } from './write-pipeline.js';

/** The patch media types the server reads. */
export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

/** The patch type of a Content-Type header, or a 415. */
export function patchType(contentType: string | undefined): PatchType {
  const media = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  switch (media) {
    case 'application/json-patch+json':
      return 'json';
    case 'application/merge-patch+json':
      return 'merge';
    case 'application/strategic-merge-patch+json':
      return 'strategic';
    case 'application/apply-patch+yaml':
    case 'application/apply-patch+json':
      return 'apply';
    default:
      throw unsupportedMediaType(media);
  }
}

/**
 * Applies a JSON, merge or strategic merge patch to a JSON value. Shared by objects and the
 * scale subresource (whose Scale has no schema, so a strategic patch is a merge patch there).
 */
export function applyPatchDocument(
  kind: Exclude<PatchType, 'apply'>,
  target: unknown,
  body: Buffer,
  schema: Pick<ResourceType, 'schema' | 'schemas'> | undefined,
): unknown {
  if (kind === 'json') return applyJsonPatch(target, parseJsonValue(body));
  const patch = parseObjectBody(body, 'application/json');
  if (kind === 'strategic' && schema !== undefined) {
    return applyStrategicMergePatch(target, patch, schema.schema, schema.schemas);
  }
  return applyMergePatch(target, patch);
}

/**
 * PATCH of an object or its status: the patch is applied to the stored object and the result
 * goes through the update path (preconditions from a resourceVersion in the patch, decode,
 * defaults, validation, managedFields). Server-side apply creates the object when absent (201).
 */
export async function handlePatch(deps: ApiDeps, r: ResourceRequest): Promise<void> {
  const options = writeOptions(r);
  const kind = patchType(r.req.headers['content-type']);
  const body = await readBody(r.req);
  if (kind === 'apply') {
    await handleApply(deps, r, body, options);
    return;
  }
  const mode = r.subresource === 'status' ? { subresource: 'status' as const } : {};
  // As kube-apiserver does, a patch that lost a race with another writer is applied again to the
  // newer object; a patch naming a resourceVersion keeps failing its precondition, so it ends 409.
  const result = await retryOnConflict('API_CONFLICT', async () => {
    const old = await getExisting(deps, r);
    const patched = applyPatchDocument(kind, structuredClone(old), body, r.type);
    if (!isRecord(patched)) throw badRequest('the patched object is not a JSON object');
    const candidate = checkIdentity(r.type, patched, r.namespace, r.name);
    return updateObject(deps, r.type, old, candidate, options, mode);
  });
  sendObject(r, 200, result.object, options.warnings);
}

async function handleApply(
  deps: ApiDeps,
  r: ResourceRequest,
  body: Buffer,
  options: WriteOptions,
): Promise<void> {
  if (r.query.get('fieldManager') === null) {
    throw badRequest('PATCH requests of type application/apply-patch+yaml require fieldManager to be set');
  }
  const force = queryBool(r.query, 'force');
  const applied = checkIdentity(r.type, parseObjectBody(body, 'application/yaml'), r.namespace, r.name);
  const decoded = decodeAndDefaultPartial(r.type, applied, options);
  const old = await deps.store.get(r.type.storageResource, r.namespace, r.name ?? '');
  const now = deps.clock.now();
  const ssaOptions = {
    manager: options.fieldManager,
    force,
    schema: r.type.schema,
    schemas: r.type.schemas,
    apiVersion: apiVersionOf(r.type),
    now,
    ...(r.subresource === 'status' ? { subresource: 'status' } : {}),
  };
  try {
    if (old === undefined) {
      const merged = serverSideApply(undefined, decoded, ssaOptions);
      const created = await createObject(deps, r.type, merged, options, { keepManagedFields: true });
      sendObject(r, 201, created, options.warnings);
      return;
    }
    const merged = serverSideApply(old, decoded, ssaOptions);
    const mode =
      r.subresource === 'status'
        ? { subresource: 'status' as const, skipManagedFields: true }
        : { skipManagedFields: true };
    const result = await updateObject(deps, r.type, old, merged, options, mode);
    sendObject(r, 200, result.object, options.warnings);
  } catch (err) {
    if (err instanceof ApplyConflictError) {
      const causes = err.conflicts.map((c) => ({
        reason: 'FieldManagerConflict',
        field: c.field,
        message: `conflict with ${c.manager}`,
      }));
      throw applyConflict(err.message, {
        name: r.name ?? '',
        group: r.type.group,
        kind: r.type.kind,
        causes,
      });
    }
    throw err;
  }
}

/**
 * An apply configuration names only the fields its manager owns, so it is checked for unknown
 * and ill-typed fields but not defaulted: defaults are filled in on the merged object.
 */
function decodeAndDefaultPartial(type: ResourceType, applied: KubeObject, options: WriteOptions): KubeObject {
  const result = type.decode(applied, options.fieldValidation);
  if (result.errors.length > 0) decodeAndDefault(type, applied, options);
  options.warnings.push(...result.warnings);
  return result.object;
}
