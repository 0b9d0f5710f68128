import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import type { FieldError } from './resource-type.js';
import { formatValue, invalid, required } from './field-error.js';
import { matchLabelSelector } from '../common/selector.js';
import { selectorIsEmpty, validateLabelSelector } from './label-selector.js';
import { validateLabels } from './object-meta.js';
import { validatePodSpec } from './pod-spec-validation.js';

/** The spec fields shared by Deployments, ReplicaSets, DaemonSets and Jobs. */
export interface WorkloadSpec {
  replicas?: number;
  selector?: LabelSelector;
  template?: PodTemplateSpec;
}

/** A LabelSelector printed as Go's `%#v` prints it, as Kubernetes' messages show it. */
export function goSelector(s: LabelSelector | undefined): string {
  const ml = s?.matchLabels ? formatValue(s.matchLabels) : 'map[string]string(nil)';
  const me = s?.matchExpressions?.length
    ? `[]v1.LabelSelectorRequirement{${s.matchExpressions
        .map(
          (e) =>
            `v1.LabelSelectorRequirement{Key:${JSON.stringify(e.key)}, Operator:${JSON.stringify(e.operator)}, Values:[]string{${(e.values ?? []).map((v) => JSON.stringify(v)).join(', ')}}}`,
        )
        .join(', ')}}`
    : '[]v1.LabelSelectorRequirement(nil)';
  return `v1.LabelSelector{MatchLabels:${ml}, MatchExpressions:${me}}`;
}

/** An `Invalid value` error whose value is printed verbatim (already Go-formatted). */
function invalidRaw(field: string, raw: string, detail: string): FieldError {
  return { reason: 'FieldValueInvalid', field, message: `Invalid value: ${raw}: ${detail}` };
}

/**
 * Validates the selector/template/replicas trio, as Kubernetes' apps validation: the selector
 * is required and non-empty and must match the template's labels (`spec.template.metadata.labels:
 * Invalid value: map[string]string{...}: `selector` does not match template `labels``), replicas
 * are ≥ 0, and the template's PodSpec is valid with the allowed restart policies. `kind` names
 * the kind in the empty-selector message (`deployment`).
 */
export function validateWorkload(
  spec: WorkloadSpec | undefined,
  options: { kind: string; restartPolicies: readonly string[]; selectorOptional?: boolean },
): FieldError[] {
  const errs: FieldError[] = [];
  if (!spec) return [required('spec')];
  if (spec.replicas !== undefined && spec.replicas < 0) {
    errs.push(invalid('spec.replicas', spec.replicas, 'must be greater than or equal to 0'));
  }
  if (!spec.selector) {
    if (!options.selectorOptional) errs.push(required('spec.selector'));
  } else if (selectorIsEmpty(spec.selector)) {
    errs.push(
      invalidRaw('spec.selector', goSelector(spec.selector), `empty selector is invalid for ${options.kind}`),
    );
  } else {
    errs.push(...validateLabelSelector(spec.selector, 'spec.selector'));
  }
  const template = spec.template;
  if (!template) {
    errs.push(required('spec.template'));
    return errs;
  }
  const labels = template.metadata?.labels;
  errs.push(...validateLabels(labels, 'spec.template.metadata.labels'));
  if (spec.selector && !selectorIsEmpty(spec.selector) && !matchLabelSelector(spec.selector, labels)) {
    errs.push(
      invalidRaw(
        'spec.template.metadata.labels',
        labels ? formatValue(labels) : 'map[string]string(nil)',
        '`selector` does not match template `labels`',
      ),
    );
  }
  errs.push(
    ...validatePodSpec(template.spec, 'spec.template.spec', { restartPolicies: options.restartPolicies }),
  );
  return errs;
}

/** `spec.selector: Invalid value: v1.LabelSelector{…}: field is immutable` when the selector changed. */
export function selectorImmutable(
  spec: WorkloadSpec | undefined,
  old: WorkloadSpec | undefined,
): FieldError[] {
  if (!old) return [];
  if (JSON.stringify(spec?.selector ?? null) === JSON.stringify(old.selector ?? null)) return [];
  return [invalidRaw('spec.selector', goSelector(spec?.selector), 'field is immutable')];
}

/**
 * Checks an IntOrString that may be a percentage (`25%`) or a count: non-negative, at most
 * 100%. Returns the errors; `value` undefined is fine.
 */
export function validateIntOrPercent(value: number | string | undefined, field: string): FieldError[] {
  if (value === undefined) return [];
  if (typeof value === 'number') {
    return value < 0 ? [invalid(field, value, 'must be greater than or equal to 0')] : [];
  }
  const m = /^(\d+)%$/.exec(value);
  if (!m)
    return [
      invalid(
        field,
        value,
        "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
      ),
    ];
  return Number(m[1]) > 100 ? [invalid(field, value, 'must not be greater than 100%')] : [];
}

/** True when an IntOrString is zero (`0` or `0%`). */
export function isZero(value: number | string | undefined): boolean {
  return value === 0 || value === '0%';
}
