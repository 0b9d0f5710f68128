import type { IncomingMessage } from 'node:http';
import type { ApiDeps } from './api-context.js';
import { nodeUnreachable } from './errors.js';
import { agentRequest, agentTarget, readError } from './pod-log.js';

/**
 * GETs `path` from a node's agent with the node's secret (as `pods/log` does: the endpoint from
 * the Node's status, checked by `agentTarget`), within `podLogTimeoutMs` (default 10 s), and
 * returns the answer's text; anything but 200, or more than `limit` bytes, is API_NODE_UNREACHABLE.
 */
export async function agentGet(deps: ApiDeps, node: string, path: string, limit: number): Promise<string> {
  const target = await agentTarget(deps, node);
  const timeoutMs = deps.podLogTimeoutMs ?? 10_000;
  const upstream = await new Promise<IncomingMessage>((resolve, reject) => {
    const out = agentRequest(
      target,
      {
        path,
        headers: { authorization: `Bearer ${target.token}` },
        timeout: timeoutMs,
      },
      resolve,
    );
    out.on('timeout', () => out.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
    out.on('error', (err) => reject(nodeUnreachable(node, err.message)));
    out.end();
  });
  const body = await readError(upstream, limit + 1);
  if (body.length > limit) throw nodeUnreachable(node, `its answer is larger than ${limit} bytes`);
  if (upstream.statusCode !== 200)
    throw nodeUnreachable(node, `its agent answered ${upstream.statusCode ?? 0}: ${body}`);
  return body;
}
