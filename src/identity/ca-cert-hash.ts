import { createHash, X509Certificate } from 'node:crypto';

/**
 * A CA certificate's pin as kubeadm prints it for `--discovery-token-ca-cert-hash`:
 * `sha256:` and the hex SHA-256 of the certificate's SubjectPublicKeyInfo (DER), so that a
 * joining node can check, before trusting anything the server says, that it talks to the
 * cluster whose CA the administrator saw.
 */
export function caCertHash(pem: string): string {
  const spki = new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' });
  return `sha256:${createHash('sha256').update(spki).digest('hex')}`;
}
