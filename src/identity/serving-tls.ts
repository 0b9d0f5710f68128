import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { systemClock, type Clock } from '../common/clock.js';
import { splitPemCertificates, type CertificatePair } from './certificate.js';
import { ensureClusterCa, type ClusterCa } from './cluster-ca.js';
import { IdentityError } from './errors.js';
import { ensureServingCert, type ServingCert } from './serving-cert.js';
import type { SubjectAltNames } from './subject-alt-names.js';

/** The ports Stratus serves TLS on, each with its own serving certificate and common name. */
export const SERVING_PORTS = {
  apiserver: 'stratus-apiserver',
  s3: 'stratus-s3',
  // The Ingress controller's default certificate (names no `kubernetes.io/tls` Secret covers).
  ingress: 'stratus-ingress',
} as const;
/** A port that serves TLS. */
export type ServingPort = keyof typeof SERVING_PORTS;

/** Options of ServingTls.open. */
export interface ServingTlsOptions {
  /** The data directory; the CA and serving certificates live in `DATA_DIR/tls`. */
  dataDir: string;
  /** The names the serving certificates are valid for (`servingNames`). */
  sans: SubjectAltNames;
  /** S3's: the API's names plus these (`*.s3.localhost` for virtual-hosted buckets). */
  s3ExtraDnsNames?: string[];
  /**
   * A certificate (PEM, the chain after it) and key file of the user's own, used as they are on
   * every port (kube-apiserver's `--tls-cert-file`/`--tls-private-key-file`); re-read when they
   * change, so a renewal by certbot or the like needs no restart.
   */
  certFile?: string;
  keyFile?: string;
  /** Default: the system clock. */
  clock?: Clock;
  /** How often `refresh` runs by itself; default a day. */
  checkIntervalMs?: number;
}

/** What clients are told to trust: PEM text and a file holding it. */
export interface TrustBundle {
  pem: string;
  path: string;
}

/**
 * The TLS material of a server: the cluster CA (made at the first start), a serving certificate
 * per port signed by it, or the user's own certificate; and what clients should trust. `refresh`
 * (daily, and at start) renews serving certificates before they expire, keeping the CA, and
 * re-reads a user's certificate files; listeners then swap the new pair into their servers.
 */
export class ServingTls {
  private readonly pairs = new Map<ServingPort, CertificatePair>();
  private readonly listeners = new Set<() => void>();
  private readonly timer: NodeJS.Timeout;
  private trusted: TrustBundle | undefined;

  private constructor(
    /** The cluster CA; it signs the serving certificates unless the user brought one. */
    readonly ca: ClusterCa,
    private readonly options: ServingTlsOptions,
  ) {
    this.timer = setInterval(() => void this.refresh().catch(report), options.checkIntervalMs ?? 86_400_000);
    this.timer.unref();
  }

  /** Makes or loads the CA and the serving certificates. */
  static async open(options: ServingTlsOptions): Promise<ServingTls> {
    const now = (options.clock ?? systemClock).now();
    const ca = await ensureClusterCa(join(options.dataDir, 'tls'), { now });
    const tls = new ServingTls(ca, options);
    try {
      await tls.refresh();
    } catch (err) {
      clearInterval(tls.timer);
      throw err;
    }
    return tls;
  }

  /** The certificate chain and key a port serves now. */
  pair(port: ServingPort): CertificatePair {
    const pair = this.pairs.get(port);
    if (pair === undefined) throw new RangeError(`no serving certificate for ${port}`);
    return pair;
  }

  /**
   * What kubeconfigs, aws configs and agents trust: the cluster CA; with the user's own
   * certificate, the self-signed certificates at the end of its chain (its root), or nothing
   * when the file holds none (a certificate from a CA the system already trusts).
   */
  get trust(): TrustBundle | undefined {
    return this.trusted;
  }

  /** Whether the serving certificates are the user's own (`certFile`). */
  get userProvided(): boolean {
    return this.options.certFile !== undefined;
  }

  /** Calls `listener` after a refresh changed a pair. */
  onChange(listener: () => void): void {
    this.listeners.add(listener);
  }

  /**
   * Renews what is due (a serving certificate within 90 days of expiry, or whose names or CA
   * changed) or re-reads the user's files; resolves with whether anything changed.
   */
  async refresh(): Promise<boolean> {
    const { options } = this;
    const now = (options.clock ?? systemClock).now();
    let next: Map<ServingPort, CertificatePair>;
    if (options.certFile !== undefined || options.keyFile !== undefined) {
      const own = await readUserPair(options.certFile, options.keyFile);
      next = new Map([
        ['apiserver', own.pair],
        ['s3', own.pair],
        ['ingress', own.pair],
      ]);
      this.trusted = own.trust;
    } else {
      const dir = join(options.dataDir, 'tls');
      const s3Sans = {
        dnsNames: [...options.sans.dnsNames, ...(options.s3ExtraDnsNames ?? [])],
        ipAddresses: options.sans.ipAddresses,
      };
      const issue = (port: ServingPort, sans: SubjectAltNames): Promise<ServingCert> =>
        ensureServingCert(dir, this.ca, { name: port, commonName: SERVING_PORTS[port], sans, now });
      next = new Map([
        ['apiserver', await issue('apiserver', options.sans)],
        ['s3', await issue('s3', s3Sans)],
        ['ingress', await issue('ingress', options.sans)],
      ]);
      this.trusted = { pem: this.ca.cert, path: this.ca.certPath };
    }
    let changed = false;
    for (const [port, pair] of next) {
      const old = this.pairs.get(port);
      if (old?.cert === pair.cert && old.key === pair.key) continue;
      this.pairs.set(port, { cert: pair.cert, key: pair.key });
      changed ||= old !== undefined;
    }
    if (changed) for (const l of this.listeners) l();
    return changed;
  }

  /** Stops the periodic refresh. */
  close(): Promise<void> {
    clearInterval(this.timer);
    this.listeners.clear();
    return Promise.resolve();
  }
}

function report(err: unknown): void {
  process.stderr.write(`tls: renewing the serving certificates failed: ${(err as Error).message}\n`);
}

/** Reads and checks `--tls-cert-file`/`--tls-private-key-file`. */
async function readUserPair(
  certFile: string | undefined,
  keyFile: string | undefined,
): Promise<{ pair: CertificatePair; trust: TrustBundle | undefined }> {
  if (certFile === undefined || keyFile === undefined)
    throw new IdentityError(
      'IDENTITY_TLS_FILES_INVALID',
      400,
      'a certificate of your own needs both --tls-cert-file and --tls-private-key-file',
      {},
    );
  let cert: string;
  let key: string;
  try {
    [cert, key] = await Promise.all([readFile(certFile, 'utf8'), readFile(keyFile, 'utf8')]);
    const leaf = new X509Certificate(cert);
    if (!leaf.checkPrivateKey(createPrivateKey(key)))
      throw new Error(`the key in ${keyFile} does not belong to the certificate`);
  } catch (err) {
    throw new IdentityError(
      'IDENTITY_TLS_FILES_INVALID',
      400,
      `Cannot use --tls-cert-file ${certFile} with --tls-private-key-file ${keyFile}: ${(err as Error).message}`,
      { certFile, keyFile },
    );
  }
  const roots = splitPemCertificates(cert).filter((c) => {
    const x = new X509Certificate(c);
    return x.issuer === x.subject && x.verify(x.publicKey);
  });
  return {
    pair: { cert, key },
    trust: roots.length > 0 ? { pem: roots.join(''), path: certFile } : undefined,
  };
}
