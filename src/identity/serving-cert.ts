import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { issueCertificate, type CertificatePair } from './certificate.js';
import type { ClusterCa } from './cluster-ca.js';
import { writeFileAtomic } from './private-file.js';
import { parseSubjectAltName, sameNames, type SubjectAltNames } from './subject-alt-names.js';

/** A serving certificate's lifetime: a year, as kubeadm's and k3s'. */
export const SERVING_VALIDITY_MS = 365 * 86_400_000;
/** A serving certificate this close to its expiry is renewed (k3s renews within 90 days). */
export const SERVING_RENEW_BEFORE_MS = 90 * 86_400_000;

/** Options of ensureServingCert. */
export interface ServingCertOptions {
  /** The file names: `NAME.crt` and `NAME.key`. */
  name: string;
  /** The subject's common name (`stratus-apiserver`). */
  commonName: string;
  /** The names it must be valid for, no more and no fewer. */
  sans: SubjectAltNames;
  /** Now, in ms since the epoch. */
  now: number;
}

/** A serving certificate signed by the cluster CA. */
export interface ServingCert extends CertificatePair {
  /** `NAME.crt`: the certificate, then the CA's (the chain a TLS server sends). */
  certPath: string;
  /** When it expires, ms since the epoch. */
  notAfter: number;
}

/**
 * A TLS server certificate signed by the cluster CA, kept in `DIR/NAME.crt` (with the CA's
 * certificate after it, so that clients, and an agent pinning the CA by its hash, see the chain)
 * and `DIR/NAME.key` (0600). The one on disk is reused while it was signed by this CA, names
 * exactly `sans` and has more than 90 days left; otherwise a new one (a year, never past the
 * CA's own expiry) replaces it. The CA stays, so clients that trust it notice nothing.
 */
export async function ensureServingCert(
  dir: string,
  ca: ClusterCa,
  options: ServingCertOptions,
): Promise<ServingCert> {
  const certPath = join(dir, `${options.name}.crt`);
  const keyPath = join(dir, `${options.name}.key`);
  const caCert = new X509Certificate(ca.cert);
  try {
    const [cert, key] = await Promise.all([readFile(certPath, 'utf8'), readFile(keyPath, 'utf8')]);
    const leaf = new X509Certificate(cert);
    const notAfter = Date.parse(leaf.validTo);
    const names = parseSubjectAltName(leaf.subjectAltName);
    if (
      leaf.checkIssued(caCert) &&
      leaf.verify(caCert.publicKey) &&
      leaf.checkPrivateKey(createPrivateKey(key)) &&
      names.other.length === 0 &&
      sameNames(names, options.sans) &&
      Date.parse(leaf.validFrom) <= options.now &&
      notAfter - SERVING_RENEW_BEFORE_MS > options.now
    ) {
      return { cert, key, certPath, notAfter };
    }
  } catch {
    // missing or unreadable: issue a new one
  }
  const notAfter = Math.min(options.now + SERVING_VALIDITY_MS, Date.parse(caCert.validTo));
  const pair = issueCertificate(
    {
      commonName: options.commonName,
      isCa: false,
      sans: options.sans,
      notBefore: options.now - 3_600_000,
      notAfter,
    },
    ca,
  );
  const chain = pair.cert + ca.cert;
  await writeFileAtomic(keyPath, pair.key, 0o600);
  await writeFileAtomic(certPath, chain, 0o644);
  return { cert: chain, key: pair.key, certPath, notAfter: Date.parse(new X509Certificate(chain).validTo) };
}
