/**
 * An HTTP router in HAProxy (an Ingress front): one frontend on a plain and a TLS port (the
 * certificate chosen by SNI from a `crt-list`, a default one for other names) that sends each
 * request to a listener's backend by host and path, answers 404 where no rule matches and
 * redirects plain HTTP to HTTPS where a rule says so. The rules are a first-match list in a
 * `map_reg` map keyed by `host/path`, so that a change of routes is a Runtime API map swap
 * (`prepare map`, `add map`, `commit map`: atomic, no reload); certificates and the set of
 * backends are configuration, so changing them reloads (seamlessly). Pure: text in, text out.
 */
import { hash32 } from '../balancing/hash.js';

/** One routing rule; rules are tried in order and the first match wins. */
export interface RouterRule {
  /** An exact host (lower case), `*.` plus a name (exactly one more label), or `''` for any host. */
  host: string;
  /** Undefined matches every path; Prefix matches whole `/`-separated elements. */
  path?: { exact: boolean; path: string };
  /** The listener whose backend serves the request; undefined answers 404. */
  listener?: string | undefined;
  /** Answer plain HTTP with a 308 to the HTTPS port (requests with a Host only). */
  redirect: boolean;
}

/** A PEM certificate chain and key, and the SNI names it serves. */
export interface RouterCertificate {
  hosts: string[];
  cert: string;
  key: string;
}

/** The router the haproxy data plane runs beside its listeners (see the file comment). */
export interface RouterConfig {
  address: string;
  /** Fixed ports (HAProxy cannot report a port it picked). */
  httpPort: number;
  httpsPort: number;
  /** For clients without SNI and names no certificate lists. */
  defaultCertificate: { cert: string; key: string };
  certificates: RouterCertificate[];
  rules: RouterRule[];
  /** Time for a request head, between keep-alive requests, and for the rest of a request. */
  headersTimeoutMs: number;
  keepAliveTimeoutMs: number;
  requestTimeoutMs: number;
}

/** A file the router's configuration names, by its path relative to the data plane's folder. */
export interface RouterFile {
  name: string;
  content: string;
}

/** The path of the route map in the data plane's folder. */
export const ROUTE_MAP = 'routes.map';
/** The backend that answers 503 when a route names a backend that is not there. */
const UNAVAILABLE = 'b_stratus_unavailable';

/**
 * A regular expression matching `text` literally, written without backslashes (the Runtime
 * API's argument parser would take them): every character but letters, digits, `/`, `_`, `-`
 * and `~` in a class of its own. Characters a class cannot hold that way (`]`, `\`, `^`) and
 * white space, and `;` (the Runtime API's command separator) match any character.
 */
function literal(text: string): string {
  return [...text]
    .map((c) => (/[A-Za-z0-9/_~-]/.test(c) ? c : /[\]\\^\s;]/.test(c) ? '.' : `[${c}]`))
    .join('');
}

/** The part of a route key's regular expression that matches the rule's host. */
function hostPattern(host: string): string {
  if (host === '') return '[^/]*';
  if (host.startsWith('*.')) return `[^./]+${literal(host.slice(1))}`;
  return literal(host);
}

/** The map key (a regular expression over `host/path`, the path without query) of a rule. */
export function routeKey(rule: RouterRule): string {
  const host = hostPattern(rule.host);
  if (rule.path === undefined) return `^${host}(/.*)?$`;
  if (rule.path.exact) return `^${host}${literal(rule.path.path)}$`;
  const segments = rule.path.path.split('/').filter((s) => s !== '');
  if (segments.length === 0) return `^${host}(/.*)?$`;
  return `^${host}/+${segments.map(literal).join('/+')}(/.*)?$`;
}

/**
 * The route map's entries in order: key, and value `R` (redirect) or `-` followed by the
 * backend's name, or `404`. `backendOf` names a listener's backend.
 */
export function routeEntries(
  router: RouterConfig,
  backendOf: (listener: string) => string,
): Array<[string, string]> {
  return router.rules.map((r) => [
    routeKey(r),
    `${r.redirect ? 'R' : '-'}${r.listener === undefined ? '404' : backendOf(r.listener)}`,
  ]);
}

