import { X509Certificate } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateSelfSignedCert, type CertificatePair } from './self-signed-cert.js';

/** Renew a certificate this long before it expires. */
const RENEW_BEFORE_MS = 30 * 86_400_000;

/**
 * The API server's TLS certificate: `DATA_DIR/tls/apiserver.crt` and `.key` (mode 0600),
 * created on first start and reused after, so kubeconfigs handed out stay valid; replaced when
 * missing, unreadable or within 30 days of expiry. kubectl sends bearer tokens only over TLS,
 * which is why the server has a certificate from the start.
 */
export async function ensureServingCert(
  dataDir: string,
  options: { now?: number } = {},
): Promise<CertificatePair & { certPath: string }> {
  const dir = join(dataDir, 'tls');
  const certPath = join(dir, 'apiserver.crt');
  const keyPath = join(dir, 'apiserver.key');
  const now = options.now ?? Date.now();
  try {
    const [cert, key] = await Promise.all([readFile(certPath, 'utf8'), readFile(keyPath, 'utf8')]);
    const parsed = new X509Certificate(cert);
    if (Date.parse(parsed.validTo) - RENEW_BEFORE_MS > now) return { cert, key, certPath };
  } catch {
    // missing or unreadable: make a new one
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const pair = generateSelfSignedCert({ now });
  await writeAtomic(keyPath, pair.key);
  await writeAtomic(certPath, pair.cert);
  return { ...pair, certPath };
}

async function writeAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, text, { mode: 0o600 });
  await rename(tmp, path);
}
