import type { KubeObject, ManagedFieldsEntry } from '../../common/kube-object.js';
import type { SchemaDocument, SchemaNode } from '../../resources/index.js';
import { ApplyConflictError, type ApplyConflict } from './errors.js';
import { FieldSet, pathString } from './fields-v1.js';
import { deepClone, deepEqual, isObject } from './json.js';
import { compareValues, type Comparison } from './typed-value.js';

/** One manager's record: who, how (Apply or Update), at which version, when, and its fields. */
export interface Manager {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string | undefined;
  subresource: string | undefined;
  fields: FieldSet;
}

/** Managers by identity (see `managerKey`), in the order they were read. */
export type Managers = Map<string, Manager>;

/**
 * The identity of a manager, as Kubernetes keys its managed-fields entries: the manager name,
 * the operation, the subresource and — for Update only — the API version. Apply entries of one
 * manager are one entry whatever the version.
 */
export function managerKey(m: Pick<Manager, 'manager' | 'operation' | 'apiVersion' | 'subresource'>): string {
  return JSON.stringify([
    m.manager,
    m.operation,
    m.operation === 'Update' ? m.apiVersion : '',
    m.subresource ?? '',
  ]);
}

/** The manager as conflict messages print it: `"kubectl-client-side-apply" using apps/v1`. */
export function printManager(m: Manager): string {
  let out = JSON.stringify(m.manager);
  if (m.subresource !== undefined) out += ` with subresource ${JSON.stringify(m.subresource)}`;
  if (m.operation === 'Update') out += ` using ${m.apiVersion}`;
  return out;
}

/** Reads `metadata.managedFields`; entries with no manager name are skipped, equal keys merged. */
export function readManagers(object: KubeObject | undefined): Managers {
  const out: Managers = new Map();
  const entries = object?.metadata.managedFields;
  if (!Array.isArray(entries)) return out;
  for (const entry of entries as unknown[]) {
    if (!isObject(entry) || typeof entry.manager !== 'string') continue;
    const e = entry as ManagedFieldsEntry;
    const m: Manager = {
      manager: e.manager ?? '',
      operation: e.operation === 'Apply' ? 'Apply' : 'Update',
      apiVersion: e.apiVersion ?? '',
      time: e.time,
      subresource: e.subresource !== undefined && e.subresource !== '' ? e.subresource : undefined,
      fields: FieldSet.fromFieldsV1(e.fieldsV1),
    };
    const key = managerKey(m);
    const prior = out.get(key);
    out.set(key, prior === undefined ? m : { ...m, fields: prior.fields.union(m.fields) });
  }
  return out;
}

/**
 * Writes managers back as `metadata.managedFields` entries in Kubernetes' order: Apply before
 * Update, then oldest first, then by manager name, version and subresource.
 */
