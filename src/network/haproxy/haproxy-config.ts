/**
 * The HAProxy configuration the haproxy driver runs (HAProxy 2.6, master-worker): one frontend
 * and one backend per HTTP listener; each backend has a fixed number of server slots (`s1` …
 * `sN`) that the Runtime API fills with endpoints (`set server addr/weight/state`), so that
 * endpoint changes never reload. Occupied slots are written as `server` lines with their
 * current address, weight and state, free ones as `server-template` ranges, so that a reload
 * (only when the structure changes: listeners, options, slot counts) starts in the live state.
 * Pure: text in, text out.
 */
import { hash32 } from '../balancing/hash.js';
import { routableEndpoints } from '../endpoint-pool.js';
import type { AlgorithmName, Endpoint, Listener } from '../proxy-config.js';
import { routerSections, type RouterConfig } from './haproxy-router.js';
import type { SlotTable } from './slot-table.js';

/** Settings of the generated configuration. */
export interface HaproxyConfigOptions {
  /** Where the admin socket and state live. */
  dir: string;
  threads: number;
  /** Secret of the dynamic persistence cookies. */
  cookieKey: string;
  /** Old processes after a reload are stopped after this long at most. */
  hardStopAfterMs: number;
  /** UDP port on 127.0.0.1 that receives the access log, if any. */
  logPort?: number | undefined;
  /** An HTTP router in front of some listeners (an Ingress); they get a backend and no frontend. */
  router?: RouterConfig | undefined;
}

/** Algorithms that ignore weights: every slot gets weight 1. */
const UNWEIGHTED: ReadonlySet<AlgorithmName> = new Set(['round-robin', 'least-connections']);

/** HAProxy's proxy name for a listener: safe characters plus a hash of the real name. */
export function proxyName(listener: string): string {
  return `${listener.replace(/[^A-Za-z0-9_.:-]/g, '_').slice(0, 48)}_${hash32(listener).toString(16)}`;
}

/** The `balance` and `hash-type` lines for a listener's algorithm. */
export function balanceLines(l: Listener): string[] {
  const h = l.hashOn;
  switch (l.algorithm) {
    case 'round-robin':
    case 'weighted-round-robin':
      return ['balance roundrobin'];
    case 'least-connections':
    case 'weighted-least-connections':
      return ['balance leastconn'];
    case 'power-of-two':
      return ['balance random(2)'];
    case 'source-hash':
      return ['balance source', 'hash-type map-based sdbm avalanche'];
    case 'consistent-hash':
      return [
        h.source === 'header'
          ? `balance hdr(${h.name ?? ''})`
          : h.source === 'cookie'
            ? `balance hash req.cook(${h.name ?? ''})`
            : 'balance source',
        'hash-type consistent sdbm avalanche',
      ];
  }
}

/** The weight HAProxy gets for an endpoint under the listener's algorithm. */
export function slotWeight(l: Listener, e: Endpoint): number {
  return UNWEIGHTED.has(l.algorithm) ? 1 : e.weight;
}

const s = (ms: number): string => `${ms}ms`;

function defaultServer(l: Listener): string {
  const parts = ['default-server'];
  const hc = l.healthCheck;
  const ph = l.passiveHealth;
  if (hc !== undefined) parts.push(`check inter ${s(hc.intervalMs)} rise ${hc.rise} fall ${hc.fall}`);
  else if (ph !== undefined) parts.push(`check inter ${s(ph.ejectMs)} rise 1 fall 1000`);
  if (ph !== undefined) {
    parts.push(
      `observe ${ph.on5xx ? 'layer7' : 'layer4'} error-limit ${ph.consecutiveFailures} on-error mark-down`,
    );
  }
  if (l.slowStartMs > 0) parts.push(`slowstart ${s(l.slowStartMs)}`);
  if (l.maxConnectionsPerEndpoint > 0) parts.push(`maxconn ${l.maxConnectionsPerEndpoint}`);
  return parts.join(' ');
}

function serverLines(l: Listener, slots: SlotTable | undefined, bake: boolean): string[] {
  const capacity = slots?.capacity ?? 0;
  if (!bake || slots === undefined) return [`server-template s 1-${capacity} 0.0.0.0:0 disabled`];
  const routable = new Set(routableEndpoints(l.endpoints).map((e) => e.id));
  const bySlot = new Map<number, Endpoint>();
  for (const e of l.endpoints) {
    const slot = slots.slotOf(e.id);
    if (slot !== undefined) bySlot.set(slot, e);
  }
  const lines: string[] = [];
  let freeFrom = 0;
  const flushFree = (upTo: number): void => {
    if (freeFrom > 0) lines.push(`server-template s ${freeFrom}-${upTo} 0.0.0.0:0 disabled`);
    freeFrom = 0;
  };
  for (let i = 1; i <= capacity; i++) {
    const e = bySlot.get(i);
    if (e === undefined) {
      if (freeFrom === 0) freeFrom = i;
      continue;
    }
    flushFree(i - 1);
    const addr = e.address.includes(':') ? `[${e.address}]` : e.address;
    lines.push(
      `server s${i} ${addr}:${e.port} weight ${slotWeight(l, e)}${routable.has(e.id) ? '' : ' disabled'}`,
    );
  }
  flushFree(capacity);
  return lines;
}

