import { issueCertificate, type CertificatePair } from './certificate.js';
import type { SubjectAltNames } from './subject-alt-names.js';

/**
 * Test support: a root CA valid for a day and a server certificate it signed for `sans`
 * (default localhost and 127.0.0.1), as a user would bring them with `--tls-cert-file`.
 */
export function issueTestChain(
  options: { rootName?: string; leafName?: string; sans?: SubjectAltNames } = {},
): { root: CertificatePair; leaf: CertificatePair } {
  const now = Date.now();
  const validity = { notBefore: now - 60_000, notAfter: now + 86_400_000 };
  const root = issueCertificate({ commonName: options.rootName ?? 'test-root', isCa: true, ...validity });
  const leaf = issueCertificate(
    {
      commonName: options.leafName ?? 'test-server',
      isCa: false,
      sans: options.sans ?? { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] },
      ...validity,
    },
    root,
  );
  return { root, leaf };
}
