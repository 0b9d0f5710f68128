/**
 * The proxy's input: a plain list of listeners, each with its endpoints. The service proxy
 * computes it from Services and EndpointSlices and hands it to `DataPlane.apply()`; tests and
 * benchmarks write it by hand. `normalizeConfig` checks it and fills every default, so the data
 * planes only ever see complete values. Pure: no I/O.
 */
import { configInvalid } from './errors.js';

/** What a listener speaks: `http` (L7), `tcp` and `udp` (L4). */
export type ListenerProtocol = 'http' | 'tcp' | 'udp';

/** The balancing algorithms every data plane offers. */
export const ALGORITHMS = [
  'round-robin',
  'weighted-round-robin',
  'least-connections',
  'weighted-least-connections',
  'power-of-two',
  'source-hash',
  'consistent-hash',
] as const;
export type AlgorithmName = (typeof ALGORITHMS)[number];

/** What the hashing algorithms hash: a request header, a cookie or the client's address. */
export interface HashOn {
  source: 'header' | 'cookie' | 'address';
  /** The header or cookie name (not for `address`). */
  name?: string;
}

/** One backend of a listener. `id` is stable for the endpoint's life (a pod uid and port). */
export interface EndpointConfig {
  id: string;
  address: string;
  port: number;
  /** 0–256, default 1; 0 takes no new requests. */
  weight?: number;
  /** EndpointSlice conditions; defaults: ready and serving true, terminating false. */
  ready?: boolean;
  serving?: boolean;
  terminating?: boolean;
}

/** Active health checks: an HTTP GET of `path` (2xx/3xx is up) or a TCP connect. */
export interface HealthCheckConfig {
  type: 'http' | 'tcp';
  path?: string;
  /** Defaults: every 2 s, 1 s timeout, up after 2 passes, down after 3 failures. */
  intervalMs?: number;
  timeoutMs?: number;
  rise?: number;
  fall?: number;
}

/** Passive ejection: after `consecutiveFailures` connect failures (or 5xx) the endpoint rests. */
export interface PassiveHealthConfig {
  /** Default 5. */
  consecutiveFailures?: number;
  /** How long an ejected endpoint rests before it gets traffic again; default 10 s. */
  ejectMs?: number;
  /** Count 5xx responses as failures (HTTP only); default true. */
  on5xx?: boolean;
}

/** Session persistence: an inserted cookie (HTTP) or the client's address (any protocol). */
export type PersistenceConfig =
  { type: 'cookie'; cookieName?: string } | { type: 'source'; timeoutMs?: number };

/** A listener as given to `apply()`; only name, address, port, protocol and endpoints are required. */
export interface ListenerConfig {
  /** Stable and unique: `namespace/service:port`. */
  name: string;
  address: string;
  port: number;
  protocol: ListenerProtocol;
  /** Default `round-robin`. */
  algorithm?: AlgorithmName;
  /** For `consistent-hash` (default: the address); `source-hash` always hashes the address. */
  hashOn?: HashOn;
  persistence?: PersistenceConfig;
  /** Ramp a new or recovered endpoint's weight over this window (weighted algorithms only). */
  slowStartMs?: number;
  healthCheck?: HealthCheckConfig;
  passiveHealth?: PassiveHealthConfig;
  /** Further endpoints tried after a failure; default 2. */
  retries?: number;
  /** Defaults: connect 5 s, idle 60 s, request 60 s. */
  connectTimeoutMs?: number;
  idleTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** Requests (HTTP) or connections (L4) in flight per endpoint; 0 (default) is unlimited. */
  maxConnectionsPerEndpoint?: number;
  /** HTTP limits: request head 16 KiB, body unlimited (0). */
  maxHeaderBytes?: number;
  maxBodyBytes?: number;
  /** An idle upstream keep-alive socket is retired after this long; default 2 s. */
  upstreamIdleMs?: number;
  /**
   * Pass the client's X-Forwarded-For/-Proto/-Host on unchanged and add none; default false.
   * Only for a listener on loopback behind a trusted front (the Ingress controller's TLS port).
   */
  trustForwarded?: boolean;
  endpoints: EndpointConfig[];
}

/** The whole configuration of a data plane. */
export interface ProxyConfig {
  listeners: ListenerConfig[];
}

/** An endpoint with every default filled. */
export type Endpoint = Required<EndpointConfig>;

/** A listener with every default filled; what data planes consume. */
export interface Listener extends Required<
  Omit<
    ListenerConfig,
    'hashOn' | 'persistence' | 'healthCheck' | 'passiveHealth' | 'endpoints' | 'slowStartMs'
  >
