import type { PodSpec } from 'kubernetes-types/core/v1.js';
import type { FieldError } from './resource-type.js';
import { forbidden } from './field-error.js';

const MESSAGE =
  'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

/** JSON with object keys sorted, so that two equal specs compare equal whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Kubernetes' rule for Pod updates: the spec is frozen except container images,
 * activeDeadlineSeconds, added tolerations and terminationGracePeriodSeconds; `nodeName` may be
 * set once (binding) and scheduling gates may be removed. Returns Kubernetes' Forbidden error
 * when anything else changed.
 */
export function validatePodSpecUpdate(spec: PodSpec | undefined, old: PodSpec | undefined): FieldError[] {
  if (!spec || !old) return [];
  const mutable = structuredClone(old);
  const images = (list: PodSpec['containers'] | undefined, into: PodSpec['containers'] | undefined): void => {
    (into ?? []).forEach((c, i) => {
      const img = list?.[i]?.image;
      if (img !== undefined) c.image = img;
    });
  };
  images(spec.containers, mutable.containers);
  images(spec.initContainers, mutable.initContainers);
  const set = <K extends keyof PodSpec>(key: K): void => {
    if (spec[key] === undefined) delete mutable[key];
    else mutable[key] = spec[key];
  };
  set('activeDeadlineSeconds');
  set('terminationGracePeriodSeconds');
  const oldTolerations = (old.tolerations ?? []).map(canonicalJson);
  const keptOld = oldTolerations.every((t) => (spec.tolerations ?? []).some((n) => canonicalJson(n) === t));
  if (keptOld) set('tolerations');
  if (!old.nodeName) set('nodeName');
  const oldGates = (old.schedulingGates ?? []).map((g) => g.name);
  if ((spec.schedulingGates ?? []).every((g) => oldGates.includes(g.name))) set('schedulingGates');
  return canonicalJson(mutable) === canonicalJson(spec) ? [] : [forbidden('spec', MESSAGE)];
}
