import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiDeps } from './api-context.js';
import { agentGet } from './agent-get.js';
import { methodNotAllowed, pathNotFound } from './errors.js';

/** The API group of the network views (beside the Kubernetes kinds). */
export const NETWORK_API_PREFIX = '/apis/network.stratus.dev/v1';

const STATS_LIMIT = 4 * 1024 * 1024;

/**
 * `GET /apis/network.stratus.dev/v1/nodes/NODE/serviceproxy`: the counters of a node's service
 * proxy (listeners, endpoints, states, connections), fetched from its agent with the node's
 * secret, as `pods/log` is. Authorized as `get nodes/serviceproxy` in `network.stratus.dev`
 * (admins; `stratus explain service` reads it). `?service=NS/NAME` keeps that Service's
 * listeners. Answers over 4 MiB are refused rather than cut.
 */
export function serviceProxyStatsExtension(deps: ApiDeps): {
  prefix: string;
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
} {
  const prefix = `${NETWORK_API_PREFIX}/nodes`;
  return {
    prefix,
    async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
      const path = (req.url ?? '').split('?')[0] ?? '';
      const m = /^\/([^/]+)\/serviceproxy$/.exec(path.slice(prefix.length));
      if (m === null) throw pathNotFound(path);
      if (req.method !== 'GET') throw methodNotAllowed(req.method ?? '', path);
      const node = decodeURIComponent(m[1] ?? '');
      const service = new URL(req.url ?? '', 'http://x').searchParams.get('service') ?? '';
      const body = await agentGet(
        deps,
        node,
        `/serviceProxy/stats?${new URLSearchParams({ service }).toString()}`,
        STATS_LIMIT,
      );
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(body);
    },
  };
}
