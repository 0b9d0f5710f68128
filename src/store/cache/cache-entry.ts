import type { KubeObject } from '../../common/kube-object.js';
import { fieldValue } from '../../common/selector.js';

/**
 * One version of one object as the watch cache holds it. The JSON text is what gets, lists and
 * watches send (serialized once per version, by the store, for every reader: kube-apiserver's
 * caching serializer); labels and the values of the resource's indexed fields are kept beside it
 * so that selectors never parse it. Entries are never changed: a write makes a new one.
 */
export interface CacheEntry {
  readonly namespace: string;
  readonly name: string;
  /** The revision that wrote this version: its resourceVersion. */
  readonly revision: number;
  /** The object's JSON text, resourceVersion included. */
  readonly json: string;
  readonly labels: Readonly<Record<string, string>> | undefined;
  /** The values of the resource's indexed field paths, in their order (`fieldValue` form). */
  readonly fields: readonly string[];
}

const NO_FIELDS: readonly string[] = [];

/**
 * The entry of an object version. `object` is the parse of `json`; only its labels (kept by
 * reference) and the indexed field values stay reachable from the entry.
 */
export function makeEntry(
  key: { namespace: string; name: string },
  revision: number,
  json: string,
  object: KubeObject,
  indexPaths: readonly string[],
): CacheEntry {
  const labels = (object.metadata as KubeObject['metadata'] | undefined)?.labels;
  return {
    namespace: key.namespace,
    name: key.name,
    revision,
    json,
    labels: typeof labels === 'object' && labels !== null ? labels : undefined,
    fields: indexPaths.length === 0 ? NO_FIELDS : indexPaths.map((p) => fieldValue(object, p)),
  };
}

/** The JSON text of a version shown at another revision (a deletion's): parse, set, serialize. */
export function atRevision(json: string, revision: number): string {
  const object = JSON.parse(json) as KubeObject;
  object.metadata.resourceVersion = String(revision);
  return JSON.stringify(object);
}
