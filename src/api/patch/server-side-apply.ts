import type { KubeObject } from '../../common/kube-object.js';
import type { SchemaDocument, SchemaNode } from '../../resources/index.js';
import { ApplyConflictError } from './errors.js';
import { FieldSet } from './fields-v1.js';
import { deepClone, deepEqual, isObject, type JsonObject } from './json.js';
import {
  STRIPPED_FIELDS,
  bodyOf,
  filterComparison,
  formatTime,
  ignoredFields,
  managerKey,
  readManagers,
  transferOwnership,
  withoutSubtrees,
  writeManagers,
  type Manager,
} from './managed-fields.js';
import { mergeApplied } from './apply-merge.js';
import { compareValues, fieldSetOf, removeFields } from './typed-value.js';

/** Options of `serverSideApply`. */
export interface ServerSideApplyOptions {
  /** The field manager (`?fieldManager=kubectl`). */
  manager: string;
  /** `?force=true`: take fields other managers own instead of failing with a conflict. */
  force: boolean;
  /** The object's schema, resolved through `schemas`. */
  schema: SchemaNode;
  schemas: SchemaDocument;
  /** The API version the configuration was applied in, recorded on the entry: `apps/v1`. */
  apiVersion: string;
  /** The apply's time: an RFC 3339 string, or milliseconds since the epoch. */
  now: string | number;
  /** Set for an apply to a subresource (`status`); the main resource otherwise. */
  subresource?: string;
}

/** The manager Kubernetes credits with the fields of an object that predates field tracking. */
export const BEFORE_FIRST_APPLY = 'before-first-apply';

/**
 * Server-side apply (`PATCH` with `application/apply-patch+yaml`): merges the applied
 * configuration — the manager's whole intent — into the live object (or creates it when `live`
 * is undefined) and returns the result with `metadata.managedFields` updated. Fields the manager
 * applied before and omits now are removed unless another manager owns them; fields another
 * manager owns with a different value throw `ApplyConflictError` (409) unless `force`, which
 * moves their ownership; equal values are shared. `status` (for the main resource), `null`
 * values and server-set metadata in the configuration are ignored. Inputs are not changed.
 */
export function serverSideApply(
  live: KubeObject | undefined,
  applied: KubeObject,
  options: ServerSideApplyOptions,
): KubeObject {
  try {
    return applyOnce(live, applied, options);
  } catch (err) {
    if (!(err instanceof ApplyConflictError) || options.force || options.manager !== 'kubectl') throw err;
    // Kubernetes lets `kubectl apply --server-side` take over what client-side apply set: when
    // every conflict is a field of the last-applied-configuration annotation, it forces.
    const allowed = lastAppliedFields(live, options);
    if (allowed === undefined || !err.conflicts.every((c) => allowed.has(c.path))) throw err;
    return applyOnce(live, applied, { ...options, force: true });
  }
}

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

function lastAppliedFields(
  live: KubeObject | undefined,
  options: ServerSideApplyOptions,
): FieldSet | undefined {
  const text = live?.metadata.annotations?.[LAST_APPLIED];
  if (typeof text !== 'string') return undefined;
  try {
    return fieldSetOf(JSON.parse(text) as unknown, options.schema, options.schemas);
  } catch {
    return undefined;
  }
}

function applyOnce(
  live: KubeObject | undefined,
  applied: KubeObject,
  options: ServerSideApplyOptions,
): KubeObject {
  const { schema, schemas } = options;
  const liveBody: JsonObject = bodyOf(live) ?? {};
  const config = sanitize(applied, options.subresource);
  const ignored = ignoredFields({ ...liveBody, ...config }, options.subresource);
  const managers = readManagers(live);
  if (live !== undefined && managers.size === 0) {
    const fields = withoutSubtrees(fieldSetOf(liveBody, schema, schemas), ignoredFields(liveBody, undefined));
    const owned = fields.difference(STRIPPED_FIELDS);
    if (!owned.isEmpty()) {
      const m: Manager = {
        manager: BEFORE_FIRST_APPLY,
        operation: 'Update',
        apiVersion: options.apiVersion,
        time: undefined,
        subresource: undefined,
        fields: owned,
      };
      managers.set(managerKey(m), m);
    }
  }
  const key = managerKey({
    manager: options.manager,
    operation: 'Apply',
    apiVersion: options.apiVersion,
    subresource: options.subresource,
  });
  const previous = managers.get(key);
  const lastSet = previous?.fields ?? new FieldSet();
  const appliedSet = withoutSubtrees(fieldSetOf(config, schema, schemas), ignored).difference(
    STRIPPED_FIELDS,
  );
  const me: Manager = {
    manager: options.manager,
    operation: 'Apply',
    apiVersion: options.apiVersion,
    time: formatTime(options.now),
    subresource: options.subresource,
    fields: appliedSet,
  };
  managers.set(key, me);

  const merged = mergeApplied(liveBody, config, schema, schemas) as JsonObject;
  transferOwnership(
    managers,
    filterComparison(compareValues(liveBody, merged, schema, schemas), ignored),
    key,
    options.force,
  );

  let owned = new FieldSet();
  for (const m of managers.values()) owned = owned.union(m.fields);
  const result = prune(merged, lastSet, owned, options);
  transferOwnership(
    managers,
    filterComparison(compareValues(liveBody, result, schema, schemas), ignored),
    key,
    true,
  );

  if (!isObject(result.metadata)) result.metadata = {};
  const unchanged =
    live !== undefined && deepEqual(result, liveBody) && previous?.fields.equals(appliedSet) === true;
  if (unchanged) return deepClone(live);
  const entries = writeManagers(managers);
  if (entries.length > 0) result.metadata.managedFields = entries;
  else delete result.metadata.managedFields;
  return result;
}

/**
 * Removes what this manager applied before, no longer applies, and nobody else owns — in
 * structured-merge-diff's three steps, so that only fields the merged object itself sets are
 * removed (removing a map's entries never removes a sibling another manager owns).
 */
function prune(
  merged: JsonObject,
  lastSet: FieldSet,
  owned: FieldSet,
  options: ServerSideApplyOptions,
): KubeObject {
  const { schema, schemas } = options;
  if (lastSet.isEmpty()) return merged as KubeObject;
  const all = fieldSetOf(merged, schema, schemas);
  const first = removeFields(merged, lastSet, schema, schemas, { keepEmpty: true });
  const second = removeFields(
    merged,
    all.difference(fieldSetOf(first, schema, schemas).union(owned)),
    schema,
    schemas,
    { keepEmpty: true },
  );
  const dangling = all.difference(fieldSetOf(second, schema, schemas)).intersection(lastSet);
  return removeFields(merged, dangling, schema, schemas) as KubeObject;
}

/**
 * The configuration as apply reads it: no `status` for the main resource (no spec or metadata
 * changes for the status subresource), no server-set metadata, and no `null` values (a null
 * means "not set", so the field is released).
 */
function sanitize(applied: KubeObject, subresource: string | undefined): JsonObject {
  const config = dropNulls(deepClone(applied)) as JsonObject;
  if (subresource === undefined) delete config.status;
  const meta = config.metadata;
  if (isObject(meta)) {
    for (const f of [
      'managedFields',
      'resourceVersion',
      'uid',
      'creationTimestamp',
      'generation',
      'selfLink',
    ])
      delete meta[f];
  }
  return config;
}

function dropNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => dropNulls(v));
  if (isObject(value)) {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value)) if (v !== null) out[k] = dropNulls(v);
    return out;
  }
  return value;
}