/** The route map file's text. */
export function routeMapText(entries: ReadonlyArray<[string, string]>): string {
  return entries.map(([k, v]) => `${k} ${v}\n`).join('');
}

/**
 * The certificate files (one PEM per certificate, named by its content) and the crt-list, whose
 * lines name them under `dir`.
 */
export function certificateFiles(
  router: RouterConfig,
  dir: string,
): { files: RouterFile[]; list: string; main: string } {
  const pem = (c: { cert: string; key: string }): RouterFile => {
    const content = `${c.cert.trim()}\n${c.key.trim()}\n`;
    return { name: `certs/${hash32(content).toString(16)}.pem`, content };
  };
  const main = pem(router.defaultCertificate);
  const files = [main];
  const lines: string[] = [];
  for (const c of router.certificates) {
    const f = pem(c);
    files.push(f);
    if (c.hosts.length > 0) lines.push(`${dir}/${f.name} ${c.hosts.join(' ')}`);
  }
  const listText = lines.map((l) => `${l}\n`).join('');
  const list = { name: `certs/${hash32(listText).toString(16)}.list`, content: listText };
  files.push(list);
  return { files, list: list.name, main: main.name };
}

const ms = (n: number): string => `${n}ms`;

/**
 * The router's frontend and the 503 backend. `dir` is the data plane's folder; the files of
 * `certificateFiles` must be written there (their names change with their content, so a new
 * certificate changes this text and reloads).
 */
export function routerSections(router: RouterConfig, dir: string, logging: boolean): string[] {
  const certs = certificateFiles(router, dir);
  const bind = (port: number): string =>
    router.address.includes(':') ? `[${router.address}]:${port}` : `${router.address}:${port}`;
  const https = router.httpsPort === 443 ? '' : `:${router.httpsPort}`;
  return [
    'frontend f_stratus_router',
    `  bind ${bind(router.httpPort)}`,
    `  bind ${bind(router.httpsPort)} ssl crt ${dir}/${certs.main} crt-list ${dir}/${certs.list}`,
    `  timeout http-request ${ms(router.headersTimeoutMs)}`,
    `  timeout http-keep-alive ${ms(router.keepAliveTimeoutMs)}`,
    `  timeout client ${ms(router.requestTimeoutMs)}`,
    ...(logging ? ['  log global'] : ['  no log']),
    // The host as the route keys have it: lower case, no port, no trailing dot.
    '  http-request set-var(txn.host) req.hdr(host),field(1,:),lower,regsub([.]$,)',
    '  http-request set-var(txn.path) path',
    `  http-request set-var(txn.route) var(txn.host),concat(,txn.path,),map_reg(${dir}/${ROUTE_MAP},-404)`,
    `  http-request set-var(txn.route) var(txn.path),map_reg(${dir}/${ROUTE_MAP},-404) unless { var(txn.host) -m found }`,
    '  http-request set-var(txn.backend) var(txn.route),bytes(1)',
    `  http-request redirect prefix https://%[var(txn.host)]${https} code 308 if { var(txn.route),bytes(0,1) -m str R } { var(txn.host),length gt 0 } !{ ssl_fc }`,
    '  http-request return status 404 content-type text/plain string "default backend - 404" if { var(txn.backend) -m str 404 }',
    // The client's address replaces any X-Forwarded-For it sent (ingress-nginx's default).
    '  http-request set-header X-Forwarded-For %[src]',
    '  http-request set-header X-Real-IP %[src]',
    '  http-request set-header X-Forwarded-Proto https if { ssl_fc }',
    '  http-request set-header X-Forwarded-Proto http unless { ssl_fc }',
    '  http-request set-header X-Forwarded-Host %[req.hdr(host)] if { req.hdr(host) -m found }',
    '  http-request set-header X-Forwarded-Port %[dst_port]',
    '  use_backend %[var(txn.backend)]',
    `  default_backend ${UNAVAILABLE}`,
    '',
    `backend ${UNAVAILABLE}`,
    '  http-request return status 503 content-type text/plain string "service unavailable"',
    '',
  ];
}
