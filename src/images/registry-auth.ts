/**
 * Registry authentication, pure: the `WWW-Authenticate` challenges of the distribution API
 * (Bearer with realm/service/scope, Basic) and the credentials of a Docker config
 * (`~/.docker/config.json`, or a `kubernetes.io/dockerconfigjson` Secret's value).
 */

/** One parsed challenge: its scheme and parameters (`realm`, `service`, `scope`). */
export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** A user name and password (or identity token) for one registry. */
export interface Credentials {
  username: string;
  password: string;
}

/** Finds the credentials for a registry host, or undefined. */
export type CredentialLookup = (registry: string) => Credentials | undefined;

/** Parses `Bearer realm="https://auth/token",service="registry",scope="repository:a:pull"`. */
export function parseChallenge(header: string): Challenge | undefined {
  const m = /^\s*([A-Za-z]+)\s*(.*)$/s.exec(header);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  for (const p of (m[2] ?? '').matchAll(/([A-Za-z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g)) {
    params[(p[1] ?? '').toLowerCase()] = (p[2] ?? p[3] ?? '').replace(/\\(.)/g, '$1');
  }
  return { scheme: (m[1] ?? '').toLowerCase(), params };
}

/** The `Authorization` value of HTTP basic auth. */
export function basicAuthorization(credentials: Credentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
}

interface DockerConfig {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
}

/** The host part of a config key: `https://index.docker.io/v1/` → `index.docker.io`. */
function keyHost(key: string): string {
  return key.replace(/^[a-z]+:\/\//, '').replace(/\/.*$/, '');
}

/**
 * Reads the credentials of a Docker config document (what `docker login` writes and what a
 * `kubernetes.io/dockerconfigjson` Secret holds). Docker Hub's old key names
 * (`https://index.docker.io/v1/`) count for `docker.io`.
 */
export function credentialsFromDockerConfig(json: string): Map<string, Credentials> {
  const out = new Map<string, Credentials>();
  let doc: DockerConfig;
  try {
    doc = JSON.parse(json) as DockerConfig;
  } catch {
    return out;
  }
  for (const [key, entry] of Object.entries(doc.auths ?? {})) {
    let username = entry.username;
    let password = entry.password ?? entry.identitytoken;
    if (entry.auth !== undefined) {
      const decoded = Buffer.from(entry.auth, 'base64').toString();
      const colon = decoded.indexOf(':');
      if (colon > 0) {
        username = decoded.slice(0, colon);
        password = decoded.slice(colon + 1);
      }
    }
    if (username === undefined || password === undefined) continue;
    let host = keyHost(key);
    if (host === 'index.docker.io' || host === 'registry-1.docker.io') host = 'docker.io';
    out.set(host, { username, password });
  }
  return out;
}

/** A Docker config document holding one registry's credentials (what `image login` writes). */
export function addToDockerConfig(
  json: string | undefined,
  registry: string,
  credentials: Credentials,
): string {
  let doc: DockerConfig = {};
  try {
    if (json !== undefined) doc = JSON.parse(json) as DockerConfig;
  } catch {
    doc = {};
  }
  const auths = { ...doc.auths };
  auths[registry] = {
    auth: Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64'),
  };
  return `${JSON.stringify({ ...doc, auths }, null, 2)}\n`;
}

/** A lookup over several credential maps, the first that knows the registry winning. */
export function lookupIn(...maps: Map<string, Credentials>[]): CredentialLookup {
  return (registry) => {
    for (const map of maps) {
      const found = map.get(registry);
      if (found) return found;
    }
    return undefined;
  };
}
