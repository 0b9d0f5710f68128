import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../common/kube-object.js';
import { ManifestError } from './errors.js';

/** One object read from a manifest, with where it came from (for messages). */
export interface Manifest {
  object: KubeObject;
  /** The file (or `-` for stdin) the object was read from. */
  source: string;
}

/**
 * The Kubernetes objects in a manifest text: multi-document YAML (or JSON, which is YAML),
 * empty documents skipped, `List` kinds (`kind: List` or any `…List` with `items`) expanded.
 * Pure; `source` names the file in errors. Every object must have apiVersion, kind and
 * metadata.name (or generateName), as apply needs them.
 */
export function parseManifests(text: string, source: string): Manifest[] {
  const out: Manifest[] = [];
  const docs = parseAllDocuments(text);
  const list = Array.isArray(docs) ? docs : [];
  list.forEach((doc, index) => {
    const first = doc.errors[0];
    if (first)
      throw new ManifestError(
        `error parsing ${source} (document ${index + 1}): ${first.message.split('\n')[0]}`,
        source,
      );
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) return;
    out.push(...expand(value, source, index + 1));
  });
  return out;
}

function expand(value: unknown, source: string, doc: number): Manifest[] {
  if (typeof value !== 'object' || Array.isArray(value) || value === null) {
    throw new ManifestError(`error parsing ${source} (document ${doc}): not a Kubernetes object`, source);
  }
  const obj = value as Record<string, unknown>;
  const kind = obj['kind'];
  if (typeof kind === 'string' && kind.endsWith('List') && Array.isArray(obj['items'])) {
    return (obj['items'] as unknown[]).flatMap((item) => expand(item, source, doc));
  }
  if (typeof obj['apiVersion'] !== 'string' || obj['apiVersion'] === '') {
    throw new ManifestError(`error validating ${source} (document ${doc}): apiVersion not set`, source);
  }
  if (typeof kind !== 'string' || kind === '') {
    throw new ManifestError(`error validating ${source} (document ${doc}): kind not set`, source);
  }
  const meta = obj['metadata'];
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) {
    throw new ManifestError(`error validating ${source} (document ${doc}): ${kind} has no metadata`, source);
  }
  const { name, generateName } = meta as Record<string, unknown>;
  if ((typeof name !== 'string' || name === '') && typeof generateName !== 'string') {
    throw new ManifestError(
      `error validating ${source} (document ${doc}): ${kind} has no metadata.name`,
      source,
    );
  }
  return [{ object: obj as KubeObject, source }];
}
