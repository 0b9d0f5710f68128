import { issueCertificate, type CertificatePair } from '../identity/index.js';

const YEAR_MS = 365 * 86_400_000;

/**
 * A self-signed server certificate for `dnsNames`: the controller's default certificate, served
 * to names no `kubernetes.io/tls` Secret covers (ingress-nginx's "Fake Certificate").
 */
export function selfSignedCertificate(
  commonName: string,
  dnsNames: string[],
  now = Date.now(),
): CertificatePair {
  return issueCertificate({
    commonName,
    isCa: false,
    sans: { dnsNames, ipAddresses: [] },
    notBefore: now - 60_000,
    notAfter: now + YEAR_MS,
  });
}
