import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import { StatusError, type KubeClient } from '../client/index.js';
import type { KubeObject, OwnerReference } from '../common/kube-object.js';
import {
  controllerKey,
  type Expectations,
  type InformerHandlers,
  objectKey,
  randomSuffix,
} from '../machinery/index.js';

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

/**
 * Creates one pod from an owner's template, named `<owner>-<5 random chars>`, with the template's
 * labels (plus `labels`), its annotations and the controller reference. A name clash is retried
 * with a new suffix, up to three times. Returns the pod's name.
 */
export async function createOwnedPod(
  client: KubeClient,
  owner: KubeObject,
  options: { template: PodTemplateSpec | undefined; ref: OwnerReference; labels?: Record<string, string> },
): Promise<string> {
  const template = options.template ?? {};
  const namespace = owner.metadata.namespace ?? 'default';
  for (let attempt = 0; ; attempt++) {
    const name = `${owner.metadata.name ?? 'pod'}-${randomSuffix()}`;
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        namespace,
        labels: { ...template.metadata?.labels, ...options.labels },
        ...(template.metadata?.annotations ? { annotations: { ...template.metadata.annotations } } : {}),
        ownerReferences: [options.ref],
      },
      spec: structuredClone(template.spec ?? { containers: [] }),
    };
    try {
      await client.create('pods', pod, { namespace, fieldValidation: 'Ignore' });
      return name;
    } catch (err) {
      if (err instanceof StatusError && err.reason === 'AlreadyExists' && attempt < 3) continue;
      throw err;
    }
  }
}
