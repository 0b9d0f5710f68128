import { request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { ApiDeps } from './api-context.js';

import { methodNotAllowed, nodeUnreachable, pathNotFound } from './errors.js';
import { agentTarget, readError } from './pod-log.js';

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
      const target = await agentTarget(deps, node);
      const timeoutMs = deps.podLogTimeoutMs ?? 10_000;
      const upstream = await new Promise<IncomingMessage>((resolve, reject) => {
        const out = request(
          {
            host: target.host,
            port: target.port,
            path: `/serviceProxy/stats?${new URLSearchParams({ service: new URL(req.url ?? '', 'http://x').searchParams.get('service') ?? '' }).toString()}`,
            headers: { authorization: `Bearer ${target.token}` },
            timeout: timeoutMs,
          },
          resolve,
        );
        out.on('timeout', () => out.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
        out.on('error', (err) => reject(nodeUnreachable(node, err.message)));
        out.end();
      });
      const body = await readError(upstream, STATS_LIMIT + 1);
      if (body.length > STATS_LIMIT) throw nodeUnreachable(node, 'its answer is larger than 4 MiB');
      if (upstream.statusCode !== 200)
        throw nodeUnreachable(node, `its agent answered ${upstream.statusCode ?? 0}: ${body}`);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(body);
    },
  };
}
