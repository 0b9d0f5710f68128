import { randomBytes, randomUUID } from 'node:crypto';
import type { KubeObject, ObjectMeta } from '../common/kube-object.js';
import { formatTime } from './patch/index.js';

const NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** Kubernetes' RFC 3339 timestamps have whole seconds: `2026-01-01T00:00:00Z`. */
export function rfc3339(ms: number): string {
  return formatTime(ms);
}

/** A random 5-character suffix from Kubernetes' alphabet (no vowels, no look-alikes). */
export function nameSuffix(): string {
  const bytes = randomBytes(5);
  let out = '';
  for (const b of bytes) out += NAME_ALPHABET[b % NAME_ALPHABET.length];
  return out;
}

/** A new object uid. */
export function newUid(): string {
  return randomUUID();
}

/**
 * Structural equality of JSON values (objects compare by keys, not key order), for deciding
 * whether a write changed anything and whether the spec changed (generation).
 */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const ka = Object.keys(ra).filter((k) => ra[k] !== undefined);
  const kb = Object.keys(rb).filter((k) => rb[k] !== undefined);
  if (ka.length !== kb.length) return false;
  for (const k of ka) if (!deepEqual(ra[k], rb[k])) return false;
  return true;
}

/**
 * True when the part of an object that `metadata.generation` counts changed: `spec`, or for
 * kinds without a spec (ConfigMap, Secret …) everything but metadata and status.
 */
export function desiredStateChanged(oldObj: KubeObject, newObj: KubeObject): boolean {
  if ('spec' in oldObj || 'spec' in newObj) return !deepEqual(oldObj.spec, newObj.spec);
  for (const k of new Set([...Object.keys(oldObj), ...Object.keys(newObj)])) {
    if (k === 'metadata' || k === 'status' || k === 'apiVersion' || k === 'kind') continue;
    if (!deepEqual(oldObj[k], newObj[k])) return true;
  }
  return false;
}

/** True when two objects differ in anything but resourceVersion and managedFields. */
export function contentChanged(oldObj: KubeObject, newObj: KubeObject): boolean {
  const strip = (o: KubeObject): KubeObject => {
    const { resourceVersion: _rv, managedFields: _mf, ...metadata } = o.metadata;
    return { ...o, metadata };
  };
  return !deepEqual(strip(oldObj), strip(newObj));
}

/** A shallow copy of an object with a shallow copy of its metadata, for edits of metadata. */
export function withMetadata(object: KubeObject, changes: Partial<ObjectMeta>): KubeObject {
  const metadata: ObjectMeta = { ...object.metadata, ...changes };
  for (const [k, v] of Object.entries(changes)) if (v === undefined) delete metadata[k];
  return { ...object, metadata };
}

/** A deep copy of a JSON value. */
export function clone<T>(value: T): T {
  return structuredClone(value);
}

/** A type guard for plain JSON objects. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
