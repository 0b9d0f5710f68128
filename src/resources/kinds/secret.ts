import type { Secret } from 'kubernetes-types/core/v1.js';
import type { KindDefinition } from '../define-kind.js';
import type { FieldError } from '../resource-type.js';
import { age } from '../age.js';
import { forbidden, invalid } from '../field-error.js';
import { ageColumn, column, nameColumn } from '../table.js';
import { immutableDataErrors, sizeErrors, validateDataKeys } from './configmap.js';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * core/v1 Secret: type Opaque by default; `data` values must be base64, as the Go decoder
 * requires of `[]byte`; `stringData` is merged into `data` (base64-encoded) and dropped, as the
 * API server does on write; the type is immutable.
 */
export const secretKind: KindDefinition = {
  group: '',
  version: 'v1',
  kind: 'Secret',
  plural: 'secrets',
  namespaced: true,
  schemaRef: 'io.k8s.api.core.v1.Secret',
  defaults(object) {
    const s = object as Secret;
    s.type ??= 'Opaque';
    if (s.stringData) {
      const data: Record<string, string> = { ...s.data };
      for (const [k, v] of Object.entries(s.stringData)) data[k] = base64(v);
      s.data = data;
      delete s.stringData;
    }
  },
  validate(object, old) {
    const s = object as Secret;
    const errs: FieldError[] = [
      ...validateDataKeys([['data', s.data]]),
      ...sizeErrors({ data: s.data ?? {} }),
    ];
    for (const [k, v] of Object.entries(s.data ?? {})) {
      if (!BASE64.test(v))
        errs.push(invalid(`data[${k}]`, '<secret contents redacted>', 'illegal base64 data'));
    }
    const before = old as Secret | undefined;
    if (before && (before.type ?? 'Opaque') !== (s.type ?? 'Opaque')) {
      errs.push(invalid('type', s.type, 'field is immutable'));
    }
    errs.push(...immutableDataErrors(s, before));
    if (
      s.type === 'kubernetes.io/service-account-token' &&
      !s.metadata?.annotations?.['kubernetes.io/service-account.name']
    ) {
      errs.push(forbidden('metadata.annotations[kubernetes.io/service-account.name]', 'Required value'));
    }
    return errs;
  },
  columns: [
    nameColumn,
    column('Type', 'string', 'The type of secret'),
    column('Data', 'integer', 'The number of items in the secret'),
    ageColumn,
  ],
  cells(object, now) {
    const s = object as Secret;
    return [
      s.metadata?.name ?? '',
      s.type ?? '',
      Object.keys(s.data ?? {}).length,
      age(s.metadata?.creationTimestamp, now),
    ];
  },
};

/** UTF-8 text to base64, without `Buffer` so that this file stays free of Node APIs. */
function base64(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}
