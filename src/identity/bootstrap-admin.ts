import { chmod, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import type { Clock } from '../common/clock.js';
import type { Store } from '../store/index.js';
import { IdentityError } from './errors.js';
import { createToken, TokenAuthenticator } from './token-authenticator.js';

/** The admin user every fresh cluster gets. */
export const ADMIN_USER = { username: 'admin', groups: ['system:masters', 'system:authenticated'] };
/** The context, cluster and user name written to the kubeconfig. */
export const KUBECONFIG_CONTEXT = 'stratus';

/** Where bootstrapAdmin left the admin's credentials. */
export interface AdminCredentials {
  token: string;
  kubeconfigPath: string;
}

/**
 * Makes sure an admin token exists and writes `DATA_DIR/kubeconfig` (mode 0600) pointing at
 * `serverUrl`. The first start creates the token; later starts reuse the one in the existing
 * kubeconfig while the store still holds it, and only rewrite the server URL (the port may
 * differ). The plain token lives only in that file; the store keeps its hash.
 */
export async function bootstrapAdmin(
  store: Store,
  dataDir: string,
  options: { serverUrl: string; caCert?: string; httpUrl?: string; clock?: Clock },
): Promise<AdminCredentials> {
  const kubeconfigPath = join(dataDir, 'kubeconfig');
  let token = await existingToken(kubeconfigPath);
  const auth = new TokenAuthenticator(store, options.clock !== undefined ? { clock: options.clock } : {});
  if (token === undefined || !(await auth.holds(token))) {
    token = await createToken(store, ADMIN_USER, {
      description: 'admin token created at bootstrap',
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
 * private CA.
 */
export function kubeconfigText(
  serverUrl: string,
  token: string,
  options: { caCert?: string; httpUrl?: string } = {},
): string {
  const user = `${KUBECONFIG_CONTEXT}-admin`;
  const cluster: Record<string, unknown> = { server: serverUrl };
  if (options.caCert !== undefined)
    cluster['certificate-authority-data'] = Buffer.from(options.caCert).toString('base64');
  else cluster['insecure-skip-tls-verify'] = true;
  const clusters: unknown[] = [{ name: KUBECONFIG_CONTEXT, cluster }];
  const contexts: unknown[] = [
    { name: KUBECONFIG_CONTEXT, context: { cluster: KUBECONFIG_CONTEXT, user, namespace: 'default' } },
  ];
  if (options.httpUrl !== undefined && options.httpUrl !== serverUrl) {
    const name = `${KUBECONFIG_CONTEXT}-http`;
    clusters.push({ name, cluster: { server: options.httpUrl, 'insecure-skip-tls-verify': true } });
    contexts.push({ name, context: { cluster: name, user, namespace: 'default' } });
  }
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': KUBECONFIG_CONTEXT,
    clusters,
    users: [{ name: user, user: { token } }],
    contexts,
    preferences: {},
  });
}

async function writeKubeconfig(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, text, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, path);
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