> {
  hashOn: HashOn;
  persistence: { type: 'cookie'; cookieName: string } | { type: 'source'; timeoutMs: number } | undefined;
  slowStartMs: number;
  healthCheck: Required<HealthCheckConfig> | undefined;
  passiveHealth: Required<PassiveHealthConfig> | undefined;
  endpoints: Endpoint[];
}

/** Algorithms whose weights may change while running (slow start applies to them). */
export const DYNAMIC_WEIGHT_ALGORITHMS: ReadonlySet<AlgorithmName> = new Set([
  'weighted-round-robin',
  'weighted-least-connections',
  'power-of-two',
]);

const NAME = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,252}$/;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** True for a literal IPv4 or IPv6 address (no host names: the data path never resolves). */
export function isIpAddress(value: string): boolean {
  return IPV4.test(value) || (/^[0-9a-fA-F:.]+$/.test(value) && value.includes(':') && value.length <= 45);
}

function int(field: string, value: number | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw configInvalid(field, `must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return value;
}

function endpointOf(at: string, e: EndpointConfig): Endpoint {
  if (typeof e.id !== 'string' || e.id.length === 0 || e.id.length > 253) {
    throw configInvalid(`${at}.id`, `must be a non-empty string of at most 253 characters`);
  }
  if (!isIpAddress(e.address)) throw configInvalid(`${at}.address`, `"${e.address}" is not an IP address`);
  return {
    id: e.id,
    address: e.address,
    port: int(`${at}.port`, e.port, 0, 1, 65535),
    weight: int(`${at}.weight`, e.weight, 1, 0, 256),
    ready: e.ready ?? true,
    serving: e.serving ?? e.ready ?? true,
    terminating: e.terminating ?? false,
  };
}

function hashOnOf(at: string, l: ListenerConfig): HashOn {
  const h = l.hashOn ?? { source: 'address' };
  if (h.source === 'address') return { source: 'address' };
  if (h.source !== 'header' && h.source !== 'cookie') {
    throw configInvalid(
      `${at}.hashOn.source`,
      `must be header, cookie or address, got "${String(h.source)}"`,
    );
  }
  if (l.protocol !== 'http')
    throw configInvalid(`${at}.hashOn`, `a ${h.source} exists only for http listeners`);
  if (h.name === undefined || !TOKEN.test(h.name)) {
    throw configInvalid(`${at}.hashOn.name`, `"${h.name ?? ''}" is not a valid ${h.source} name`);
  }
  return { source: h.source, name: h.source === 'header' ? h.name.toLowerCase() : h.name };
}

function persistenceOf(at: string, l: ListenerConfig): Listener['persistence'] {
  const p = l.persistence;
  if (p === undefined) return undefined;
  if (p.type === 'cookie') {
    if (l.protocol !== 'http')
      throw configInvalid(`${at}.persistence`, 'cookie persistence needs an http listener');
    const cookieName = p.cookieName ?? 'STRATUS_LB';
    if (!TOKEN.test(cookieName))
      throw configInvalid(`${at}.persistence.cookieName`, `"${cookieName}" is not a token`);
    return { type: 'cookie', cookieName };
  }
  if (p.type === 'source') {
    return {
      type: 'source',
      timeoutMs: int(`${at}.persistence.timeoutMs`, p.timeoutMs, 10_800_000, 1000, 86_400_000),
    };
  }
  throw configInvalid(`${at}.persistence.type`, `must be cookie or source`);
}

function listenerOf(at: string, l: ListenerConfig): Listener {
  if (typeof l.name !== 'string' || !NAME.test(l.name))
    throw configInvalid(`${at}.name`, `"${String(l.name)}" is not a valid name`);
  if (!isIpAddress(l.address)) throw configInvalid(`${at}.address`, `"${l.address}" is not an IP address`);
  if (!['http', 'tcp', 'udp'].includes(l.protocol)) {
    throw configInvalid(`${at}.protocol`, `must be http, tcp or udp, got "${String(l.protocol)}"`);
  }
  const algorithm = l.algorithm ?? 'round-robin';
  if (!ALGORITHMS.includes(algorithm)) {
    throw configInvalid(`${at}.algorithm`, `"${String(algorithm)}" is not one of ${ALGORITHMS.join(', ')}`);
  }
  const slowStartMs = int(`${at}.slowStartMs`, l.slowStartMs, 0, 0, 3_600_000);
  if (slowStartMs > 0 && !DYNAMIC_WEIGHT_ALGORITHMS.has(algorithm)) {
    throw configInvalid(`${at}.slowStartMs`, `slow start needs a weighted algorithm, not ${algorithm}`);
  }
  const hc = l.healthCheck;
  if (hc !== undefined && hc.type !== 'http' && hc.type !== 'tcp') {
    throw configInvalid(`${at}.healthCheck.type`, 'must be http or tcp');
  }
  const path = hc?.path ?? '/';
  if (!/^\/[\x21-\x7e]{0,1023}$/.test(path))
    throw configInvalid(`${at}.healthCheck.path`, `"${path}" is not a path`);
  const ph = l.passiveHealth;
  const ids = new Set<string>();
  const endpoints = (l.endpoints ?? []).map((e, i) => {
    const ep = endpointOf(`${at}.endpoints[${i}]`, e);
    if (ids.has(ep.id)) throw configInvalid(`${at}.endpoints[${i}].id`, `"${ep.id}" appears twice`);
    ids.add(ep.id);
    return ep;
  });
  return {
    name: l.name,
    address: l.address,
    port: int(`${at}.port`, l.port, 0, 0, 65535),
    protocol: l.protocol,
    algorithm,
    hashOn: algorithm === 'source-hash' ? { source: 'address' } : hashOnOf(at, l),
    persistence: persistenceOf(at, l),
    slowStartMs,
    healthCheck:
      hc === undefined
        ? undefined
        : {
            type: hc.type,
            path,
            intervalMs: int(`${at}.healthCheck.intervalMs`, hc.intervalMs, 2000, 100, 3_600_000),
            timeoutMs: int(`${at}.healthCheck.timeoutMs`, hc.timeoutMs, 1000, 10, 600_000),
            rise: int(`${at}.healthCheck.rise`, hc.rise, 2, 1, 100),
            fall: int(`${at}.healthCheck.fall`, hc.fall, 3, 1, 100),
          },
    passiveHealth:
      ph === undefined
        ? undefined
        : {
            consecutiveFailures: int(
              `${at}.passiveHealth.consecutiveFailures`,
              ph.consecutiveFailures,
              5,
              1,
              1000,
            ),
            ejectMs: int(`${at}.passiveHealth.ejectMs`, ph.ejectMs, 10_000, 100, 3_600_000),
            on5xx: ph.on5xx ?? true,
          },
    retries: int(`${at}.retries`, l.retries, 2, 0, 10),
    connectTimeoutMs: int(`${at}.connectTimeoutMs`, l.connectTimeoutMs, 5000, 10, 600_000),
    idleTimeoutMs: int(`${at}.idleTimeoutMs`, l.idleTimeoutMs, 60_000, 100, 86_400_000),
    requestTimeoutMs: int(`${at}.requestTimeoutMs`, l.requestTimeoutMs, 60_000, 100, 86_400_000),
    maxConnectionsPerEndpoint: int(
      `${at}.maxConnectionsPerEndpoint`,
      l.maxConnectionsPerEndpoint,
      0,
      0,
      1_000_000,
    ),
    maxHeaderBytes: int(`${at}.maxHeaderBytes`, l.maxHeaderBytes, 16_384, 1024, 1_048_576),
    maxBodyBytes: int(`${at}.maxBodyBytes`, l.maxBodyBytes, 0, 0, Number.MAX_SAFE_INTEGER),
    upstreamIdleMs: int(`${at}.upstreamIdleMs`, l.upstreamIdleMs, 2000, 100, 600_000),
    trustForwarded: l.trustForwarded === true,
    endpoints,
  };
}

/**
 * Checks a configuration and fills its defaults. Throws `NETWORK_CONFIG_INVALID` naming the
 * first wrong field (`listeners[0].endpoints[2].port: must be an integer from 1 to 65535`);
 * names and address:port pairs must be unique.
 */
export function normalizeConfig(config: ProxyConfig): Listener[] {
  if (config === null || typeof config !== 'object' || !Array.isArray(config.listeners)) {
    throw configInvalid('listeners', 'must be a list');
  }
  const names = new Set<string>();
  const binds = new Set<string>();
  return config.listeners.map((l, i) => {
    const at = `listeners[${i}]`;
    const listener = listenerOf(at, l);
    if (names.has(listener.name)) throw configInvalid(`${at}.name`, `"${listener.name}" appears twice`);
    names.add(listener.name);
    const bind = `${listener.protocol === 'udp' ? 'udp' : 'tcp'} ${listener.address} ${listener.port}`;
    if (listener.port !== 0 && binds.has(bind)) {
      throw configInvalid(`${at}.port`, `${listener.address}:${listener.port} is used by another listener`);
    }
    binds.add(bind);
    return listener;
  });
}
