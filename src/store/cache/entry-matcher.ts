import type { KubeObject } from '../../common/kube-object.js';
import {
  compileLabelSelector,
  fieldValue,
  parseFieldSelector,
  type FieldRequirement,
} from '../../common/selector.js';
import type { CacheEntry } from './cache-entry.js';

/** What a list or watch selects: its namespace and selectors, as the store's ListOptions say. */
export interface Selection {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

/**
 * A selection compiled against cache entries. Labels and indexed fields are read from the
 * entry; `metadata.name` and `metadata.namespace` from its key; any other field path parses the
 * entry's JSON (once per test), since Stratus accepts field selectors on any path.
 */
export interface EntryMatcher {
  /** The namespace selected; '' for all. */
  readonly namespace: string;
  /** False when only the namespace restricts the selection. */
  readonly selective: boolean;
  /** The `metadata.name` an `=` requirement names, when there is one. */
  readonly name: string | undefined;
  /** An `=` requirement on an indexed field: its position among the indexed paths and its value. */
  readonly indexed: { position: number; value: string } | undefined;
  matches(entry: CacheEntry): boolean;
}

/** Compiles a selection; throws SELECTOR_INVALID for bad selectors. */
export function compileMatcher(selection: Selection, indexPaths: readonly string[]): EntryMatcher {
  const labels = selection.labelSelector ? compileLabelSelector(selection.labelSelector) : undefined;
  const fields = selection.fieldSelector ? parseFieldSelector(selection.fieldSelector) : [];
  let name: string | undefined;
  let indexed: EntryMatcher['indexed'];
  const readers = fields.map((r): ((e: CacheEntry, object: () => unknown) => string) => {
    if (r.path === 'metadata.name') {
      if (r.operator === 'Equals') name ??= r.value;
      return (e) => e.name;
    }
    if (r.path === 'metadata.namespace') return (e) => e.namespace;
    const position = indexPaths.indexOf(r.path);
    if (position >= 0) {
      if (r.operator === 'Equals') indexed ??= { position, value: r.value };
      return (e) => e.fields[position] ?? '';
    }
    return (_e, object) => fieldValue(object(), r.path);
  });
  const selective = labels !== undefined || fields.length > 0;
  return {
    namespace: selection.namespace ?? '',
    selective,
    name,
    indexed,
    matches: (entry) => {
      if (labels !== undefined && !labels(entry.labels)) return false;
      let parsed: KubeObject | undefined;
      const object = (): KubeObject => (parsed ??= JSON.parse(entry.json) as KubeObject);
      for (let i = 0; i < fields.length; i++) {
        const r = fields[i] as FieldRequirement;
        const v = (readers[i] as (e: CacheEntry, o: () => unknown) => string)(entry, object);
        if (r.operator === 'Equals' ? v !== r.value : v === r.value) return false;
      }
      return true;
    },
  };
}
