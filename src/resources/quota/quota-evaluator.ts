import type { Pod } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../../common/kube-object.js';
import { quantityOf } from '../../common/exact-quantity.js';
import { isBestEffort, podConstraintError, podUsage } from './pod-usage.js';
import type { ResourceList } from './resource-list.js';

/** The store key of Bucket objects, whose count and bytes a namespace's quota may limit. */
export const BUCKETS_RESOURCE = 'buckets.storage.stratus.dev';
/** The quota resource name of the bytes a namespace's buckets hold. */
export const BUCKET_BYTES = 'storage.stratus.dev/bucket-bytes';
/** The quota resource name of a namespace's bucket count. */
export const BUCKET_COUNT = `count/${BUCKETS_RESOURCE}`;

/** One scope requirement of a quota: `spec.scopes` entries are `Exists` requirements. */
export interface ScopeRequirement {
  scopeName: string;
  operator: string;
  values?: string[];
}

/**
 * How quota measures one resource (apiserver's quota.Evaluator): which of a quota's resource
 * names it charges, what an object uses, whether an operation can change that, and the
 * constraints an object must meet.
 */
export interface UsageEvaluator {
  /** The resource names among `names` this resource's objects use. */
  matchingResources(names: readonly string[]): string[];
  /** What one object uses, at `nowMs` (pods stop holding resources when they end). */
  usage(object: KubeObject, nowMs: number): ResourceList;
  /** Whether an operation on the resource can change usage (objects only count on create). */
  handles(operation: 'create' | 'update', subresource: string): boolean;
  /** Whether an object falls under every scope requirement (only pods have scopes). */
  matchesScopes(object: KubeObject, scopes: readonly ScopeRequirement[]): boolean;
  /** Why an object cannot be charged to a quota tracking `required` (undefined: it can). */
  constraints(required: readonly string[], object: KubeObject): string | undefined;
}

/** `count/pods`, `count/deployments.apps`: the object count name of a store key. */
export function objectCountName(groupResource: string): string {
  return `count/${groupResource}`;
}

/** Core kinds counted under their old names too (`secrets` beside `count/secrets`). */
const LEGACY_COUNT_NAMES = new Set(['configmaps', 'secrets', 'resourcequotas', 'replicationcontrollers']);

function objectCountEvaluator(groupResource: string): UsageEvaluator {
  const names = [objectCountName(groupResource)];
  if (LEGACY_COUNT_NAMES.has(groupResource)) names.push(groupResource);
  return {
    matchingResources: (input) => input.filter((n) => names.includes(n)),
    usage: () => new Map(names.map((n) => [n, quantityOf(1)])),
    handles: (operation) => operation === 'create',
    matchesScopes: (_object, scopes) => scopes.length === 0,
    constraints: () => undefined,
  };
}

const POD_RESOURCES = [
  'count/pods',
  'pods',
  'cpu',
  'memory',
  'ephemeral-storage',
  'requests.cpu',
  'requests.memory',
  'requests.ephemeral-storage',
  'limits.cpu',
  'limits.memory',
  'limits.ephemeral-storage',
];

function isExtendedRequest(name: string): boolean {
  return name.startsWith('requests.') && name.includes('/') && !name.includes('kubernetes.io/');
}

const podEvaluator: UsageEvaluator = {
  matchingResources: (input) =>
    input.filter(
      (n) =>
        POD_RESOURCES.includes(n) ||
        n.startsWith('hugepages-') ||
        n.startsWith('requests.hugepages-') ||
        isExtendedRequest(n),
    ),
  usage: (object, nowMs) => podUsage(object as Pod, nowMs),
  handles: (operation, subresource) => operation === 'create' && subresource === '',
  matchesScopes: (object, scopes) => scopes.every((s) => podMatchesScope(object as Pod, s)),
  constraints: (required, object) => podConstraintError(object as Pod, required),
};

