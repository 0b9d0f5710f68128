import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { systemClock, type Clock } from '../common/clock.js';
import type { Store } from '../store/index.js';
import { IdentityError } from './errors.js';
import { writeFileAtomic } from './private-file.js';
import {
  createToken,
  hashToken,
  parseTokenSecret,
  TOKEN_NAMESPACE,
  tokenSecretName,
} from './token-secret.js';

/** The admin user every fresh cluster gets. */
export const ADMIN_USER = { username: 'admin', groups: ['system:masters', 'system:authenticated'] };

/** The admin token's lifetime: a year, as k3s' admin client certificate. */
export const ADMIN_TOKEN_TTL_MS = 365 * 86_400_000;
/** A start within this time of the admin token's expiry issues a new one, as k3s renews its certificates. */
export const ADMIN_TOKEN_RENEW_BEFORE_MS = 90 * 86_400_000;
/** The context, cluster and user name written to the kubeconfig. */
export const KUBECONFIG_CONTEXT = 'stratus';

/** Where bootstrapAdmin left the admin's credentials. */
export interface AdminCredentials {
  token: string;
  kubeconfigPath: string;
}

/**
 * Makes sure an admin token exists and writes `DATA_DIR/kubeconfig` (mode 0600) pointing at
 * `serverUrl`. The first start creates the token (valid for a year); later starts reuse the one
 * in the existing kubeconfig while the store holds it and more than 90 days remain, and only
 * rewrite the server URL (the port may differ). Otherwise a new token replaces it in the file:
 * the old one stays valid until it expires (a token from before tokens expired is revoked). The
 * plain token lives only in that file; the store keeps its hash.
 */
export async function bootstrapAdmin(
  store: Store,
  dataDir: string,
  options: { serverUrl: string; caCert?: string; httpUrl?: string; clock?: Clock },
): Promise<AdminCredentials> {
  const kubeconfigPath = join(dataDir, 'kubeconfig');
  let token = await existingToken(kubeconfigPath);
  const now = (options.clock ?? systemClock).now();
  const name = token === undefined ? undefined : tokenSecretName(hashToken(token));
  const secret = name === undefined ? undefined : await store.get('secrets', TOKEN_NAMESPACE, name);
  const record = secret === undefined ? undefined : parseTokenSecret(secret);
  if (
    token === undefined ||
    record === undefined ||
    (record.expiresAt ?? 0) - ADMIN_TOKEN_RENEW_BEFORE_MS <= now
  ) {
    if (name !== undefined && record !== undefined && record.expiresAt === undefined) {
      await store.delete('secrets', TOKEN_NAMESPACE, name).catch(() => undefined);
    }
    token = await createToken(store, ADMIN_USER, {
      description: 'admin token created at bootstrap',
      ttlMs: ADMIN_TOKEN_TTL_MS,
      ...(options.clock !== undefined ? { clock: options.clock } : {}),
    });
  }
  await writeKubeconfig(kubeconfigPath, kubeconfigText(options.serverUrl, token, options));
  return { token, kubeconfigPath };
}

/**
 * The kubeconfig text for a server URL and token. With `caCert` the cluster entry carries it as
 * `certificate-authority-data` (kubectl sends tokens only over TLS); a plain-http server gets
 * `insecure-skip-tls-verify`, which client-node 1.4 insists on for http. `httpUrl` adds a
 * second context, `stratus-http`, for fetch-based clients on loopback that cannot trust a
 * private CA. `user` names the user entry (default `stratus-admin`) and `context` the current
 * context (default `stratus`).
 */
export function kubeconfigText(
  serverUrl: string,
  token: string,
  options: { caCert?: string; httpUrl?: string; user?: string; context?: string } = {},
): string {
  const user = options.user ?? `${KUBECONFIG_CONTEXT}-admin`;
  const current = options.context ?? KUBECONFIG_CONTEXT;
  const cluster: Record<string, unknown> = { server: serverUrl };
  if (options.caCert !== undefined)
    cluster['certificate-authority-data'] = Buffer.from(options.caCert).toString('base64');
  else cluster['insecure-skip-tls-verify'] = true;
  const clusters: unknown[] = [{ name: KUBECONFIG_CONTEXT, cluster }];
  const contexts: unknown[] = [
    { name: current, context: { cluster: KUBECONFIG_CONTEXT, user, namespace: 'default' } },
  ];
  if (options.httpUrl !== undefined && options.httpUrl !== serverUrl) {
    const name = `${KUBECONFIG_CONTEXT}-http`;
    clusters.push({ name, cluster: { server: options.httpUrl, 'insecure-skip-tls-verify': true } });
    contexts.push({ name, context: { cluster: name, user, namespace: 'default' } });
  }
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': current,
    clusters,
    users: [{ name: user, user: { token } }],
    contexts,
    preferences: {},
  });
}

/** Writes a kubeconfig atomically with mode 0600 (it holds a bearer token). */
export async function writeKubeconfig(path: string, text: string): Promise<void> {
  await writeFileAtomic(path, text, 0o600);
}

async function existingToken(path: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new IdentityError(
      'IDENTITY_KUBECONFIG_UNREADABLE',
      500,
      `Cannot read kubeconfig ${path}: ${(err as Error).message}; move it away to create a new admin token`,
      { path },
    );
  }
  const users = (doc as { users?: unknown } | null)?.users;
  if (!Array.isArray(users)) return undefined;
  for (const u of users as Array<{ name?: unknown; user?: { token?: unknown } }>) {
    if (u.name === `${KUBECONFIG_CONTEXT}-admin` && typeof u.user?.token === 'string') return u.user.token;
  }
  return undefined;
}