export function writeManagers(managers: Managers): ManagedFieldsEntry[] {
  const seconds = (t: string | undefined): number =>
    t === undefined ? 0 : Math.floor(Date.parse(t) / 1000) || 0;
  const list = [...managers.values()].filter((m) => !m.fields.isEmpty());
  list.sort(
    (p, q) =>
      cmp(p.operation, q.operation) ||
      seconds(p.time) - seconds(q.time) ||
      cmp(p.manager, q.manager) ||
      cmp(p.apiVersion, q.apiVersion) ||
      cmp(p.subresource ?? '', q.subresource ?? ''),
  );
  return list.map((m) => {
    const entry: ManagedFieldsEntry = {
      manager: m.manager,
      operation: m.operation,
      apiVersion: m.apiVersion,
    };
    if (m.time !== undefined) entry.time = m.time;
    entry.fieldsType = 'FieldsV1';
    entry.fieldsV1 = m.fields.toFieldsV1();
    if (m.subresource !== undefined) entry.subresource = m.subresource;
    return entry;
  });
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Fields no manager ever records, as Kubernetes strips them: identity and bookkeeping that the
 * server sets (`apiVersion`, `kind`, `metadata.name`, `uid`, `resourceVersion`, …).
 */
export const STRIPPED_FIELDS = FieldSet.of([
  ['f:apiVersion'],
  ['f:kind'],
  ['f:metadata'],
  ...[
    'name',
    'namespace',
    'creationTimestamp',
    'selfLink',
    'uid',
    'clusterName',
    'generation',
    'managedFields',
    'resourceVersion',
  ].map((f) => ['f:metadata', `f:${f}`]),
]);

/**
 * The fields a write to `subresource` does not own: the main resource leaves `status` alone
 * (its own subresource sets it); `status` writes own nothing but status.
 */
export function ignoredFields(value: unknown, subresource: string | undefined): FieldSet {
  if (subresource === 'status') {
    const set = new FieldSet();
    if (isObject(value)) for (const k of Object.keys(value)) if (k !== 'status') set.insert([`f:${k}`]);
    return set;
  }
  return FieldSet.of([['f:status']]);
}

/** Removes every path at or below the members of `ignored` from `set`. */
export function withoutSubtrees(set: FieldSet, ignored: FieldSet): FieldSet {
  const out = set.difference(ignored);
  for (const top of ignored.members) out.children.delete(top);
  for (const [k, child] of ignored.children) {
    const sub = out.children.get(k);
    if (sub !== undefined) {
      const pruned = withoutSubtrees(sub, child);
      if (pruned.isEmpty()) out.children.delete(k);
      else out.children.set(k, pruned);
    }
  }
  return out;
}

/** The object without `metadata.managedFields`, for comparing two versions. */
export function bodyOf(object: KubeObject | undefined): KubeObject | undefined {
  if (object === undefined) return undefined;
  const copy = deepClone(object);
  if (isObject(copy.metadata)) delete copy.metadata.managedFields;
  return copy;
}

/**
 * The object without `metadata.managedFields`, sharing everything else with it: the comparison
 * only reads, so the deep copy `bodyOf` makes is not needed here.
 */
function withoutManagedFields(object: KubeObject): KubeObject {
  const { managedFields: _managed, ...metadata } = object.metadata;
  return { ...object, metadata };
}

/**
 * Structured-merge-diff's `update` step: every manager other than `actor` that owns a field the
 * write adds or changes either conflicts (apply without force) or loses it; fields the write
 * removes are taken from every other manager. Managers left with nothing are dropped.
 */
export function transferOwnership(managers: Managers, diff: Comparison, actor: string, force: boolean): void {
  const changed = diff.added.union(diff.modified);
  const conflicts: Array<{ key: string; fields: FieldSet }> = [];
  for (const [key, m] of managers) {
    if (key === actor) continue;
    const fields = m.fields.intersection(changed);
    if (!fields.isEmpty()) conflicts.push({ key, fields });
  }
  if (!force && conflicts.length > 0) {
    const list: ApplyConflict[] = [];
    for (const c of conflicts.sort((a, b) => cmp(a.key, b.key))) {
      const m = managers.get(c.key);
      if (m === undefined) continue;
      for (const p of c.fields.paths())
        list.push({ field: pathString(p), manager: printManager(m), managerName: m.manager, path: p });
    }
    throw new ApplyConflictError(list);
  }
  for (const [key, m] of managers) {
    if (key === actor) continue;
    m.fields = m.fields.difference(changed).difference(diff.removed);
  }
  for (const [key, m] of managers) if (m.fields.isEmpty()) managers.delete(key);
}

/**
 * A comparison without the ignored subtrees and the stripped fields, so that no manager ever
 * records them.
 */
export function filterComparison(diff: Comparison, ignored: FieldSet): Comparison {
  const clean = (set: FieldSet): FieldSet => withoutSubtrees(set, ignored).difference(STRIPPED_FIELDS);
  return { added: clean(diff.added), removed: clean(diff.removed), modified: clean(diff.modified) };
}

/** The last second formatted: every write in the same second stamps the same text. */
let lastSecond = NaN;
let lastText = '';

/** Formats `now` as Kubernetes' second-precision RFC 3339 time. */
export function formatTime(now: string | number): string {
  if (typeof now === 'string') return now;
  const second = Math.floor(now / 1000);
  if (second !== lastSecond) {
    lastText = new Date(second * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    lastSecond = second;
  }
  return lastText;
}

/** The writer's manager record, without its fields. */
function writer(options: UpdateManagedFieldsOptions, time: string): Omit<Manager, 'fields'> {
  return {
    manager: options.manager,
    operation: 'Update',
    apiVersion: options.apiVersion,
    time,
    subresource: options.subresource,
  };
}

/** Options of `updateManagedFields`. */
export interface UpdateManagedFieldsOptions {
  /** The field manager (`?fieldManager=`, or the user agent's first word as Kubernetes defaults it). */
  manager: string;
  operation: 'Update';
  /** The object's schema, resolved through `schemas`. */
  schema: SchemaNode | undefined;
  schemas: SchemaDocument;
  /** The API version the client wrote in, recorded on the entry: `apps/v1`. */
  apiVersion: string;
  /** The write's time: an RFC 3339 string, or milliseconds since the epoch. */
  now: string | number;
  /** `status` or `scale` for writes to a subresource. */
  subresource?: string;
}

/**
 * Records a non-apply write (create, update, patch) in `metadata.managedFields`, as Kubernetes
 * does: `manager` now owns every field the write added or changed (plus those it owned before
 * and did not remove), and other managers lose them. Returns a new object (its metadata is new,
 * the rest is shared with `updated`); inputs are unchanged.
 * When the client sent its own `managedFields` that differ from the stored ones, they are taken
 * as the starting point (kubectl rewrites them this way when it migrates to server-side apply);
 * entries without a manager name (`[{}]`) clear the list.
 */
export function updateManagedFields(
  old: KubeObject | undefined,
  updated: KubeObject,
  options: UpdateManagedFieldsOptions,
): KubeObject {
  const sent = updated.metadata.managedFields;
  const userSet = Array.isArray(sent) && sent.length > 0 && !deepEqual(sent, old?.metadata.managedFields);
  if (userSet && sent.every((e) => !isObject(e) || typeof e.manager !== 'string')) {
    return withoutManagedFields(updated);
  }
  const after = withoutManagedFields(updated);
  const time = formatTime(options.now);
  if (old === undefined && !userSet) {
    // A create: no other manager, nothing removed or modified; the writer owns what it set.
    const added = compareValues({}, after, options.schema, options.schemas).added;
    const fields = withoutSubtrees(added, ignoredFields(after, options.subresource)).difference(
      STRIPPED_FIELDS,
    );
    if (fields.isEmpty()) return after;
    const me: Manager = { ...writer(options, time), fields };
    after.metadata.managedFields = writeManagers(new Map([[managerKey(me), me]]));
    return after;
  }
  const managers = readManagers(userSet ? updated : old);
  const before = old === undefined ? {} : withoutManagedFields(old);
  const diff = filterComparison(
    compareValues(before, after, options.schema, options.schemas),
    ignoredFields(after, options.subresource),
  );
  const me: Manager = { ...writer(options, time), fields: new FieldSet() };
  const key = managerKey(me);
  transferOwnership(managers, diff, key, true);
  const previous = managers.get(key)?.fields ?? new FieldSet();
  me.fields = previous.difference(diff.removed).union(diff.modified).union(diff.added);
  if (me.fields.isEmpty()) managers.delete(key);
  else if (me.fields.equals(previous) && diff.modified.isEmpty() && diff.added.isEmpty()) {
    // Nothing this manager wrote changed: keep the entry (and its time) as it was.
  } else managers.set(key, me);
  const out = after;
  const entries = writeManagers(managers);
  if (entries.length > 0) out.metadata.managedFields = entries;
  return out;
}