function podMatchesScope(pod: Pod, scope: ScopeRequirement): boolean {
  const spec = pod.spec;
  switch (scope.scopeName) {
    case 'Terminating':
      return (spec?.activeDeadlineSeconds ?? -1) >= 0;
    case 'NotTerminating':
      return !((spec?.activeDeadlineSeconds ?? -1) >= 0);
    case 'BestEffort':
      return isBestEffort(pod);
    case 'NotBestEffort':
      return !isBestEffort(pod);
    case 'PriorityClass': {
      const name = spec?.priorityClassName ?? '';
      if (scope.operator === 'Exists') return name !== '';
      if (scope.operator === 'DoesNotExist') return name === '';
      const listed = (scope.values ?? []).includes(name) && name !== '';
      return scope.operator === 'In' ? listed : scope.operator === 'NotIn' ? !listed : false;
    }
    case 'CrossNamespacePodAffinity': {
      const a = spec?.affinity;
      const terms = [
        ...(a?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []),
        ...(a?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []),
        ...(a?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map(
          (w) => w.podAffinityTerm,
        ),
        ...(a?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map(
          (w) => w.podAffinityTerm,
        ),
      ];
      return terms.some((t) => (t.namespaces ?? []).length > 0 || t.namespaceSelector !== undefined);
    }
    default:
      return false;
  }
}

interface ServiceShape {
  spec?: { type?: string; ports?: unknown[]; allocateLoadBalancerNodePorts?: boolean };
}

const SERVICE_RESOURCES = ['count/services', 'services', 'services.nodeports', 'services.loadbalancers'];

const serviceEvaluator: UsageEvaluator = {
  matchingResources: (input) => input.filter((n) => SERVICE_RESOURCES.includes(n)),
  usage(object) {
    const spec = (object as ServiceShape).spec ?? {};
    const ports = (spec.ports ?? []).length;
    const nodePorts =
      spec.type === 'NodePort' ||
      (spec.type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts !== false)
        ? ports
        : 0;
    return new Map([
      ['count/services', quantityOf(1)],
      ['services', quantityOf(1)],
      ['services.nodeports', quantityOf(nodePorts)],
      ['services.loadbalancers', quantityOf(spec.type === 'LoadBalancer' ? 1 : 0)],
    ]);
  },
  handles: (operation, subresource) =>
    subresource === '' && (operation === 'create' || operation === 'update'),
  matchesScopes: (_object, scopes) => scopes.length === 0,
  constraints: () => undefined,
};

const bucketEvaluator: UsageEvaluator = {
  matchingResources: (input) => input.filter((n) => n === BUCKET_COUNT || n === BUCKET_BYTES),
  usage(object) {
    const bytes = (object.status as { bytes?: unknown } | undefined)?.bytes;
    return new Map([
      [BUCKET_COUNT, quantityOf(1)],
      [BUCKET_BYTES, quantityOf(typeof bytes === 'number' && bytes > 0 ? Math.floor(bytes) : 0, 'BinarySI')],
    ]);
  },
  handles: (operation) => operation === 'create',
  matchesScopes: (_object, scopes) => scopes.length === 0,
  constraints: () => undefined,
};

/** The evaluator of a store key (`pods`, `services`, `deployments.apps`, …). */
export function evaluatorFor(groupResource: string): UsageEvaluator {
  if (groupResource === 'pods') return podEvaluator;
  if (groupResource === 'services') return serviceEvaluator;
  if (groupResource === BUCKETS_RESOURCE) return bucketEvaluator;
  return objectCountEvaluator(groupResource);
}

/** The store key a quota resource name counts (`count/deployments.apps` → `deployments.apps`). */
export function countedResource(name: string): string | undefined {
  if (name.startsWith('count/')) return name.slice('count/'.length);
  if (LEGACY_COUNT_NAMES.has(name)) return name;
  if (SERVICE_RESOURCES.includes(name)) return 'services';
  if (name === BUCKET_BYTES) return BUCKETS_RESOURCE;
  if (podEvaluator.matchingResources([name]).length > 0) return 'pods';
  return undefined;
}
