import { hasCode } from '../common/stratus-error.js';
import type { ApiDeps } from './api-context.js';

/** How long past its deletion deadline a pod of a vanished node waits before the API removes it. */
export const ABANDONED_POD_GRACE_MS = 60_000;

/** A pod marked for deletion, as the garbage collector's graph knows it. */
export interface DeletingPod {
  namespace: string;
  name: string;
  /** Its deletionTimestamp in ms, when known; pods not yet past the deadline are skipped unread. */
  deletionMs?: number | undefined;
}

/**
 * The safety net of graceful pod deletion: a pod marked for deletion normally goes when its
 * node's agent has stopped it, but a node that no longer exists will never do that. Of the
 * `candidates` (the pods marked for deletion, from the garbage collector's graph, so no list of
 * every pod is read), those whose `deletionTimestamp` (already now + grace) lies more than
 * ABANDONED_POD_GRACE_MS in the past and whose node object is gone are removed. Returns them.
 */
export async function sweepAbandonedPods(
  deps: ApiDeps,
  candidates: Iterable<DeletingPod>,
): Promise<string[]> {
  const now = deps.clock.now();
  const removed: string[] = [];
  for (const candidate of candidates) {
    if (candidate.deletionMs !== undefined && candidate.deletionMs + ABANDONED_POD_GRACE_MS > now) continue;
    const pod = await deps.store.get('pods', candidate.namespace, candidate.name);
    const ts = pod?.metadata.deletionTimestamp;
    if (pod === undefined || ts === undefined || (pod.metadata.finalizers ?? []).length > 0) continue;
    if (Date.parse(ts) + ABANDONED_POD_GRACE_MS > now) continue;
    const nodeName = ((pod['spec'] ?? {}) as { nodeName?: string }).nodeName ?? '';
    if (nodeName !== '' && (await deps.store.get('nodes', '', nodeName)) !== undefined) continue;
    try {
      await deps.store.delete('pods', candidate.namespace, candidate.name, {
        expectedResourceVersion: pod.metadata.resourceVersion ?? '',
      });
      removed.push(`${candidate.namespace}/${candidate.name}`);
    } catch (err) {
      if (!hasCode(err, 'STORE_CONFLICT') && !hasCode(err, 'STORE_NOT_FOUND')) throw err;
    }
  }
  return removed;
}
