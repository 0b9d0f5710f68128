import type { IncomingMessage, ServerResponse } from 'node:http';
import { renderMetrics, type Registry } from '../telemetry/index.js';
import type { ApiDeps } from './api-context.js';
import { agentGet } from './agent-get.js';
import { methodNotAllowed, pathNotFound } from './errors.js';

/** The endpoints Prometheus scrapes through the API port (see `ApiServerOptions.metrics`). */
interface MetricsEndpoint {
  prefix: string;
  matches(path: string): boolean;
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

function sendText(res: ServerResponse, contentType: string, body: string): void {
  res.writeHead(200, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/**
 * `GET PATH`: a registry in Prometheus' text format. Authorized as the non-resource URL (the
 * `system:monitoring` ClusterRole holds `/metrics` and `/metrics/objects`).
 */
export function metricsEndpoint(registry: Registry, path = '/metrics'): MetricsEndpoint {
  return {
    prefix: path,
    matches: (p) => p === path,
    async handle(req, res) {
      if (req.method !== 'GET' && req.method !== 'HEAD') throw methodNotAllowed(req.method ?? '', path);
      const { contentType, body } = await renderMetrics(registry);
      sendText(res, contentType, body);
    },
  };
}

const NODE_METRICS = /^\/api\/v1\/nodes\/([^/]+)\/proxy\/metrics$/;
/** A node's metrics larger than this are refused (a few thousand containers fit well under it). */
const NODE_METRICS_LIMIT = 16 * 1024 * 1024;

/**
 * `GET /api/v1/nodes/NAME/proxy/metrics`: a node agent's `/metrics`, fetched with the node's
 * secret as `pods/log` is — the path Prometheus' usual `kubernetes-nodes` job scrapes kubelets
 * through. The agent's port is never exposed to scrapers. Authorized as `get nodes/metrics` (the
 * permission kubelet itself asks for its `/metrics`), so this path opens nothing else of a node.
 */
export function nodeMetricsEndpoint(deps: ApiDeps): MetricsEndpoint {
  return {
    prefix: '/api/v1/nodes',
    matches: (path) => NODE_METRICS.test(path),
    async handle(req, res) {
      const path = (req.url ?? '').split('?')[0] ?? '';
      const m = NODE_METRICS.exec(path);
      if (m === null) throw pathNotFound(path);
      if (req.method !== 'GET') throw methodNotAllowed(req.method ?? '', path);
      const body = await agentGet(deps, decodeURIComponent(m[1] ?? ''), '/metrics', NODE_METRICS_LIMIT);
      sendText(res, 'text/plain; version=0.0.4; charset=utf-8', body);
    },
  };
}
