import type { ConfigMap } from 'kubernetes-types/core/v1.js';
import type { KindDefinition } from '../define-kind.js';
import type { FieldError } from '../resource-type.js';
import { age } from '../age.js';
import { duplicate, forbidden, invalid } from '../field-error.js';
import { isConfigMapKey } from '../names.js';
import { ageColumn, column, nameColumn } from '../table.js';

/** Validates data keys (shared by ConfigMap and Secret): valid config keys, unique across maps. */
export function validateDataKeys(maps: Array<[string, Record<string, unknown> | undefined]>): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  for (const [path, map] of maps) {
    for (const key of Object.keys(map ?? {})) {
      for (const m of isConfigMapKey(key)) errs.push(invalid(`${path}[${key}]`, key, m));
      if (seen.has(key)) errs.push(duplicate(`${path}[${key}]`, key));
      seen.add(key);
    }
  }
  return errs;
}

/** Immutable objects (`immutable: true`) may change nothing but metadata, as Kubernetes. */
export function immutableDataErrors(
  object: { immutable?: boolean; data?: unknown; binaryData?: unknown },
  old: { immutable?: boolean; data?: unknown; binaryData?: unknown } | undefined,
): FieldError[] {
  if (!old?.immutable) return [];
  const errs: FieldError[] = [];
  if (!object.immutable) errs.push(forbidden('immutable', 'field is immutable when `immutable` is set'));
  if (
    JSON.stringify(object.data ?? {}) !== JSON.stringify(old.data ?? {}) ||
    JSON.stringify(object.binaryData ?? {}) !== JSON.stringify(old.binaryData ?? {})
  ) {
    errs.push(forbidden('data', 'field is immutable when `immutable` is set'));
  }
  return errs;
}

/** The most a ConfigMap or Secret may hold, as Kubernetes: 1 MiB of keys and values. */
export const MAX_DATA_BYTES = 1024 * 1024;

/** `Too long` when keys and values together exceed MAX_DATA_BYTES (values as stored: base64 for binaryData). */
export function sizeErrors(object: {
  data?: Record<string, string>;
  binaryData?: Record<string, string>;
}): FieldError[] {
  let size = 0;
  for (const map of [object.data, object.binaryData]) {
    for (const [k, v] of Object.entries(map ?? {})) size += k.length + v.length;
  }
  return size > MAX_DATA_BYTES
    ? [
        {
          reason: 'FieldValueTooLong',
          field: 'data',
          message: `Too long: must have at most ${MAX_DATA_BYTES} bytes`,
        },
      ]
    : [];
}

/** core/v1 ConfigMap: keys checked as Kubernetes' config keys; the table counts data entries. */
export const configMapKind: KindDefinition = {
  group: '',
  version: 'v1',
  kind: 'ConfigMap',
  plural: 'configmaps',
  shortNames: ['cm'],
  namespaced: true,
  schemaRef: 'io.k8s.api.core.v1.ConfigMap',
  validate(object, old) {
    const cm = object as ConfigMap;
    return [
      ...sizeErrors(cm),
      ...validateDataKeys([
        ['data', cm.data],
        ['binaryData', cm.binaryData],
      ]),
      ...immutableDataErrors(cm, old as ConfigMap | undefined),
    ];
  },
  columns: [
    nameColumn,
    column('Data', 'integer', 'Number of entries in the data and binaryData maps.'),
    ageColumn,
  ],
  cells(object, now) {
    const cm = object as ConfigMap;
    const n = Object.keys(cm.data ?? {}).length + Object.keys(cm.binaryData ?? {}).length;
    return [cm.metadata?.name ?? '', n, age(cm.metadata?.creationTimestamp, now)];
  },
};
