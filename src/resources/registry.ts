import type { ResourceType } from './resource-type.js';
import type { SchemaDocument, SchemaNode } from './schema.js';
import { defineKind, type KindDefinition } from './define-kind.js';
import { schemaDocument } from './schemas.js';
import { accessKeyKind } from './kinds/access-key.js';
import { bucketKind } from './kinds/bucket.js';
import { priceSheetKind } from './kinds/price-sheet.js';
import { configMapKind } from './kinds/configmap.js';
import { cronJobKind } from './kinds/cronjob.js';
import { daemonSetKind } from './kinds/daemonset.js';
import { deploymentKind } from './kinds/deployment.js';
import { endpointsKind } from './kinds/endpoints.js';
import { endpointSliceKind } from './kinds/endpointslice.js';
import { ingressClassKind, ingressKind } from './kinds/ingress.js';
import { eventKind } from './kinds/event.js';
import { jobKind } from './kinds/job.js';
import { leaseKind } from './kinds/lease.js';
import { namespaceKind } from './kinds/namespace.js';
import { nodeKind } from './kinds/node.js';
import { podKind } from './kinds/pod.js';
import { replicaSetKind } from './kinds/replicaset.js';
import { runtimeClassKind } from './kinds/runtimeclass.js';
import { secretKind } from './kinds/secret.js';
import { serviceAccountKind } from './kinds/serviceaccount.js';
import { serviceKind } from './kinds/service.js';
import { clusterRoleBindingKind, clusterRoleKind, roleBindingKind, roleKind } from './kinds/rbac.js';
import { reviewKinds } from './kinds/reviews.js';
import { nodeCredentialRequestKind } from './kinds/node-credential-request.js';
import { resourceQuotaKind } from './kinds/resource-quota.js';
import { limitRangeKind } from './kinds/limit-range.js';
import { horizontalPodAutoscalerKind } from './kinds/horizontal-pod-autoscaler.js';
import { horizontalPodAutoscalerV1Kind } from './kinds/horizontal-pod-autoscaler-v1.js';

/** The kinds Stratus serves out of the box, in discovery order. */
export const builtinKinds: readonly KindDefinition[] = [
  podKind,
  serviceKind,
  endpointsKind,
  configMapKind,
  secretKind,
  serviceAccountKind,
  resourceQuotaKind,
  limitRangeKind,
  namespaceKind,
  nodeKind,
  eventKind,
  deploymentKind,
  replicaSetKind,
  daemonSetKind,
  jobKind,
  cronJobKind,
  horizontalPodAutoscalerKind,
  horizontalPodAutoscalerV1Kind,
  leaseKind,
  runtimeClassKind,
  endpointSliceKind,
  ingressKind,
  ingressClassKind,
  bucketKind,
  priceSheetKind,
  accessKeyKind,
  nodeCredentialRequestKind,
  roleKind,
  clusterRoleKind,
  roleBindingKind,
  clusterRoleBindingKind,
  ...reviewKinds,
];

/** An API group and the versions it serves, for discovery (`/apis`). */
export interface GroupVersions {
  /** '' for the core group (served under `/api`). */
  group: string;
  versions: string[];
}

/**
 * All served kinds, looked up the ways the API server, kubectl and the CLI need: by URL
 * (group, version, plural), by store key (`deployments.apps`), by apiVersion and kind, and by
 * whatever a user types (`deploy`, `deployment`, `deployments.apps`, `Deployment`).
 */
export interface ResourceRegistry {
  /** Every kind, in registration order. */
  all(): ResourceType[];
  /** The kind served at `/apis/{group}/{version}/{plural}` (group '' for `/api/v1`). */
  get(group: string, version: string, plural: string): ResourceType | undefined;
  /** The kind stored under a GroupResource key: `pods`, `deployments.apps`. */
  byStorageResource(resource: string): ResourceType | undefined;
  /** The kind of an object: `byKind('apps/v1', 'Deployment')`. */
  byKind(apiVersion: string, kind: string): ResourceType | undefined;
  /**
   * The kind a user means: plural, singular, short name or kind, case-insensitive, optionally
   * qualified by group (`deployments.apps`, `deploy.apps`). Undefined when nothing matches.
   */
  resolve(name: string): ResourceType | undefined;
  /** The kinds in a category: `inCategory('all')` for `kubectl get all`. */
  inCategory(category: string): ResourceType[];
  /** The served groups and versions, core first, for discovery. */
  groups(): GroupVersions[];
  /** The schema document every kind's schema resolves against. */
  readonly schemas: SchemaDocument;
  /** The autoscaling/v1 Scale schema, for the `scale` subresource. */
  readonly scaleSchema: SchemaNode;
}

/**
 * Builds the registry of built-in kinds plus any `kinds` other parts define (with their
 * schema `definitions`, merged into the shared document). Throws a TypeError on a duplicate
 * kind or plural, which is a programming error.
 */
export function createRegistry(
  options: { kinds?: KindDefinition[]; definitions?: Record<string, SchemaNode> } = {},
): ResourceRegistry {
  const schemas: SchemaDocument = options.definitions
    ? { definitions: { ...schemaDocument.definitions, ...options.definitions } }
    : schemaDocument;
  const types = [...builtinKinds, ...(options.kinds ?? [])].map((k) => defineKind(k, schemas));
  const byPath = new Map<string, ResourceType>();
  const byStorage = new Map<string, ResourceType>();
  const byKindMap = new Map<string, ResourceType>();
  for (const t of types) {
    const apiVersion = t.group ? `${t.group}/${t.version}` : t.version;
    const path = `${t.group}/${t.version}/${t.plural}`;
    if (byPath.has(path) || byKindMap.has(`${apiVersion}/${t.kind}`)) {
      throw new TypeError(`kind ${t.kind} (${path}) is registered twice`);
    }
    byPath.set(path, t);
    if (!byStorage.has(t.storageResource)) byStorage.set(t.storageResource, t);
    byKindMap.set(`${apiVersion}/${t.kind}`, t);
  }
  const names = (t: ResourceType): string[] =>
    [t.plural, t.singular, t.kind, ...t.shortNames].map((n) => n.toLowerCase());
  return {
    schemas,
    scaleSchema: { type: 'ref', ref: 'io.k8s.api.autoscaling.v1.Scale' },
    all: () => [...types],
    get: (group, version, plural) => byPath.get(`${group}/${version}/${plural}`),
    byStorageResource: (resource) => byStorage.get(resource),
    byKind: (apiVersion, kind) => byKindMap.get(`${apiVersion}/${kind}`),
    resolve(name) {
      const lower = name.toLowerCase();
      const exact = types.find((t) => names(t).includes(lower));
      if (exact) return exact;
      // `deployments.apps`, `deploy.apps`, `leases.coordination.k8s.io`, `jobs.v1.batch`.
      return types.find((t) => {
        if (!t.group) return false;
        for (const qual of [`.${t.group}`, `.${t.version}.${t.group}`]) {
          if (lower.endsWith(qual) && names(t).includes(lower.slice(0, -qual.length))) return true;
        }
        return false;
      });
    },
    inCategory: (category) => types.filter((t) => t.categories.includes(category)),
    groups() {
      const out: GroupVersions[] = [];
      for (const t of types) {
        const g = out.find((x) => x.group === t.group);
        if (!g) out.push({ group: t.group, versions: [t.version] });
        else if (!g.versions.includes(t.version)) g.versions.push(t.version);
      }
      return out.sort((a, b) => (a.group === '' ? -1 : b.group === '' ? 1 : 0));
    },
  };
}
