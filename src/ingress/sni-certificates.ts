/**
 * TLS certificates for the HTTPS port: a secure context per host named in the served
 * Ingresses' `spec.tls`, from `kubernetes.io/tls` Secrets (`tls.crt`, `tls.key`), chosen by
 * the client's SNI (exact host, then `*.` wildcard), and the default certificate for any other
 * name or a Secret that is missing or unusable (as ingress-nginx does). Contexts are cached by
 * Secret uid and resourceVersion, so an unchanged Secret is not parsed again.
 */
import { createSecureContext, type SecureContext } from 'node:tls';
import type { Secret } from 'kubernetes-types/core/v1.js';
import { lookupHost } from './host-match.js';
import type { TlsRef } from './route-table.js';

/** The Secret type an Ingress certificate must have. */
export const TLS_SECRET_TYPE = 'kubernetes.io/tls';

/** A usable certificate: its Secret (`namespace/name`), PEM chain and key, and its context. */
export interface HostCertificate {
  secret: string;
  cert: string;
  key: string;
  context: SecureContext;
}

/** Certificates by host, plus the default one. */
export class SniCertificates {
  private byHost = new Map<string, HostCertificate>();
  private cache = new Map<string, { version: string; entry: HostCertificate }>();
  private defaultContext: SecureContext;

  /** `defaultPair` (PEM) answers names no Ingress covers and clients that send no SNI. */
  constructor(public defaultPair: { cert: string; key: string }) {
    this.defaultContext = createSecureContext(defaultPair);
  }

  /** Replaces the default certificate (a renewal) for new handshakes. */
  setDefault(pair: { cert: string; key: string }): void {
    this.defaultContext = createSecureContext(pair);
    this.defaultPair = pair;
  }

  /** The context for a ClientHello's server name (the default when none fits). */
  contextFor(servername: string | undefined): SecureContext {
    if (servername === undefined || servername === '') return this.defaultContext;
    return lookupHost(this.byHost, servername.toLowerCase())?.context ?? this.defaultContext;
  }

  /** The usable certificates by host (exact or `*.` wildcard), for a data plane that serves TLS itself. */
  get hosts(): ReadonlyMap<string, HostCertificate> {
    return this.byHost;
  }

  /**
   * Rebuilds the host table from the routes' TLS entries; `warn` hears of each Secret left out.
   * New handshakes see the new table; open connections keep the certificate they have.
   */
  update(
    tls: ReadonlyMap<string, TlsRef>,
    secret: (namespace: string, name: string) => Secret | undefined,
    warn: (message: string) => void,
  ): void {
    const next = new Map<string, HostCertificate>();
    const used = new Map<string, { version: string; entry: HostCertificate }>();
    for (const [host, ref] of tls) {
      if (ref.secretName === undefined) continue;
      const id = `${ref.namespace}/${ref.secretName}`;
      const s = secret(ref.namespace, ref.secretName);
      if (s === undefined) {
        warn(`TLS Secret ${id} for ${host} not found; the default certificate is used`);
        continue;
      }
      const version = `${s.metadata?.uid ?? ''}@${s.metadata?.resourceVersion ?? ''}`;
      let cached = used.get(id) ?? this.cache.get(id);
      if (cached?.version !== version) {
        try {
          if (s.type !== TLS_SECRET_TYPE)
            throw new Error(`its type is "${s.type ?? ''}", not ${TLS_SECRET_TYPE}`);
          const cert = Buffer.from(s.data?.['tls.crt'] ?? '', 'base64').toString();
          const key = Buffer.from(s.data?.['tls.key'] ?? '', 'base64').toString();
          cached = { version, entry: { secret: id, cert, key, context: createSecureContext({ cert, key }) } };
        } catch (err) {
          warn(
            `TLS Secret ${id} for ${host} is unusable (${(err as Error).message}); the default certificate is used`,
          );
          continue;
        }
      }
      used.set(id, cached);
      next.set(host, cached.entry);
    }
    this.byHost = next;
    this.cache = used;
  }
}
