import type { ResourceType } from '../resources/index.js';

/** The Content-Type of aggregated discovery v2 replies; kubectl checks it. */
export const AGGREGATED_DISCOVERY_CONTENT_TYPE =
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

/** True when the Accept header prefers aggregated discovery (kubectl does; client-node does not). */
export function wantsAggregatedDiscovery(accept: string | undefined): boolean {
  return accept !== undefined && accept.includes('as=APIGroupDiscoveryList') && accept.includes('v=v2;');
}

const SUBRESOURCE_VERBS: Record<string, string[]> = {
  status: ['get', 'patch', 'update'],
  scale: ['get', 'patch', 'update'],
  log: ['get'],
  binding: ['create'],
  eviction: ['create'],
  exec: ['create', 'get'],
  attach: ['create', 'get'],
  portforward: ['create', 'get'],
};

const SUBRESOURCE_KINDS: Record<string, { group: string; version: string; kind: string }> = {
  scale: { group: 'autoscaling', version: 'v1', kind: 'Scale' },
  binding: { group: '', version: 'v1', kind: 'Binding' },
  eviction: { group: 'policy', version: 'v1', kind: 'Eviction' },
  exec: { group: '', version: 'v1', kind: 'PodExecOptions' },
  attach: { group: '', version: 'v1', kind: 'PodAttachOptions' },
  portforward: { group: '', version: 'v1', kind: 'PodPortForwardOptions' },
};

/** Group name → version → its resource types, in registry order (core group first). */
export function groupTypes(types: readonly ResourceType[]): Map<string, Map<string, ResourceType[]>> {
  const groups = new Map<string, Map<string, ResourceType[]>>();
  for (const t of types) {
    let versions = groups.get(t.group);
    if (versions === undefined) groups.set(t.group, (versions = new Map<string, ResourceType[]>()));
    let list = versions.get(t.version);
    if (list === undefined) versions.set(t.version, (list = [] as ResourceType[]));
    list.push(t);
  }
  return groups;
}

/**
 * The `apidiscovery.k8s.io/v2` APIGroupDiscoveryList for `/api` (core only) or `/apis` (every
 * named group): one round trip gives kubectl every resource with its short names, categories,
 * verbs and subresources.
 */
export function aggregatedDiscovery(types: readonly ResourceType[], core: boolean): Record<string, unknown> {
  const items: unknown[] = [];
  for (const [group, versions] of groupTypes(types)) {
    if ((group === '') !== core) continue;
    items.push({
      metadata: { name: group, creationTimestamp: null },
      versions: [...versions].map(([version, list]) => ({
        version,
        resources: list.map(discoveryResource),
        freshness: 'Current',
      })),
    });
  }
  return { kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/v2', metadata: {}, items };
}

function discoveryResource(t: ResourceType): Record<string, unknown> {
  const entry: Record<string, unknown> = {
    resource: t.plural,
    responseKind: { group: t.group, version: t.version, kind: t.kind },
    scope: t.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: t.singular,
    verbs: t.verbs,
  };
  if (t.shortNames.length > 0) entry.shortNames = t.shortNames;
  if (t.categories.length > 0) entry.categories = t.categories;
  if (t.subresources.length > 0) {
    entry.subresources = t.subresources.map((sub) => ({
      subresource: sub,
      responseKind: SUBRESOURCE_KINDS[sub] ?? { group: t.group, version: t.version, kind: t.kind },
      verbs: SUBRESOURCE_VERBS[sub] ?? ['get'],
    }));
  }
  return entry;
}

/** The legacy `APIVersions` for `/api`. */
export function apiVersions(): Record<string, unknown> {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '' }],
  };
}

/** The legacy `APIGroup` of one named group, or undefined when it is not served. */
export function apiGroup(types: readonly ResourceType[], group: string): Record<string, unknown> | undefined {
  const versions = groupTypes(types).get(group);
  if (group === '' || versions === undefined) return undefined;
  const list = [...versions.keys()].map((v) => ({ groupVersion: `${group}/${v}`, version: v }));
  return { kind: 'APIGroup', apiVersion: 'v1', name: group, versions: list, preferredVersion: list[0] };
}

/** The legacy `APIGroupList` for `/apis`. */
export function apiGroupList(types: readonly ResourceType[]): Record<string, unknown> {
  const groups: unknown[] = [];
  for (const group of groupTypes(types).keys()) {
    if (group === '') continue;
    const g = apiGroup(types, group);
    if (g !== undefined)
      groups.push({ name: g.name, versions: g.versions, preferredVersion: g.preferredVersion });
  }
  return { kind: 'APIGroupList', apiVersion: 'v1', groups };
}

/** The legacy `APIResourceList` of one group-version, or undefined when it is not served. */
export function apiResourceList(
  types: readonly ResourceType[],
  group: string,
  version: string,
): Record<string, unknown> | undefined {
  const list = groupTypes(types).get(group)?.get(version);
  if (list === undefined) return undefined;
  const resources: unknown[] = [];
  for (const t of list) {
    const entry: Record<string, unknown> = {
      name: t.plural,
      singularName: t.singular,
      namespaced: t.namespaced,
      kind: t.kind,
      verbs: t.verbs,
    };
    if (t.shortNames.length > 0) entry.shortNames = t.shortNames;
    if (t.categories.length > 0) entry.categories = t.categories;
    resources.push(entry);
    for (const sub of t.subresources) {
      const k = SUBRESOURCE_KINDS[sub];
      const subEntry: Record<string, unknown> = {
        name: `${t.plural}/${sub}`,
        singularName: '',
        namespaced: t.namespaced,
        kind: k?.kind ?? t.kind,
        verbs: SUBRESOURCE_VERBS[sub] ?? ['get'],
      };
      if (k !== undefined) {
        subEntry.group = k.group;
        subEntry.version = k.version;
      }
      resources.push(subEntry);
    }
  }
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: group === '' ? version : `${group}/${version}`,
    resources,
  };
}

/**
 * A group-version served by code of its own rather than from the store (`metrics.k8s.io`, as
 * metrics-server serves it through aggregation): listed in `/apis` in both forms, its group and
 * resource-list documents answered by the handler that serves it.
 */
export interface DiscoveryGroup {
  group: string;
  version: string;
  resources: { plural: string; singular: string; kind: string; namespaced: boolean; verbs: string[] }[];
}

/** The `APIGroup` of a DiscoveryGroup (`/apis/GROUP`). */
export function extraApiGroup(g: DiscoveryGroup): Record<string, unknown> {
  const v = { groupVersion: `${g.group}/${g.version}`, version: g.version };
  return { kind: 'APIGroup', apiVersion: 'v1', name: g.group, versions: [v], preferredVersion: v };
}

/** The `APIResourceList` of a DiscoveryGroup (`/apis/GROUP/VERSION`). */
export function extraResourceList(g: DiscoveryGroup): Record<string, unknown> {
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: `${g.group}/${g.version}`,
    resources: g.resources.map((r) => ({
      name: r.plural,
      singularName: r.singular,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: r.verbs,
    })),
  };
}

/** The aggregated-discovery item of a DiscoveryGroup. */
export function extraAggregatedItem(g: DiscoveryGroup): Record<string, unknown> {
  return {
    metadata: { name: g.group, creationTimestamp: null },
    versions: [
      {
        version: g.version,
        resources: g.resources.map((r) => ({
          resource: r.plural,
          responseKind: { group: g.group, version: g.version, kind: r.kind },
          scope: r.namespaced ? 'Namespaced' : 'Cluster',
          singularResource: r.singular,
          verbs: r.verbs,
        })),
        freshness: 'Current',
      },
    ],
  };
}
