import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { issueCertificate, type CertificatePair } from './certificate.js';
import { IdentityError } from './errors.js';
import { writeFileAtomic } from './private-file.js';

/** The cluster CA's lifetime: ten years, as kubeadm's and k3s' CAs. */
export const CA_VALIDITY_MS = 3650 * 86_400_000;

/** The cluster CA: its certificate and key (PEM) and where they are kept. */
export interface ClusterCa extends CertificatePair {
  certPath: string;
  keyPath: string;
}

function invalid(message: string, path: string): IdentityError {
  return new IdentityError('IDENTITY_CA_INVALID', 500, message, { path });
}

async function readIfThere(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * The cluster's certificate authority, `DIR/ca.crt` and `DIR/ca.key` (0600): made on the first
 * start (ECDSA P-256, ten years, CN `stratus-ca@<unix seconds>` as k3s names its CAs) and kept
 * after, since every kubeconfig, aws config and joined agent trusts it. A CA the user put there
 * before the first start (EC or RSA key) is used as it is. It is never replaced behind anyone's
 * back: a CA that is expired, is not a CA, or whose key does not match, or half a pair, stops the
 * start with IDENTITY_CA_INVALID saying what to do (README, "Rotating the cluster CA").
 */
export async function ensureClusterCa(dir: string, options: { now: number }): Promise<ClusterCa> {
  const certPath = join(dir, 'ca.crt');
  const keyPath = join(dir, 'ca.key');
  const [cert, key] = await Promise.all([readIfThere(certPath), readIfThere(keyPath)]);
  if (cert !== undefined && key !== undefined) {
    checkCa(cert, key, certPath, options.now);
    return { cert, key, certPath, keyPath };
  }
  if (cert !== undefined || key !== undefined) {
    throw invalid(
      `${cert === undefined ? keyPath : certPath} is there but ${cert === undefined ? certPath : keyPath} is not: ` +
        'restore the missing file, or move both away to make a new cluster CA',
      certPath,
    );
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const pair = issueCertificate({
    commonName: `stratus-ca@${Math.floor(options.now / 1000)}`,
    isCa: true,
    notBefore: options.now - 3_600_000,
    notAfter: options.now + CA_VALIDITY_MS,
  });
  await writeFileAtomic(keyPath, pair.key, 0o600);
  await writeFileAtomic(certPath, pair.cert, 0o644);
  return { ...pair, certPath, keyPath };
}

function checkCa(cert: string, key: string, certPath: string, now: number): void {
  let parsed: X509Certificate;
  let privateKey;
  try {
    parsed = new X509Certificate(cert);
    privateKey = createPrivateKey(key);
  } catch (err) {
    throw invalid(`Cannot read the cluster CA in ${certPath}: ${(err as Error).message}`, certPath);
  }
  if (!parsed.ca) throw invalid(`${certPath} is not a CA certificate (basicConstraints CA:TRUE)`, certPath);
  if (!parsed.checkPrivateKey(privateKey))
    throw invalid(`The key next to ${certPath} does not belong to its certificate`, certPath);
  if (privateKey.asymmetricKeyType !== 'ec' && privateKey.asymmetricKeyType !== 'rsa')
    throw invalid(
      `The cluster CA's key is ${privateKey.asymmetricKeyType ?? 'unknown'}: use an EC or RSA key`,
      certPath,
    );
  if (Date.parse(parsed.validTo) <= now)
    throw invalid(
      `The cluster CA in ${certPath} expired on ${new Date(parsed.validTo).toISOString()}: ` +
        'move ca.crt and ca.key away to make a new one (see README, "Rotating the cluster CA")',
      certPath,
    );
}
