/**
 * Where a request path points: one of the fixed endpoints (version, health, discovery, OpenAPI)
 * or a resource path in Kubernetes' layout. Pure: the server looks the group/version/plural up
 * in the registry afterwards.
 */
export type Route =
  | { kind: 'version' }
  | { kind: 'health'; check: 'healthz' | 'readyz' | 'livez' }
  | { kind: 'root' }
  | { kind: 'core-versions' }
  | { kind: 'groups' }
  | { kind: 'group'; group: string }
  | { kind: 'group-version'; group: string; version: string }
  | { kind: 'openapi-v2' }
  | { kind: 'openapi-v3'; groupVersionPath: string | undefined }
  | ResourceRoute
  | { kind: 'unknown' };

/** A path under `/api/v1` or `/apis/GROUP/VERSION` that names a resource. */
export interface ResourceRoute {
  kind: 'resource';
  group: string;
  version: string;
  plural: string;
  /** The namespace in the path (`/namespaces/NS/…`), or undefined. */
  namespace: string | undefined;
  name: string | undefined;
  subresource: string | undefined;
  /** The legacy `/watch/` prefix was used. */
  watchPath: boolean;
}

/**
 * Parses a URL path (without the query) into a Route. The core group's
 * `/api/v1/namespaces/NAME/status` and `/finalize` are the Namespace's own subresources, as in
 * Kubernetes, not resources called `status` inside a namespace.
 */
export function parseRoute(path: string): Route {
  const parts = path.split('/').filter((p) => p !== '');
  const first = parts[0];
  if (first === undefined) return { kind: 'root' };
  if (first === 'version' && parts.length === 1) return { kind: 'version' };
  if (first === 'healthz' || first === 'readyz' || first === 'livez') return { kind: 'health', check: first };
  if (first === 'openapi') {
    if (parts[1] === 'v2' && parts.length === 2) return { kind: 'openapi-v2' };
    if (parts[1] === 'v3') {
      return {
        kind: 'openapi-v3',
        groupVersionPath: parts.length > 2 ? parts.slice(2).join('/') : undefined,
      };
    }
    return { kind: 'unknown' };
  }
  let decoded: string[];
  try {
    decoded = parts.map((p) => decodeURIComponent(p));
  } catch {
    return { kind: 'unknown' };
  }
  if (first === 'api') {
    if (decoded.length === 1) return { kind: 'core-versions' };
    const version = decoded[1] ?? '';
    if (decoded.length === 2) return { kind: 'group-version', group: '', version };
    return resourceRoute('', version, decoded.slice(2));
  }
  if (first === 'apis') {
    if (decoded.length === 1) return { kind: 'groups' };
    const group = decoded[1] ?? '';
    if (decoded.length === 2) return { kind: 'group', group };
    const version = decoded[2] ?? '';
    if (decoded.length === 3) return { kind: 'group-version', group, version };
    return resourceRoute(group, version, decoded.slice(3));
  }
  return { kind: 'unknown' };
}

function resourceRoute(group: string, version: string, rest: string[]): Route {
  let watchPath = false;
  if (rest[0] === 'watch') {
    watchPath = true;
    rest = rest.slice(1);
  }
  let namespace: string | undefined;
  const namespaceOwnSubresource =
    group === '' && rest.length === 3 && (rest[2] === 'status' || rest[2] === 'finalize');
  if (rest[0] === 'namespaces' && rest.length >= 3 && !namespaceOwnSubresource) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const plural = rest[0];
  if (plural === undefined || rest.length > 3) return { kind: 'unknown' };
  return {
    kind: 'resource',
    group,
    version,
    plural,
    namespace,
    name: rest[1],
    subresource: rest[2],
    watchPath,
  };
}
