import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KubeObject } from '../common/kube-object.js';
import { queryBool } from '../common/query-bool.js';
import {
  METRICS_GROUP,
  METRICS_VERSION,
  metricsList,
  nodeMetrics,
  podMetrics,
  type PodUsage,
  type ResourceSummary,
} from '../telemetry/index.js';
import type { ApiDeps } from './api-context.js';
import { agentGet } from './agent-get.js';
import { extraApiGroup, extraResourceList, type DiscoveryGroup } from './discovery.js';
import { methodNotAllowed, notFound, pathNotFound } from './errors.js';
import { sendJson } from './http-io.js';

/** What `/apis` lists for the resource metrics API. */
export const METRICS_DISCOVERY: DiscoveryGroup = {
  group: METRICS_GROUP,
  version: METRICS_VERSION,
  resources: [
    { plural: 'nodes', singular: '', kind: 'NodeMetrics', namespaced: false, verbs: ['get', 'list'] },
    { plural: 'pods', singular: '', kind: 'PodMetrics', namespaced: true, verbs: ['get', 'list'] },
  ],
};

const PREFIX = `/apis/${METRICS_GROUP}`;
/** A summary larger than this is refused (tens of thousands of containers). */
const SUMMARY_LIMIT = 8 * 1024 * 1024;

/** The summaries of these nodes' agents; a node that does not answer is left out, as metrics-server does. */
async function summaries(deps: ApiDeps, nodes: Iterable<string>): Promise<Map<string, ResourceSummary>> {
  const out = new Map<string, ResourceSummary>();
  await Promise.all(
    [...new Set(nodes)].map(async (node) => {
      try {
        const text = await agentGet(deps, node, '/stats/resource', SUMMARY_LIMIT);
        out.set(node, JSON.parse(text) as ResourceSummary);
      } catch {
        // unreachable, or no answer in time: no metrics for it
      }
    }),
  );
  return out;
}

const meta = (o: KubeObject): { name?: string; uid?: string } => o.metadata ?? {};
const nodeOf = (pod: KubeObject): string => ((pod['spec'] ?? {}) as { nodeName?: string }).nodeName ?? '';

/** The stored objects a request names: one by name, or a list with the request's selectors. */
async function objects(
  deps: ApiDeps,
  resource: 'nodes' | 'pods',
  namespace: string,
  query: URLSearchParams,
  name: string | undefined,
): Promise<KubeObject[]> {
  if (name !== undefined) {
    const one = await deps.store.get(resource, namespace, name);
    return one === undefined ? [] : [one];
  }
  const selectors = {
    labelSelector: query.get('labelSelector') ?? '',
    fieldSelector: query.get('fieldSelector') ?? '',
  };
  return (await deps.store.list(resource, { namespace, ...selectors })).items;
}

async function nodeMetricsOf(deps: ApiDeps, nodes: KubeObject[]): Promise<KubeObject[]> {
  const byNode = await summaries(
    deps,
    nodes.map((n) => meta(n).name ?? ''),
  );
  const now = new Date(deps.clock.now()).toISOString();
  return nodes.flatMap((n) => {
    const s = byNode.get(meta(n).name ?? '');
    const m = s === undefined ? undefined : nodeMetrics(n, s, now);
    return m === undefined ? [] : [m];
  });
}

async function podMetricsOf(deps: ApiDeps, pods: KubeObject[]): Promise<KubeObject[]> {
  const bound = pods.filter((p) => nodeOf(p) !== '');
  const byNode = await summaries(deps, bound.map(nodeOf));
  const now = new Date(deps.clock.now()).toISOString();
  const usage = new Map<string, { s: ResourceSummary; u: PodUsage }>();
  for (const s of byNode.values()) for (const u of s.pods) usage.set(u.uid, { s, u });
  return bound.flatMap((p) => {
    const found = usage.get(meta(p).uid ?? '');
    return found === undefined ? [] : [podMetrics(p, found.u, found.s, now)];
  });
}

/** Parses `v1beta1/nodes[/N]`, `v1beta1/pods`, `v1beta1/namespaces/NS/pods[/N]`. */
function route(
  parts: string[],
): { resource: 'nodes' | 'pods'; namespace: string; name?: string } | undefined {
  const [a, b, c, d, ...more] = parts;
  if (more.length > 0) return undefined;
  if (a === 'nodes' && c === undefined)
    return { resource: 'nodes', namespace: '', ...(b ? { name: b } : {}) };
  if (a === 'pods' && b === undefined) return { resource: 'pods', namespace: '' };
  if (a === 'namespaces' && b !== undefined && c === 'pods')
    return { resource: 'pods', namespace: b, ...(d !== undefined ? { name: d } : {}) };
  return undefined;
}

/**
 * `metrics.k8s.io/v1beta1` as metrics-server serves it, so `kubectl top` works unchanged:
 * NodeMetrics and PodMetrics (get; list with label and field selectors), computed on request from
 * the summaries the nodes' agents keep (`GET /stats/resource` on the agent's port with the node's
 * secret, as `pods/log`). Nodes and pods come from the store, so selectors, namespaces and labels
 * are theirs; a node whose agent does not answer, or has not sampled twice yet, has no metrics (a
 * get is 404, a list leaves it out). Authorized before it runs as any resource request (`list
 * pods` in `metrics.k8s.io`, which `view`, `edit` and `admin` hold).
 */
export function resourceMetricsExtension(deps: ApiDeps): {
  prefix: string;
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
} {
  return {
    prefix: PREFIX,
    async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
      const url = new URL(req.url ?? '/', 'http://x');
      const path = url.pathname;
      if (req.method !== 'GET') throw methodNotAllowed(req.method ?? '', path);
      const [version, ...rest] = path
        .slice(PREFIX.length)
        .split('/')
        .filter((p) => p !== '')
        .map(decodeURIComponent);
      if (version === undefined) return sendJson(res, 200, extraApiGroup(METRICS_DISCOVERY));
      if (version !== METRICS_VERSION) throw pathNotFound(path);
      if (rest.length === 0) return sendJson(res, 200, extraResourceList(METRICS_DISCOVERY));
      const r = route(rest);
      if (r === undefined) throw pathNotFound(path);
      if (queryBool(url.searchParams, 'watch')) throw methodNotAllowed('WATCH', path);
      const found = await objects(deps, r.resource, r.namespace, url.searchParams, r.name);
      const items =
        r.resource === 'nodes' ? await nodeMetricsOf(deps, found) : await podMetricsOf(deps, found);
      const kind = r.resource === 'nodes' ? 'NodeMetrics' : 'PodMetrics';
      if (r.name === undefined) return sendJson(res, 200, metricsList(kind, items));
      if (items[0] === undefined) {
        const resource = `${kind.toLowerCase()}.${METRICS_GROUP}`;
        throw notFound(resource, r.name, { name: r.name, group: METRICS_GROUP, kind: r.resource });
      }
      sendJson(res, 200, items[0]);
    },
  };
}
