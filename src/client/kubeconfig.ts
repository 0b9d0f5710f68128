import { parse } from 'yaml';
import { KubeconfigError } from './errors.js';

/**
 * What the client needs from a kubeconfig's current context: where the API server is, how to
 * authenticate, and the namespace commands use when none is given.
 */
export interface ClusterConfig {
  /** The API server's base URL, without a trailing slash: `http://127.0.0.1:6443`. */
  server: string;
  /** A bearer token, when the user entry has one. */
  token?: string;
  /** The context's namespace, or `default`. */
  namespace: string;
  /** The context the values came from. */
  contextName: string;
  /** PEM certificates to trust (from `certificate-authority-data`). */
  certificateAuthorityData?: string;
  /** A file of PEM certificates to trust (`certificate-authority`), relative paths unresolved. */
  certificateAuthority?: string;
  /** `insecure-skip-tls-verify`: do not verify the server's certificate. */
  insecureSkipTlsVerify?: boolean;
}

interface NamedEntry {
  name?: unknown;
  [field: string]: unknown;
}

/**
 * Reads the current context of a kubeconfig (YAML or JSON text) into a ClusterConfig. Pure, so
 * that the rules (current-context, then the named cluster and user) are tested with plain
 * strings; `source` only names the file in error messages. `context` overrides current-context.
 */
export function parseKubeconfig(
  text: string,
  source: string,
  options: { context?: string } = {},
): ClusterConfig {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new KubeconfigError(`Cannot read kubeconfig ${source}: ${(err as Error).message}`, { source });
  }
  if (!isRecord(doc))
    throw new KubeconfigError(`Cannot read kubeconfig ${source}: not a YAML mapping`, { source });
  const contextName = options.context ?? stringField(doc, 'current-context');
  if (!contextName) throw new KubeconfigError(`Kubeconfig ${source} has no current-context`, { source });
  const context = findNamed(doc, 'contexts', contextName, 'context', source);
  const clusterName = stringField(context, 'cluster');
  if (!clusterName)
    throw new KubeconfigError(`Context "${contextName}" in ${source} names no cluster`, { source });
  const cluster = findNamed(doc, 'clusters', clusterName, 'cluster', source);
  const server = stringField(cluster, 'server');
  if (!server) throw new KubeconfigError(`Cluster "${clusterName}" in ${source} has no server`, { source });
  const config: ClusterConfig = {
    server: server.replace(/\/+$/, ''),
    namespace: stringField(context, 'namespace') ?? 'default',
    contextName,
  };
  const caData = stringField(cluster, 'certificate-authority-data');
  if (caData) config.certificateAuthorityData = decodeBase64(caData, source);
  const caFile = stringField(cluster, 'certificate-authority');
  if (caFile) config.certificateAuthority = caFile;
  if (cluster['insecure-skip-tls-verify'] === true) config.insecureSkipTlsVerify = true;
  const userName = stringField(context, 'user');
  if (userName) {
    const user = findNamed(doc, 'users', userName, 'user', source);
    const token = stringField(user, 'token');
    if (token) config.token = token;
  }
  return config;
}

function decodeBase64(data: string, source: string): string {
  try {
    return atob(data.replace(/\s+/g, ''));
  } catch {
    throw new KubeconfigError(`Kubeconfig ${source} has invalid certificate-authority-data (not base64)`, {
      source,
    });
  }
}

function findNamed(
  doc: Record<string, unknown>,
  list: string,
  name: string,
  field: string,
  source: string,
): Record<string, unknown> {
  const entries = doc[list];
  const entry = Array.isArray(entries)
    ? (entries as NamedEntry[]).find((e) => isRecord(e) && e.name === name)
    : undefined;
  const value = entry?.[field];
  if (!isRecord(value)) {
    throw new KubeconfigError(`Kubeconfig ${source} has no ${field} named "${name}"`, {
      source,
      [field]: name,
    });
  }
  return value;
}

function stringField(obj: Record<string, unknown>, key: string): string | undefined {
  const v = obj[key];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
