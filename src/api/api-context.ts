import type { Clock } from '../common/clock.js';
import type { Admission, UserInfo } from '../identity/index.js';
import type { CachedStore } from '../store/index.js';
import type { ResourceType } from '../resources/index.js';
import type { RegistryHooks } from './registry-hooks.js';

/**
 * The registry as the API server indexes it: by URL (group, version, plural) and by store key.
 * Built once at construction, so that routing a request is a map lookup.
 */
export class TypeIndex {
  readonly all: readonly ResourceType[];
  private readonly byPath = new Map<string, ResourceType>();
  private readonly byStorage = new Map<string, ResourceType>();
  private readonly byKind = new Map<string, ResourceType>();

  constructor(types: readonly ResourceType[]) {
    this.all = types;
    for (const t of types) {
      this.byPath.set(`${t.group}/${t.version}/${t.plural}`, t);
      if (!this.byStorage.has(t.storageResource)) this.byStorage.set(t.storageResource, t);
      this.byKind.set(`${apiVersionOf(t)}/${t.kind}`, t);
    }
  }

  /** The type served at `/api(s)/GROUP/VERSION/PLURAL`. */
  lookup(group: string, version: string, plural: string): ResourceType | undefined {
    return this.byPath.get(`${group}/${version}/${plural}`);
  }

  /** The type stored under a GroupResource key (`deployments.apps`). */
  byStorageResource(resource: string): ResourceType | undefined {
    return this.byStorage.get(resource);
  }

  /** The type of an ownerReference's apiVersion and kind. */
  byApiVersionKind(apiVersion: string, kind: string): ResourceType | undefined {
    return this.byKind.get(`${apiVersion}/${kind}`);
  }

  /** Every distinct store key, namespaced ones or cluster-scoped ones. */
  storageResources(namespaced: boolean): ResourceType[] {
    return [...this.byStorage.values()].filter((t) => t.namespaced === namespaced);
  }
}

/** `v1` for the core group, `apps/v1` otherwise. */
export function apiVersionOf(t: ResourceType): string {
  return t.group === '' ? t.version : `${t.group}/${t.version}`;
}

/** `deployments.apps`, `pods`: how Kubernetes names a resource in messages. */
export function qualifiedResource(t: ResourceType): string {
  return t.group === '' ? t.plural : `${t.plural}.${t.group}`;
}

/**
 * The fields the watch cache indexes for `=` selectors: every node agent lists and watches its
 * own pods with `spec.nodeName=NODE`, which the index answers without looking at other pods.
 */
export const WATCH_CACHE_INDEXES: Readonly<Record<string, readonly string[]>> = {
  pods: ['spec.nodeName'],
};

/**
 * What every handler needs: the store (behind its watch cache), the clock, the registry index,
 * the kinds' hooks, admission.
 */
export interface ApiDeps {
  store: CachedStore;
  clock: Clock;
  types: TypeIndex;
  /** Registry steps by store key, run between defaulting and validation (see RegistryHook). */
  hooks: RegistryHooks;
  /** From connecting to a node's agent until its answer's headers (`pods/log`); default 10 000 ms. */
  podLogTimeoutMs?: number;
  /** Checks each write before it is stored (see `Admission`); absent: none. */
  admission?: Admission;
}

/** The options a write takes from its query string. */
export interface WriteOptions {
  dryRun: boolean;
  fieldValidation: 'Strict' | 'Warn' | 'Ignore';
  fieldManager: string;
  /** Warnings for the reply's `Warning` headers; handlers append. */
  warnings: string[];
  /** The requester, for admission; absent for the server's own writes. */
  user?: UserInfo;
  /** The object name in the request's URL ('' when it posts to a collection). */
  requestName?: string;
}
