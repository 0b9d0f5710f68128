import type { KubeObject, OwnerReference } from '../common/kube-object.js';

const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

/** Five random characters from Kubernetes' name alphabet (no vowels, no confusable digits). */
export function randomSuffix(length = 5): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHANUMS[Math.floor(Math.random() * ALPHANUMS.length)];
  return out;
}

/** The ownerReference that marks `owner` as the controller of an object. */
export function controllerRef(owner: KubeObject, apiVersion: string, kind: string): OwnerReference {
  return {
    apiVersion,
    kind,
    name: owner.metadata.name ?? '',
    uid: owner.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** The controlling ownerReference of an object, if any. */
export function getControllerOf(object: KubeObject): OwnerReference | undefined {
  return object.metadata.ownerReferences?.find((r) => r.controller === true);
}

/** `namespace/name` of the object's controller when it is of `kind`, else undefined. */
export function controllerKey(object: KubeObject, kind: string): string | undefined {
  const ref = getControllerOf(object);
  if (!ref || ref.kind !== kind) return undefined;
  return `${object.metadata.namespace ?? ''}/${ref.name}`;
}
