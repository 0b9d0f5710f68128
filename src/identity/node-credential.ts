import { systemClock, type Clock } from '../common/clock.js';
import type { Store } from '../store/index.js';
import { nodeUser } from './node-identity.js';
import { newToken, parseTokenSecret, TOKEN_NAMESPACE, tokenSecret } from './token-secret.js';

/** How long a node credential lives: a year, as kubelet client certificates (the agent renews it). */
export const NODE_TOKEN_TTL_MS = 365 * 86_400_000;
/** The label naming the node a token Secret is the credential of. */
export const NODE_TOKEN_LABEL = 'stratus.dev/node';

/** A node credential as issued: the token (never stored) and when it expires. */
export interface NodeCredential {
  token: string;
  expiresAt: number;
}

/**
 * Issues a node's credential: a `stratus.dev/token` Secret (hashed) for `system:node:NAME` in
 * `system:nodes`, valid for a year, labelled with the node's name. The node's earlier
 * credentials are revoked, so a node that joins again or renews holds exactly one: a copy
 * stolen from an old data directory stops working.
 */
export async function issueNodeCredential(
  store: Store,
  node: string,
  options: { clock?: Clock; description?: string } = {},
): Promise<NodeCredential> {
  const clock = options.clock ?? systemClock;
  const token = newToken();
  const secret = tokenSecret(token, nodeUser(node), {
    clock,
    ttlMs: NODE_TOKEN_TTL_MS,
    description: options.description ?? `node ${node}`,
  });
  // A label value holds at most 63 characters; longer node names (rare) keep earlier credentials.
  const labelled = /^[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?$/.test(node);
  if (labelled) secret.metadata.labels = { ...secret.metadata.labels, [NODE_TOKEN_LABEL]: node };
  const earlier = labelled
    ? await store.list('secrets', {
        namespace: TOKEN_NAMESPACE,
        labelSelector: `${NODE_TOKEN_LABEL}=${node}`,
      })
    : { items: [] };
  await store.create('secrets', secret);
  for (const old of earlier.items) {
    if (parseTokenSecret(old) === undefined) continue;
    await store.delete('secrets', TOKEN_NAMESPACE, old.metadata.name ?? '').catch(() => undefined);
  }
  return { token, expiresAt: clock.now() + NODE_TOKEN_TTL_MS };
}
