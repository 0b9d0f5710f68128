import type { KubeObject } from '../common/kube-object.js';
import { hasCode } from '../common/stratus-error.js';
import type { ApiDeps } from './api-context.js';

/** How long past its deletion deadline a pod of a vanished node waits before the API removes it. */
export const ABANDONED_POD_GRACE_MS = 60_000;

/**
 * The safety net of graceful pod deletion: a pod marked for deletion normally goes when its
 * node's agent has stopped it, but a node that no longer exists will never do that. Pods whose
 * `deletionTimestamp` (already now + grace) lies more than ABANDONED_POD_GRACE_MS in the past and
 * whose node object is gone are removed here. Returns the pods removed.
 */
export async function sweepAbandonedPods(
  deps: ApiDeps,
  onDeleted: (o: KubeObject) => void,
): Promise<string[]> {
  const now = deps.clock.now();
  const removed: string[] = [];
  const listed = await deps.store.list('pods');
  for (const pod of listed.items) {
    const ts = pod.metadata.deletionTimestamp;
    if (ts === undefined || (pod.metadata.finalizers ?? []).length > 0) continue;
    if (Date.parse(ts) + ABANDONED_POD_GRACE_MS > now) continue;
    const nodeName = ((pod['spec'] ?? {}) as { nodeName?: string }).nodeName ?? '';
    if (nodeName !== '' && (await deps.store.get('nodes', '', nodeName)) !== undefined) continue;
    try {
      const gone = await deps.store.delete('pods', pod.metadata.namespace ?? '', pod.metadata.name ?? '', {
        expectedResourceVersion: pod.metadata.resourceVersion ?? '',
      });
      onDeleted(gone);
      removed.push(`${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`);
    } catch (err) {
      if (!hasCode(err, 'STORE_CONFLICT') && !hasCode(err, 'STORE_NOT_FOUND')) throw err;
    }
  }
  return removed;
}
