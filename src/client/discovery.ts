/**
 * Reading the API server's discovery documents into ResourceInfo entries, and resolving the
 * names users type (`deploy`, `deployments`, `deployment.apps`, `Deployment`,
 * `deployments.v1.apps`) to one of them, by kubectl's rules. Pure: the client fetches, this
 * file only interprets.
 */

/** One resource the API server serves, as discovery describes it. */
export interface ResourceInfo {
  /** '' for the core group. */
  group: string;
  version: string;
  kind: string;
  /** The plural used in URLs: `deployments`. */
  resource: string;
  singular: string;
  shortNames: string[];
  namespaced: boolean;
  verbs: string[];
  categories: string[];
  subresources: string[];
  /** True for the group's preferred version (the first one listed). */
  preferred: boolean;
}

/** The Accept header that asks for aggregated (v2) discovery, falling back to plain JSON. */
export const AGGREGATED_DISCOVERY_ACCEPT =
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json';

interface AggregatedResource {
  resource?: string;
  responseKind?: { group?: string; version?: string; kind?: string };
  scope?: string;
  singularResource?: string;
  verbs?: string[];
  shortNames?: string[];
  categories?: string[];
  subresources?: Array<{ subresource?: string }>;
}

interface AggregatedList {
  kind?: string;
  items?: Array<{
    metadata?: { name?: string };
    versions?: Array<{ version?: string; resources?: AggregatedResource[] }>;
  }>;
}

/** True when a discovery body is an aggregated `APIGroupDiscoveryList`. */
export function isAggregatedDiscovery(body: unknown): boolean {
  return (
    typeof body === 'object' && body !== null && (body as AggregatedList).kind === 'APIGroupDiscoveryList'
  );
}

/** The resources of an aggregated discovery document (`/api` or `/apis` in v2 form). */
export function parseAggregatedDiscovery(body: unknown): ResourceInfo[] {
  const out: ResourceInfo[] = [];
  for (const item of (body as AggregatedList).items ?? []) {
    const group = item.metadata?.name ?? '';
    (item.versions ?? []).forEach((v, index) => {
      for (const r of v.resources ?? []) {
        if (!r.resource) continue;
        out.push({
          group,
          version: v.version ?? '',
          kind: r.responseKind?.kind ?? '',
          resource: r.resource,
          singular: r.singularResource ?? r.responseKind?.kind?.toLowerCase() ?? '',
          shortNames: r.shortNames ?? [],
          namespaced: r.scope === 'Namespaced',
          verbs: r.verbs ?? [],
          categories: r.categories ?? [],
          subresources: (r.subresources ?? []).flatMap((s) => (s.subresource ? [s.subresource] : [])),
          preferred: index === 0,
        });
      }
    });
  }
  return out;
}

interface ApiResourceList {
  groupVersion?: string;
  resources?: Array<{
    name?: string;
    singularName?: string;
    namespaced?: boolean;
    kind?: string;
    verbs?: string[];
    shortNames?: string[];
    categories?: string[];
  }>;
}

/**
 * The resources of one legacy `APIResourceList` (`/api/v1`, `/apis/apps/v1`). Entries with a
 * slash (`deployments/status`) are subresources and attach to their parent.
 */
export function parseResourceList(body: unknown, preferred: boolean): ResourceInfo[] {
  const list = body as ApiResourceList;
  const gv = list.groupVersion ?? '';
  const slash = gv.indexOf('/');
  const group = slash < 0 ? '' : gv.slice(0, slash);
  const version = slash < 0 ? gv : gv.slice(slash + 1);
  const byName = new Map<string, ResourceInfo>();
  const subs: Array<[string, string]> = [];
  for (const r of list.resources ?? []) {
    if (!r.name) continue;
    const [parent, sub] = r.name.split('/', 2) as [string, string | undefined];
    if (sub !== undefined) {
      subs.push([parent, sub]);
      continue;
    }
    byName.set(r.name, {
      group,
      version,
      kind: r.kind ?? '',
      resource: r.name,
      singular: r.singularName || (r.kind ?? '').toLowerCase(),
      shortNames: r.shortNames ?? [],
      namespaced: r.namespaced === true,
      verbs: r.verbs ?? [],
      categories: r.categories ?? [],
      subresources: [],
      preferred,
    });
  }
  for (const [parent, sub] of subs) byName.get(parent)?.subresources.push(sub);
  return [...byName.values()];
}

