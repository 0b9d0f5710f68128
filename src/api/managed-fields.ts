import type { KubeObject } from '../common/kube-object.js';
import type { ResourceType } from '../resources/index.js';
import { apiVersionOf } from './api-context.js';
import { updateManagedFields } from './patch/index.js';

/**
 * Records in `metadata.managedFields` which fields `manager` set with this write (an `Update`
 * operation), as every Kubernetes write does, so that a later server-side apply sees who owns
 * what. The object's existing entries carry over from `old`; entries the client rewrote
 * itself (kubectl does when it migrates to server-side apply) are the starting point instead.
 */
export function trackManagedFields(
  type: ResourceType,
  old: KubeObject | undefined,
  updated: KubeObject,
  manager: string,
  now: number,
  operation: 'Update',
  subresource?: string,
): KubeObject {
  return updateManagedFields(old, updated, {
    manager,
    operation,
    schema: type.schema,
    schemas: type.schemas,
    apiVersion: apiVersionOf(type),
    now,
    ...(subresource !== undefined ? { subresource } : {}),
  });
}
