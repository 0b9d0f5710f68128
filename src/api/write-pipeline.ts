import type { KubeObject, ObjectMeta } from '../common/kube-object.js';
import type { AdmissionFinish, WriteAttributes } from '../identity/index.js';
import { hasCode } from '../common/stratus-error.js';
import type { CacheEntry } from '../store/index.js';
import { strictDecodingMessage, type FieldError, type ResourceType } from '../resources/index.js';
import { apiVersionOf, qualifiedResource, type ApiDeps, type WriteOptions } from './api-context.js';
import {
  alreadyExists,
  badRequest,
  conflict,
  forbidden,
  invalid,
  notFound,
  type StatusCause,
} from './errors.js';
import { trackManagedFields } from './managed-fields.js';
import { contentChanged, desiredStateChanged, isRecord, nameSuffix, newUid, rfc3339 } from './object-meta.js';

/** Kinds whose status a client may set on create (everything else starts with an empty status). */
const STATUS_ON_CREATE = new Set(['Node', 'Event']);

/**
 * Checks that a request body is an object of the URL's kind, filling in `apiVersion`, `kind`
 * and `metadata.namespace` when omitted (client-node omits them) and refusing a body that names
 * another kind, namespace or name with 400, as Kubernetes does.
 */
export function checkIdentity(
  type: ResourceType,
  body: Record<string, unknown>,
  namespace: string,
  name: string | undefined,
): KubeObject {
  const apiVersion = apiVersionOf(type);
  if (body.apiVersion === undefined || body.apiVersion === '') body.apiVersion = apiVersion;
  else if (body.apiVersion !== apiVersion) {
    throw badRequest(
      `the API version in the data (${show(body.apiVersion)}) does not match the expected API version (${apiVersion})`,
    );
  }
  if (body.kind === undefined || body.kind === '') body.kind = type.kind;
  else if (body.kind !== type.kind) {
    throw badRequest(
      `the kind in the data (${show(body.kind)}) does not match the expected kind (${type.kind})`,
    );
  }
  if (body.metadata === undefined) body.metadata = {};
  if (!isRecord(body.metadata)) throw badRequest('metadata must be an object');
  const meta = body.metadata as ObjectMeta;
  if (type.namespaced) {
    if (meta.namespace === undefined || meta.namespace === '') meta.namespace = namespace;
    else if (meta.namespace !== namespace) {
      throw badRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    }
  } else {
    delete meta.namespace;
  }
  if (name !== undefined) {
    if (meta.name === undefined || meta.name === '') meta.name = name;
    else if (meta.name !== name) {
      throw badRequest(
        `the name of the object (${String(meta.name)}) does not match the name on the URL (${name})`,
      );
    }
  }
  return body as KubeObject;
}