/**
 * The resource a user's name means, or undefined. Accepts plural, singular, short name and
 * kind (any case), optionally qualified by group (`deployments.apps`) or version and group
 * (`deployments.v1.apps`). Prefers the preferred version, and the core and `apps` groups over
 * others when an unqualified name is ambiguous, as kubectl does.
 */
export function resolveResource(resources: readonly ResourceInfo[], name: string): ResourceInfo | undefined {
  const lower = name.toLowerCase();
  const matches = (r: ResourceInfo, n: string): boolean =>
    r.resource === n || r.singular === n || r.shortNames.includes(n) || r.kind.toLowerCase() === n;
  const candidates: ResourceInfo[] = resources.filter((r) => matches(r, lower));
  const dot = lower.indexOf('.');
  if (dot > 0) {
    const head = lower.slice(0, dot);
    const rest = lower.slice(dot + 1);
    for (const r of resources) {
      if (!matches(r, head)) continue;
      if (r.group === rest || `${r.version}.${r.group}` === rest) candidates.push(r);
    }
  }
  if (candidates.length === 0) return undefined;
  const rank = (r: ResourceInfo): number =>
    (r.preferred ? 0 : 10) +
    (r.group === '' ? 0 : r.group === 'apps' ? 1 : r.group.endsWith('.k8s.io') ? 2 : 3);
  return [...candidates].sort((a, b) => rank(a) - rank(b))[0];
}

/** The resource serving a given apiVersion and kind (`apps/v1`, `Deployment`), or undefined. */
export function resourceForKind(
  resources: readonly ResourceInfo[],
  apiVersion: string,
  kind: string,
): ResourceInfo | undefined {
  const slash = apiVersion.indexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
  return resources.find((r) => r.group === group && r.version === version && r.kind === kind);
}

/** `deployments.apps`, or `pods` for the core group: how kubectl names a resource in messages. */
export function groupResource(info: Pick<ResourceInfo, 'group' | 'resource'>): string {
  return info.group ? `${info.resource}.${info.group}` : info.resource;
}

/** `deployment.apps`, or `pod` for the core group: the prefix of kubectl's `-o name` output. */
export function kindGroup(info: Pick<ResourceInfo, 'group' | 'kind'>): string {
  const kind = info.kind.toLowerCase();
  return info.group ? `${kind}.${info.group}` : kind;
}

/** The URL path of a collection or object: `/apis/apps/v1/namespaces/default/deployments/web`. */
export function resourcePath(
  info: Pick<ResourceInfo, 'group' | 'version' | 'resource' | 'namespaced'>,
  options: { namespace?: string; name?: string; subresource?: string } = {},
): string {
  let path = info.group ? `/apis/${info.group}/${info.version}` : `/api/${info.version}`;
  if (info.namespaced && options.namespace) path += `/namespaces/${encodeURIComponent(options.namespace)}`;
  path += `/${info.resource}`;
  if (options.name !== undefined) path += `/${encodeURIComponent(options.name)}`;
  if (options.subresource) path += `/${options.subresource}`;
  return path;
}

/**
 * The resources in a category (`all` for `get all`), preferred versions only, in kubectl's
 * order for `all` (pods, services, then workloads) and discovery order otherwise.
 */
export function resourcesInCategory(resources: readonly ResourceInfo[], category: string): ResourceInfo[] {
  const order = [
    'pods',
    'services',
    'daemonsets',
    'deployments',
    'replicasets',
    'statefulsets',
    'horizontalpodautoscalers',
    'cronjobs',
    'jobs',
  ];
  const rank = (r: ResourceInfo): number => {
    const i = order.indexOf(r.resource);
    return i < 0 ? order.length : i;
  };
  return resources
    .filter((r) => r.preferred && r.categories.includes(category))
    .map((r, i) => ({ r, i }))
    .sort((a, b) => rank(a.r) - rank(b.r) || a.i - b.i)
    .map(({ r }) => r);
}
