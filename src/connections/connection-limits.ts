/**
 * The limits a listening port puts on its connections, and the per-client bookkeeping behind the
 * caps (pure: the sockets and timers are in `connection-guard.ts`). The timeouts are what Node
 * applies only to servers that listen themselves, and what HAProxy calls `timeout http-request`
 * and `timeout http-keep-alive`; the caps are HAProxy's `maxconn` and nginx's `limit_conn`.
 */

/** Timeouts and caps of a port; every field has a default (see `resolveLimits`). */
export interface ConnectionLimits {
  /**
   * From accepting a connection until its first request's headers are in: the first byte, a TLS
   * handshake and the headers (slowloris). Also the time a request that begins on an idle
   * keep-alive connection gets for its headers. Default 30 000 ms.
   */
  headersTimeoutMs?: number;
  /**
   * From the end of a response until the next request's headers are in, on a keep-alive
   * connection (bytes trickled in meanwhile do not extend it, unless a request has begun when it
   * runs out: then `headersTimeoutMs` more). Default 65 000 ms.
   */
  keepAliveTimeoutMs?: number;
  /**
   * From a request's headers until its whole body is in; 0 is no limit, for uploads that may take
   * hours while they keep moving. Responses are never timed: watches and log streams last.
   * Default 0.
   */
  requestTimeoutMs?: number;
  /** Open connections at most; a new one beyond it is answered or closed at once. */
  maxConnections?: number;
  /** Open connections from one client address at most (IPv4-mapped IPv6 counts as IPv4). */
  maxConnectionsPerClient?: number;
}

/** Limits with every field set. */
export type ResolvedLimits = Required<ConnectionLimits>;

/**
 * The limits in force: `given` over `base` over the defaults. The caps default from the
 * process's open-file limit `fdLimit`, since each connection holds a descriptor and a process has
 * two such ports besides its files: a quarter of it per port, at most 8,192, and per client a
 * quarter of that, at most 1,024 (`stratus up`'s own components all connect from loopback).
 */
export function resolveLimits(
  given: ConnectionLimits | undefined,
  base: ConnectionLimits,
  fdLimit: number,
): ResolvedLimits {
  const maxConnections =
    given?.maxConnections ?? base.maxConnections ?? Math.min(8192, Math.floor(fdLimit / 4));
  return {
    headersTimeoutMs: given?.headersTimeoutMs ?? base.headersTimeoutMs ?? 30_000,
    keepAliveTimeoutMs: given?.keepAliveTimeoutMs ?? base.keepAliveTimeoutMs ?? 65_000,
    requestTimeoutMs: given?.requestTimeoutMs ?? base.requestTimeoutMs ?? 0,
    maxConnections,
    maxConnectionsPerClient:
      given?.maxConnectionsPerClient ??
      base.maxConnectionsPerClient ??
      Math.max(1, Math.min(1024, Math.floor(maxConnections / 4))),
  };
}

/** The address a per-client cap counts under: `::ffff:10.0.0.1` is `10.0.0.1`. */
export function clientKey(address: string | undefined): string {
  if (address === undefined) return '';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/** Why a connection was refused. */
export type Refusal = 'total' | 'client';

/** Counts open connections in total and per client against the caps. */
export class ClientCounts {
  private readonly perClient = new Map<string, number>();
  private open = 0;

  constructor(private readonly limits: Pick<ResolvedLimits, 'maxConnections' | 'maxConnectionsPerClient'>) {}

  /** Takes a slot for a new connection from `client`, or says which cap refuses it. */
  admit(client: string): Refusal | undefined {
    if (this.open >= this.limits.maxConnections) return 'total';
    const n = this.perClient.get(client) ?? 0;
    if (n >= this.limits.maxConnectionsPerClient) return 'client';
    this.perClient.set(client, n + 1);
    this.open++;
    return undefined;
  }

  /** Gives back the slot of a connection from `client` that closed. */
  release(client: string): void {
    const n = this.perClient.get(client) ?? 0;
    if (n <= 1) this.perClient.delete(client);
    else this.perClient.set(client, n - 1);
    this.open = Math.max(0, this.open - 1);
  }

  /** Connections open now. */
  get size(): number {
    return this.open;
  }
}
