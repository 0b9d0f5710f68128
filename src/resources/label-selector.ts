import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import type { FieldError } from './resource-type.js';
import { invalid, notSupported, required } from './field-error.js';
import { validateLabels } from './object-meta.js';

/** True when the selector has neither matchLabels nor matchExpressions. */
export function selectorIsEmpty(selector: LabelSelector | undefined): boolean {
  return (
    !selector ||
    (Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0)
  );
}

/**
 * The selector as kubectl prints it (`metav1.FormatLabelSelector`): `app=web,tier in (a,b)`,
 * `<none>` when empty.
 */
export function formatLabelSelector(selector: LabelSelector | undefined): string {
  if (!selector) return '<none>';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(selector.matchLabels ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))) {
    parts.push(`${k}=${v}`);
  }
  for (const e of selector.matchExpressions ?? []) {
    const values = [...(e.values ?? [])].sort();
    switch (e.operator) {
      case 'In':
        parts.push(`${e.key} in (${values.join(',')})`);
        break;
      case 'NotIn':
        parts.push(`${e.key} notin (${values.join(',')})`);
        break;
      case 'Exists':
        parts.push(e.key);
        break;
      case 'DoesNotExist':
        parts.push(`!${e.key}`);
        break;
    }
  }
  const out = parts.join(',');
  return out === '' ? '<none>' : out;
}

/** A plain `map[string]string` selector (Service, nodeSelector) as kubectl prints it: `a=b,c=d`. */
export function formatMapSelector(selector: Record<string, string> | undefined): string {
  const entries = Object.entries(selector ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
  return entries.length === 0 ? '<none>' : entries.map(([k, v]) => `${k}=${v}`).join(',');
}

/** Validates a LabelSelector's keys, values and operators, as `ValidateLabelSelector`. */
export function validateLabelSelector(selector: LabelSelector, path: string): FieldError[] {
  const errs = validateLabels(selector.matchLabels, `${path}.matchLabels`);
  (selector.matchExpressions ?? []).forEach((e, i) => {
    const p = `${path}.matchExpressions[${i}]`;
    const n = (e.values ?? []).length;
    if (e.operator === 'In' || e.operator === 'NotIn') {
      if (n === 0) errs.push(required(`${p}.values`, "must be specified when `operator` is 'In' or 'NotIn'"));
    } else if (e.operator === 'Exists' || e.operator === 'DoesNotExist') {
      if (n > 0)
        errs.push(
          invalid(
            `${p}.values`,
            e.values,
            "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
          ),
        );
    } else {
      errs.push(notSupported(`${p}.operator`, e.operator, ['In', 'NotIn', 'Exists', 'DoesNotExist']));
    }
    errs.push(...validateLabels({ [e.key]: '' }, `${p}.key`));
  });
  return errs;
}