function show(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * Decodes (unknown and ill-typed fields) and defaults an object. Decode errors are a 400 with
 * Kubernetes' `strict decoding error` wording and one cause per field; `Warn` turns unknown
 * fields into warnings.
 */
export function decodeAndDefault(type: ResourceType, object: KubeObject, options: WriteOptions): KubeObject {
  const result = type.decode(object, options.fieldValidation);
  if (result.errors.length > 0) {
    const unknown = result.errors.filter((e) => e.reason === 'UnknownField');
    if (unknown.length === 0) {
      throw invalid(type.kind, object.metadata.name ?? '', type.group, result.errors.map(toCause));
    }
    throw badRequest(
      `${type.kind} in version "${type.version}" cannot be handled as a ${type.kind}: ${strictDecodingMessage(unknown)}`,
      {
        name: object.metadata.name ?? '',
        group: type.group,
        kind: type.kind,
        causes: result.errors.map(toCause),
      },
    );
  }
  options.warnings.push(...result.warnings);
  return type.defaults(result.object);
}

function toCause(e: FieldError): StatusCause {
  return { reason: e.reason, field: e.field, message: e.message };
}

function validateOrThrow(type: ResourceType, object: KubeObject, old?: KubeObject): void {
  const errors = old === undefined ? type.validate(object) : type.validate(object, old);
  if (errors.length === 0) return;
  throw invalid(type.kind, object.metadata.name ?? '', type.group, errors.map(toCause));
}

/** Whether a cached namespace version is terminating, parsed once per version (entries never change). */
const terminating = new WeakMap<CacheEntry, boolean>();

function isTerminating(entry: CacheEntry): boolean {
  let t = terminating.get(entry);
  if (t === undefined) {
    t = (JSON.parse(entry.json) as KubeObject).metadata.deletionTimestamp !== undefined;
    terminating.set(entry, t);
  }
  return t;
}

/** Fails unless the namespace exists and is not being terminated, with Kubernetes' errors. */
export async function checkNamespace(
  deps: ApiDeps,
  type: ResourceType,
  namespace: string,
  name: string,
): Promise<void> {
  if (!type.namespaced) return;
  const ns = await deps.store.getCached('namespaces', '', namespace);
  if (ns === undefined) throw notFound('namespaces', namespace, { name: namespace, kind: 'namespaces' });
  if (isTerminating(ns)) {
    throw forbidden(
      `${qualifiedResource(type)} "${name}" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`,
      {
        name,
        group: type.group,
        kind: type.plural,
        causes: [
          {
            reason: 'NamespaceTerminating',
            message: `namespace ${namespace} is being terminated`,
            field: 'metadata.namespace',
          },
        ],
      },
    );
  }
}

/**
 * Creates an object the way Kubernetes' registry does: name from generateName, uid,
 * creationTimestamp, generation 1, status reset, decode → default → validate, managedFields,
 * then one store write (none with dryRun). Any error leaves nothing stored.
 */
export async function createObject(
  deps: ApiDeps,
  type: ResourceType,
  body: KubeObject,
  options: WriteOptions,
  create: { keepManagedFields?: boolean } = {},
): Promise<KubeObject> {
  const meta = body.metadata;
  if (
    (meta.name === undefined || meta.name === '') &&
    typeof meta.generateName === 'string' &&
    meta.generateName !== ''
  ) {
    meta.name = meta.generateName + nameSuffix();
  }
  if (meta.name === undefined || meta.name === '') {
    throw invalid(type.kind, '', type.group, [
      {
        reason: 'FieldValueRequired',
        field: 'metadata.name',
        message: 'Required value: name or generateName is required',
      },
    ]);
  }
  let object = decodeAndDefault(type, body, options);
  const name = object.metadata.name ?? '';
  await checkNamespace(deps, type, object.metadata.namespace ?? '', name);
  const now = deps.clock.now();
  const metadata: ObjectMeta = {
    ...object.metadata,
    uid: newUid(),
    creationTimestamp: rfc3339(now),
    generation: 1,
  };
  delete metadata.resourceVersion;
  delete metadata.deletionTimestamp;
  delete metadata.deletionGracePeriodSeconds;
  delete metadata.selfLink;
  object = { ...object, metadata };
  if (type.kind === 'Namespace') {
    object.status = { phase: 'Active' };
    metadata.labels = { ...metadata.labels, 'kubernetes.io/metadata.name': name };
  } else if (type.subresources.includes('status') && !STATUS_ON_CREATE.has(type.kind)) {
    delete object.status;
  }
  const attributes = writeAttributes(type, options, object, undefined, '');
  await deps.admission?.mutate?.(attributes);
  const allocated = await deps.hooks.get(type.storageResource)?.beginCreate(object, options);
  let admitted: void | AdmissionFinish | undefined;
  let stored = false;
  try {
    validateOrThrow(type, object);
    admitted = await deps.admission?.admit(attributes);
    if (!create.keepManagedFields) {
      object = trackManagedFields(type, undefined, object, options.fieldManager, now, 'Update');
    }
    if (options.dryRun) return object;
    const created = await deps.store.create(type.storageResource, object);
    stored = true;
    return created;
  } catch (err) {
    if (hasCode(err, 'STORE_ALREADY_EXISTS')) {
      throw alreadyExists(qualifiedResource(type), name, { name, group: type.group, kind: type.plural });
    }
    throw err;
  } finally {
    admitted?.(stored);
    allocated?.(stored);
  }
}

/** How an update treats the incoming object. */
export interface UpdateMode {
  /** `status`: only the status changes; otherwise the status of status-subresource kinds is kept. */
  subresource?: 'status' | 'scale';
  /** The managedFields operation (`Apply` for server-side apply, which tracks its own). */
  skipManagedFields?: boolean;
}

/**
 * Replaces `old` by `candidate` with Kubernetes' update semantics: resourceVersion precondition,
 * immutable metadata kept, status or everything-but-status depending on the subresource,
 * generation bumped when the desired state changed, decode → default → validate, managedFields,
 * no write at all when nothing changed. An object marked for deletion whose last finalizer goes
 * is removed.
 */
export async function updateObject(
  deps: ApiDeps,
  type: ResourceType,
  old: KubeObject,
  candidate: KubeObject,
  options: WriteOptions,
  mode: UpdateMode = {},
): Promise<{ object: KubeObject; deleted: boolean }> {
  const name = old.metadata.name ?? '';
  const wanted = candidate.metadata.resourceVersion;
  if (wanted !== undefined && wanted !== '' && wanted !== old.metadata.resourceVersion) {
    throw conflict(qualifiedResource(type), name, { name, group: type.group, kind: type.plural });
  }
  let object = decodeAndDefault(type, candidate, options);
  if (mode.subresource === 'status') {
    object = statusUpdate(type, old, object);
  } else if (type.subresources.includes('status')) {
    object = { ...object };
    if (old.status === undefined) delete object.status;
    else object.status = old.status;
  }
  const userManaged = object.metadata.managedFields;
  const metadata: ObjectMeta = { ...object.metadata, name, generation: old.metadata.generation ?? 1 };
  for (const k of [
    'uid',
    'creationTimestamp',
    'resourceVersion',
    'namespace',
    'deletionTimestamp',
    'deletionGracePeriodSeconds',
  ]) {
    if (old.metadata[k] === undefined) delete metadata[k];
    else metadata[k] = old.metadata[k];
  }
  object = { ...object, metadata };
  const attributes = writeAttributes(type, options, object, old, mode.subresource ?? '');
  await deps.admission?.mutate?.(attributes);
  const hook = mode.subresource === undefined ? deps.hooks.get(type.storageResource) : undefined;
  const allocated = await hook?.beginUpdate(object, old, options);
  let admitted: void | AdmissionFinish | undefined;
  let written = false;
  let stored: KubeObject;
  let finalize: boolean;
  try {
    if (desiredStateChanged(old, object)) metadata.generation = (old.metadata.generation ?? 0) + 1;
    validateOrThrow(type, object, old);
    if (
      !contentChanged(old, object) &&
      sameManagedFields(old, userManaged) &&
      !deps.store.isStale?.(type.storageResource, old)
    ) {
      return { object: old, deleted: false };
    }
    admitted = await deps.admission?.admit(attributes);
    const now = deps.clock.now();
    if (!mode.skipManagedFields) {
      object = trackManagedFields(type, old, object, options.fieldManager, now, 'Update', mode.subresource);
    }
    finalize =
      object.metadata.deletionTimestamp !== undefined && (object.metadata.finalizers ?? []).length === 0;
    if (options.dryRun) return { object, deleted: finalize };
    stored = await deps.store.update(type.storageResource, object);
    written = true;
  } catch (err) {
    if (hasCode(err, 'STORE_CONFLICT')) {
      throw conflict(qualifiedResource(type), name, { name, group: type.group, kind: type.plural });
    }
    if (hasCode(err, 'STORE_NOT_FOUND'))
      throw notFound(qualifiedResource(type), name, { name, group: type.group, kind: type.plural });
    throw err;
  } finally {
    admitted?.(written);
    allocated?.(written);
  }
  if (finalize && type.kind !== 'Namespace') {
    try {
      await deps.store.delete(type.storageResource, stored.metadata.namespace ?? '', name, {
        expectedResourceVersion: stored.metadata.resourceVersion ?? '',
      });
      return { object: stored, deleted: true };
    } catch (err) {
      if (!hasCode(err, 'STORE_CONFLICT') && !hasCode(err, 'STORE_NOT_FOUND')) throw err;
    }
  }
  return { object: stored, deleted: false };
}

/**
 * What a status write keeps: the stored object with the new status. A Pod's labels and
 * annotations come from the request too, as Kubernetes' pod status strategy keeps only the spec
 * and owner references (the agent publishes its host ports that way; NodeRestriction stops a
 * node from changing labels).
 */
function statusUpdate(type: ResourceType, old: KubeObject, object: KubeObject): KubeObject {
  if (type.kind !== 'Pod' || type.group !== '') return { ...old, status: object.status };
  const metadata = { ...old.metadata };
  for (const k of ['labels', 'annotations'] as const) {
    if (object.metadata[k] === undefined) delete metadata[k];
    else metadata[k] = object.metadata[k];
  }
  return { ...old, metadata, status: object.status };
}

/**
 * What admission sees of a write about to be stored (dry runs included, as Kubernetes does).
 * `object` is the pipeline's own copy, which mutating admission may change in place.
 */
function writeAttributes(
  type: ResourceType,
  options: WriteOptions,
  object: KubeObject,
  old: KubeObject | undefined,
  subresource: string,
): WriteAttributes {
  return {
    operation: old === undefined ? 'create' : 'update',
    user: options.user,
    apiGroup: type.group,
    resource: type.plural,
    subresource,
    namespace: object.metadata.namespace ?? '',
    requestName: options.requestName ?? '',
    object,
    ...(old !== undefined ? { old } : {}),
    warnings: options.warnings,
    dryRun: options.dryRun,
  };
}

function sameManagedFields(old: KubeObject, candidate: unknown): boolean {
  return candidate === undefined || JSON.stringify(candidate) === JSON.stringify(old.metadata.managedFields);
}
