import type { RequestAttributes, UserInfo } from '../identity/index.js';

/** The parts of a request the authorizer needs, without the user. */
export type RequestInfo = Omit<RequestAttributes, 'user'>;

const STREAMING = new Set(['exec', 'attach', 'portforward']);
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);
const VERBS: Record<string, string> = {
  POST: 'create',
  GET: 'get',
  HEAD: 'get',
  PUT: 'update',
  PATCH: 'patch',
  DELETE: 'delete',
};

/**
 * What a request asks to do, as kube-apiserver's RequestInfoFactory reads it: `/api/v1/…` and
 * `/apis/GROUP/VERSION/…` with a resource are resource requests (a collection GET is `list`, or
 * `watch` with `watch=true` or the `/watch/` prefix; a collection DELETE is `deletecollection`;
 * `fieldSelector=metadata.name=X` names the object of a list or watch); everything else (`/api`,
 * `/apis/apps`, `/version`, `/healthz`, `/openapi/v3`) is a non-resource request whose verb is
 * the lower-case HTTP method. For `namespaces/NAME` the namespace is NAME. Pure.
 */
export function requestInfo(method: string, path: string, query: URLSearchParams): RequestInfo {
  const info: RequestInfo = {
    verb: method.toLowerCase(),
    resourceRequest: false,
    path,
    apiGroup: '',
    apiVersion: '',
    resource: '',
    subresource: '',
    namespace: '',
    name: '',
    fieldSelector: '',
  };
  let parts = path.split('/').filter((p) => p !== '');
  if (parts.length < 3 || (parts[0] !== 'api' && parts[0] !== 'apis')) return info;
  if (parts[0] === 'apis') {
    if (parts.length < 4) return info;
    info.apiGroup = parts[1] ?? '';
    parts = parts.slice(2);
  } else {
    parts = parts.slice(1);
  }
  info.resourceRequest = true;
  info.apiVersion = parts[0] ?? '';
  let i = 1;
  if (parts[i] === 'watch' || parts[i] === 'proxy') {
    info.verb = parts[i] as string;
    i++;
  } else {
    info.verb = VERBS[method] ?? '';
  }
  if (parts[i] === 'namespaces' && parts.length > i + 1) {
    info.namespace = decode(parts[i + 1] ?? '');
    if (parts.length > i + 2 && !NAMESPACE_SUBRESOURCES.has(parts[i + 2] ?? '')) i += 2;
  }
  info.resource = decode(parts[i] ?? '');
  info.name = decode(parts[i + 1] ?? '');
  if (info.verb !== 'proxy') info.subresource = decode(parts[i + 2] ?? '');
  // A node agent's metrics through the API (`nodes/NAME/proxy/metrics`) need what kubelet asks
  // for its own `/metrics`, `nodes/metrics`, not the wider `nodes/proxy`.
  if (
    info.resource === 'nodes' &&
    info.subresource === 'proxy' &&
    parts.length - i === 4 &&
    parts[i + 3] === 'metrics'
  )
    info.subresource = 'metrics';
  // Streaming subresources are `create` whatever the method (kubectl's WebSocket GET included),
  // as kube-apiserver authorizes them since 1.31.
  if (info.resource === 'pods' && STREAMING.has(info.subresource) && info.name !== '') info.verb = 'create';
  if (info.name === '' && info.verb === 'get') {
    const watch = query.get('watch');
    info.verb = watch !== null && watch !== 'false' && watch !== '0' ? 'watch' : 'list';
  }
  if ((info.verb === 'list' || info.verb === 'watch') && info.name === '') {
    const m = /(?:^|,)metadata\.name==?([^,]+)(?:,|$)/.exec(query.get('fieldSelector') ?? '');
    if (m?.[1] !== undefined && !/[/%]/.test(m[1]) && m[1] !== '.' && m[1] !== '..') info.name = m[1];
  }
  if (info.name === '' && info.verb === 'delete') info.verb = 'deletecollection';
  if (info.verb === 'list' || info.verb === 'watch' || info.verb === 'deletecollection')
    info.fieldSelector = query.get('fieldSelector') ?? '';
  return info;
}

function decode(part: string): string {
  if (!part.includes('%')) return part;
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/** A request's URL, read once for everything that looks at it (metrics, audit, authorization, routing). */
export interface ParsedRequest {
  path: string;
  query: URLSearchParams;
  info: RequestInfo;
}

/** Splits a request's URL into path and query and reads its RequestInfo. */
export function parseRequest(method: string, url: string): ParsedRequest {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
  return { path, query, info: requestInfo(method, path, query) };
}

/** The attributes of a request made by `user`. */
export function withUser(info: RequestInfo, user: UserInfo): RequestAttributes {
  return {
    user,
    verb: info.verb,
    resourceRequest: info.resourceRequest,
    path: info.path,
    apiGroup: info.apiGroup,
    apiVersion: info.apiVersion,
    resource: info.resource,
    subresource: info.subresource,
    namespace: info.namespace,
    name: info.name,
    fieldSelector: info.fieldSelector,
  };
}

/**
 * The message of a 403, as kube-apiserver words it: `User "alice" cannot list resource "pods" in
 * API group "" in the namespace "default"`, `… at the cluster scope`, or `User "bob" cannot get
 * path "/metrics"`; a non-empty authorizer reason follows after ": ".
 */
export function forbiddenMessage(a: RequestAttributes, reason: string): string {
  const who = `User ${JSON.stringify(a.user.username)}`;
  let msg: string;
  if (!a.resourceRequest) {
    msg = `${who} cannot ${a.verb} path ${JSON.stringify(a.path)}`;
  } else {
    const resource = a.subresource === '' ? a.resource : `${a.resource}/${a.subresource}`;
    const head = `${who} cannot ${a.verb} resource ${JSON.stringify(resource)} in API group ${JSON.stringify(a.apiGroup)}`;
    msg =
      a.namespace === ''
        ? `${head} at the cluster scope`
        : `${head} in the namespace ${JSON.stringify(a.namespace)}`;
  }
  return reason === '' ? msg : `${msg}: ${reason}`;
}
