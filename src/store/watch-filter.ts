import { compileFieldSelector, compileLabelSelector } from '../common/selector.js';
import type { KubeObject } from '../common/kube-object.js';
import type { WatchEvent } from './store.js';

/**
 * One committed write as the history records it: the new value (for a delete, the last state
 * as it was stored; `changeObject` gives it the deletion's resourceVersion) and, for updates,
 * the value it replaced. Values stay JSON text until a watcher needs them, so each watcher
 * parses its own fresh copy.
 */
export interface Change {
  revision: number;
  type: 'create' | 'update' | 'delete';
  namespace: string;
  name: string;
  value: string;
  prev: string | null;
  /** Parsed `value`, shared by every watch that tests the change: read-only, never delivered. */
  parsedValue?: KubeObject;
  /** Parsed `prev`, shared the same way. */
  parsedPrev?: KubeObject;
}

/** A fresh object of a change's value, with the change's revision as its resourceVersion. */
export function changeObject(change: Change): KubeObject {
  const object = JSON.parse(change.value) as KubeObject;
  object.metadata.resourceVersion = String(change.revision);
  return object;
}

function viewOf(change: Change): KubeObject {
  return (change.parsedValue ??= JSON.parse(change.value) as KubeObject);
}

function prevViewOf(change: Change): KubeObject | undefined {
  if (change.prev === null) return undefined;
  return (change.parsedPrev ??= JSON.parse(change.prev) as KubeObject);
}

/** What a watch is filtered by: the WatchOptions minus the revision. */
export interface WatchFilterOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

/**
 * Compiles watch options into a function from a Change to the event the watcher sees, or
 * undefined when it sees none. With selectors, an update that makes an object stop matching
 * becomes DELETED (carrying the previous state with the new resourceVersion) and one that makes
 * it start matching becomes ADDED, as in Kubernetes' watch cache. Throws SELECTOR_INVALID for
 * bad selectors, so callers compile before registering anything.
 */
export function compileWatchFilter(options: WatchFilterOptions): (change: Change) => WatchEvent | undefined {
  const namespace = options.namespace ?? '';
  const labels = options.labelSelector ? compileLabelSelector(options.labelSelector) : undefined;
  const fields = options.fieldSelector ? compileFieldSelector(options.fieldSelector) : undefined;
  const selective = labels !== undefined || fields !== undefined;
  const matches = (o: KubeObject): boolean =>
    (labels === undefined || labels(o.metadata.labels)) && (fields === undefined || fields(o));
  return (change) => {
    if (namespace !== '' && change.namespace !== namespace) return undefined;
    const revision = change.revision;
    // Selectors are tested on a parse shared by all watches; only a delivered event gets its own copy.
    const fresh = (): KubeObject => changeObject(change);
    if (change.type === 'create') {
      return !selective || matches(viewOf(change)) ? { type: 'ADDED', object: fresh(), revision } : undefined;
    }
    if (change.type === 'delete') {
      return !selective || matches(viewOf(change))
        ? { type: 'DELETED', object: fresh(), revision }
        : undefined;
    }
    if (!selective) return { type: 'MODIFIED', object: fresh(), revision };
    const now = matches(viewOf(change));
    const prev = prevViewOf(change);
    const was = prev !== undefined && matches(prev);
    if (now) return { type: was ? 'MODIFIED' : 'ADDED', object: fresh(), revision };
    if (was && change.prev !== null) {
      const object = JSON.parse(change.prev) as KubeObject;
      object.metadata.resourceVersion = String(revision);
      return { type: 'DELETED', object, revision };
    }
    return undefined;
  };
}