/** The names of the listeners a router sends requests to. */
export function routedListeners(router: RouterConfig | undefined): Set<string> {
  return new Set((router?.rules ?? []).flatMap((r) => (r.listener === undefined ? [] : [r.listener])));
}

function bodyLimit(l: Listener): string[] {
  return l.maxBodyBytes > 0
    ? [`  http-request deny deny_status 413 if { req.hdr_val(content-length) gt ${l.maxBodyBytes} }`]
    : [];
}

function frontend(l: Listener, name: string, logging: boolean): string[] {
  const bind = l.address.includes(':') ? `[${l.address}]:${l.port}` : `${l.address}:${l.port}`;
  return [
    `frontend f_${name}`,
    `  bind ${bind}`,
    ...(l.trustForwarded
      ? []
      : [
          '  option forwardfor',
          '  http-request set-header X-Forwarded-Proto http',
          '  http-request set-header X-Forwarded-Host %[req.hdr(host)] if { req.hdr(host) -m found }',
        ]),
    `  timeout client ${s(l.idleTimeoutMs)}`,
    `  timeout http-request ${s(l.requestTimeoutMs)}`,
    `  timeout http-keep-alive ${s(l.idleTimeoutMs)}`,
    ...bodyLimit(l),
    ...(logging ? ['  log global'] : ['  no log']),
    `  default_backend b_${name}`,
    '',
  ];
}

/** A listener's backend, and its frontend unless a router sends it requests (`routed`). */
function sections(
  l: Listener,
  slots: SlotTable | undefined,
  bake: boolean,
  logging: boolean,
  routed: boolean,
): string[] {
  const name = proxyName(l.name);
  const p = l.persistence;
  const out = [
    ...(routed ? [] : frontend(l, name, logging)),
    `backend b_${name}`,
    ...(routed ? bodyLimit(l) : []),
    ...balanceLines(l).map((x) => `  ${x}`),
    ...(p?.type === 'cookie'
      ? [
          `  cookie ${p.cookieName} insert nocache dynamic httponly`,
          `  dynamic-cookie-key ${hash32(name).toString(16)}`,
        ]
      : []),
    ...(p?.type === 'source'
      ? [`  stick-table type ip size 100k expire ${s(p.timeoutMs)}`, '  stick on src']
      : []),
    `  retries ${l.retries}`,
    '  option redispatch 1',
    '  retry-on conn-failure empty-response response-timeout',
    '  http-request disable-l7-retry if !{ method GET HEAD OPTIONS PUT DELETE TRACE }',
    '  http-reuse safe',
    `  timeout connect ${s(l.connectTimeoutMs)}`,
    `  timeout queue ${s(l.connectTimeoutMs)}`,
    `  timeout server ${s(l.requestTimeoutMs)}`,
    `  timeout tunnel ${s(l.idleTimeoutMs)}`,
    ...(l.healthCheck?.type === 'http' ? [`  option httpchk GET ${l.healthCheck.path}`] : []),
    ...(l.healthCheck !== undefined ? [`  timeout check ${s(l.healthCheck.timeoutMs)}`] : []),
    ...(defaultServer(l) === 'default-server' ? [] : [`  ${defaultServer(l)}`]),
    ...serverLines(l, slots, bake).map((x) => `  ${x}`),
    '',
  ];
  return out;
}

/**
 * The configuration for `listeners` (HTTP ones only). With `bake` false the server lines are
 * left out of the state (all slots as one template): two configurations with equal unbaked text
 * need no reload.
 */
export function renderConfig(
  listeners: readonly Listener[],
  slots: ReadonlyMap<string, SlotTable>,
  options: HaproxyConfigOptions,
  bake: boolean,
): string {
  const headerBytes = Math.max(16_384, ...listeners.map((l) => l.maxHeaderBytes + 1024));
  const logging = options.logPort !== undefined;
  const routed = routedListeners(options.router);
  const lines = [
    'global',
    `  nbthread ${options.threads}`,
    // maxconn is left to HAProxy: it derives it from the descriptor limit.
    `  stats socket ${options.dir}/admin.sock mode 600 level admin`,
    `  hard-stop-after ${s(options.hardStopAfterMs)}`,
    `  tune.bufsize ${headerBytes + 1024}`,
    ...(logging ? [`  log 127.0.0.1:${options.logPort} len 8192 format raw local0 info`] : []),
    '',
    'defaults',
    '  mode http',
    '  option http-keep-alive',
    '  option idle-close-on-response',
    '  timeout connect 5s',
    '  timeout client 60s',
    '  timeout server 60s',
    ...(logging ? [`  log-format "${ACCESS_LOG_FORMAT}"`] : []),
    '',
    // HAProxy does not start without a listener; this one is on a socket in our folder.
    'frontend f_stratus_status',
    `  bind unix@${options.dir}/status.sock`,
    '  http-request return status 200',
    '',
    ...(options.router === undefined ? [] : routerSections(options.router, options.dir, logging)),
    ...listeners
      .filter((l) => l.protocol === 'http')
      .flatMap((l) => sections(l, slots.get(l.name), bake, logging, routed.has(l.name))),
  ];
  return lines.join('\n') + '\n';
}

/**
 * The access-log line HAProxy sends: space-separated fields the driver parses back (frontend,
 * client, method, path, status, server, bytes in, bytes out, total ms, retries).
 */
export const ACCESS_LOG_FORMAT = '%f %ci %HM %HPO %ST %s %U %B %Tt %rc';
