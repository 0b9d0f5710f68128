import type { KubeObject } from '../common/kube-object.js';
import type { Expectations } from './expectations.js';
import { objectKey, type InformerHandlers } from './informer.js';
import { controllerKey } from './owner.js';

/**
 * Informer handlers for the owners themselves (Jobs, ReplicaSets): every change enqueues the
 * owner; a deleted owner's expectations are dropped with it.
 */
export function ownerHandlers<T extends KubeObject>(
  expectations: Expectations,
  enqueue: (key: string) => void,
): InformerHandlers<T> {
  return {
    onAdd: (owner) => enqueue(objectKey(owner)),
    onUpdate: (_old, owner) => enqueue(objectKey(owner)),
    onDelete: (owner) => {
      expectations.delete(objectKey(owner));
      enqueue(objectKey(owner));
    },
  };
}

/**
 * Informer handlers that route pod changes to the controller of `kind` that owns them, keeping
 * its expectations in step as Kubernetes' controllers do: a pod seen is a creation observed, a
 * pod that starts terminating or goes away is a deletion observed, and a pod whose owner
 * changed wakes its old owner too. Pods without such an owner go to `onOrphan` (adoption).
 */
export function ownedPodHandlers<P extends KubeObject>(
  kind: string,
  expectations: Expectations,
  enqueue: (key: string) => void,
  onOrphan?: (pod: P) => void,
): InformerHandlers<P> {
  return {
    onAdd: (pod) => {
      const key = controllerKey(pod, kind);
      if (!key) return onOrphan?.(pod);
      expectations.creationObserved(key);
      enqueue(key);
    },
    onUpdate: (old, pod) => {
      const key = controllerKey(pod, kind);
      const oldKey = controllerKey(old, kind);
      if (oldKey && oldKey !== key) enqueue(oldKey);
      if (!key) return onOrphan?.(pod);
      if (pod.metadata.deletionTimestamp && !old.metadata.deletionTimestamp) {
        expectations.deletionObserved(key, objectKey(pod));
      }
      enqueue(key);
    },
    onDelete: (pod) => {
      const key = controllerKey(pod, kind);
      if (!key) return;
      expectations.deletionObserved(key, objectKey(pod));
      enqueue(key);
    },
  };
}
