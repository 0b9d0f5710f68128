/**
 * The routing of the served Ingresses, merged as ingress-nginx merges them: a host's rules from
 * every Ingress are one list; a request takes the rules of its host (exact name first, then the
 * `*.` wildcard), or, for a host no rule names, the rules without a host; among those the
 * longest matching path wins (Exact before Prefix at equal length), and with no match the
 * oldest served `spec.defaultBackend` answers, else nothing (404). Pure: no I/O.
 */
import type { HTTPIngressPath, Ingress, IngressBackend } from 'kubernetes-types/networking/v1.js';
import { lookupHost } from './host-match.js';

/** ingress-nginx's annotation: `"false"` keeps plain HTTP for hosts that have TLS. */
export const SSL_REDIRECT_ANNOTATION = 'nginx.ingress.kubernetes.io/ssl-redirect';
/** ingress-nginx's annotation: `"true"` redirects to HTTPS even without TLS for the host. */
export const FORCE_SSL_REDIRECT_ANNOTATION = 'nginx.ingress.kubernetes.io/force-ssl-redirect';

/** A Service port an Ingress sends requests to; `key` is `namespace/service:port`. */
export interface BackendRef {
  key: string;
  namespace: string;
  service: string;
  /** The Service port's name or number. */
  port: string | number;
}

/** Where a matched request goes. */
export interface Route {
  /** `namespace/name` of the Ingress the rule came from. */
  ingress: string;
  backend: BackendRef;
  /** Answer plain HTTP with a 308 to HTTPS. */
  redirect: boolean;
}

interface PathRule {
  exact: boolean;
  path: string;
  segments: string[];
  route: Route;
}

/** Where a host's TLS certificate comes from; no `secretName`: the default certificate. */
export interface TlsRef {
  namespace: string;
  secretName: string | undefined;
}

/** The merged routing; build it with `buildRouteTable`, query it with `matchRoute`. */
export interface RouteTable {
  /** Rules by host (`''` for rules without one), most specific path first. */
  hosts: Map<string, PathRule[]>;
  defaultRoute: Route | undefined;
  /** TLS certificates by host (exact or `*.` wildcard). */
  tls: Map<string, TlsRef>;
  /** Every backend a route names, by key. */
  backends: Map<string, BackendRef>;
  /** What was left out, and why (for logs and Events). */
  warnings: string[];
}

function segments(path: string): string[] {
  return path.split('/').filter((s) => s !== '');
}

function backendOf(namespace: string, b: IngressBackend | undefined): BackendRef | undefined {
  const svc = b?.service;
  if (svc === undefined) return undefined;
  const port = svc.port?.name ?? svc.port?.number;
  if (port === undefined) return undefined;
  return { key: `${namespace}/${svc.name}:${port}`, namespace, service: svc.name, port };
}

function byAge(a: Ingress, b: Ingress): number {
  const ta = a.metadata?.creationTimestamp ?? '';
  const tb = b.metadata?.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  const ka = `${a.metadata?.namespace ?? ''}/${a.metadata?.name ?? ''}`;
  const kb = `${b.metadata?.namespace ?? ''}/${b.metadata?.name ?? ''}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** Merges the served Ingresses (see the file comment); the oldest wins a duplicate path or host. */
export function buildRouteTable(ingresses: readonly Ingress[]): RouteTable {
  const table: RouteTable = {
    hosts: new Map(),
    defaultRoute: undefined,
    tls: new Map(),
    backends: new Map(),
    warnings: [],
  };
  const sorted = [...ingresses].sort(byAge);
  for (const ing of sorted) {
    const namespace = ing.metadata?.namespace ?? 'default';
    for (const t of ing.spec?.tls ?? []) {
      for (const host of t.hosts ?? []) {
        if (!table.tls.has(host)) table.tls.set(host, { namespace, secretName: t.secretName });
      }
    }
  }
  const seen = new Set<string>();
  for (const ing of sorted) {
    const namespace = ing.metadata?.namespace ?? 'default';
    const id = `${namespace}/${ing.metadata?.name ?? ''}`;
    const notes = ing.metadata?.annotations ?? {};
    const force = notes[FORCE_SSL_REDIRECT_ANNOTATION] === 'true';
    const sslRedirect = notes[SSL_REDIRECT_ANNOTATION] !== 'false';
    const use = (b: BackendRef, redirect: boolean): Route => {
      table.backends.set(b.key, b);
      return { ingress: id, backend: b, redirect };
    };
    const def = backendOf(namespace, ing.spec?.defaultBackend);
    if (ing.spec?.defaultBackend !== undefined && def === undefined) {
      table.warnings.push(`${id}: spec.defaultBackend names no Service port; only Services are served`);
    }
    if (def !== undefined && table.defaultRoute === undefined) table.defaultRoute = use(def, force);
    for (const rule of ing.spec?.rules ?? []) {
      const host = rule.host ?? '';
      const hasTls = host !== '' && lookupHost(table.tls, host) !== undefined;
      const redirect = force || (hasTls && sslRedirect);
      const list = table.hosts.get(host) ?? [];
      table.hosts.set(host, list);
      for (const p of rule.http?.paths ?? []) {
        const b = backendOf(namespace, p.backend);
        if (b === undefined) {
          table.warnings.push(`${id}: the path "${p.path ?? '/'}" names no Service port; skipped`);
          continue;
        }
        const exact = p.pathType === 'Exact';
        const path = p.path ?? '/';
        const dup = `${host} ${exact ? 'Exact' : 'Prefix'} ${exact ? path : segments(path).join('/')}`;
        if (seen.has(dup)) {
          table.warnings.push(`${id}: ${pathText(host, p)} is served by an older Ingress`);
          continue;
        }
        seen.add(dup);
        list.push({ exact, path, segments: segments(path), route: use(b, redirect) });
      }
    }
  }
  for (const list of table.hosts.values()) list.sort(specificFirst);
  return table;
}

function pathText(host: string, p: HTTPIngressPath): string {
  return `${host === '' ? '*' : host}${p.path ?? '/'} (${p.pathType ?? 'Prefix'})`;
}

/** Longer paths first (a Prefix counted without its trailing slash), Exact before Prefix. */
function specificFirst(a: PathRule, b: PathRule): number {
  const la = a.exact ? a.path.length : `/${a.segments.join('/')}`.length;
  const lb = b.exact ? b.path.length : `/${b.segments.join('/')}`.length;
  if (la !== lb) return lb - la;
  return a.exact === b.exact ? 0 : a.exact ? -1 : 1;
}

/**
 * Kubernetes' path match: Exact compares the whole path; Prefix compares `/`-separated
 * elements, so `/foo` matches `/foo`, `/foo/` and `/foo/bar` but not `/foobar`
 * (ImplementationSpecific is served as Prefix).
 */
export function pathMatches(
  rule: { exact: boolean; path: string; segments: string[] },
  path: string,
): boolean {
  if (rule.exact) return rule.path === path;
  const got = segments(path);
  if (got.length < rule.segments.length) return false;
  return rule.segments.every((s, i) => got[i] === s);
}

/** The route of a request to `host` (lower case, no port) and `path` (no query), if any. */
export function matchRoute(table: RouteTable, host: string | undefined, path: string): Route | undefined {
  const rules = (host === undefined ? undefined : lookupHost(table.hosts, host)) ?? table.hosts.get('');
  for (const r of rules ?? []) if (pathMatches(r, path)) return r.route;
  return table.defaultRoute;
}
