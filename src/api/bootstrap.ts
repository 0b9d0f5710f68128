import type { Clock } from '../common/clock.js';
import { hasCode } from '../common/stratus-error.js';
import type { Store } from '../store/index.js';
import { newUid, rfc3339 } from './object-meta.js';

/** The namespaces every cluster has from the start. */
export const DEFAULT_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

/**
 * Creates the default namespaces that are missing, as kube-apiserver does at start. Safe to
 * run on every start and from several servers at once.
 */
export async function ensureDefaultNamespaces(store: Store, clock: Clock): Promise<void> {
  for (const name of DEFAULT_NAMESPACES) {
    if ((await store.get('namespaces', '', name)) !== undefined) continue;
    try {
      await store.create('namespaces', {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: {
          name,
          uid: newUid(),
          creationTimestamp: rfc3339(clock.now()),
          generation: 1,
          labels: { 'kubernetes.io/metadata.name': name },
        },
        spec: { finalizers: ['kubernetes'] },
        status: { phase: 'Active' },
      });
    } catch (err) {
      if (!hasCode(err, 'STORE_ALREADY_EXISTS')) throw err;
    }
  }
}
