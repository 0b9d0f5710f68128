import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { caCertHash, writeFileAtomic } from '../identity/index.js';
import { ClusterMembershipError } from './errors.js';

/** Where a server of a cluster keeps the server token (0600), as k3s' `server/token`. */
export const SERVER_TOKEN_FILE = 'token';

/**
 * k3s' secure token format, `K10<hex SHA-256 of the CA's public key>::server:<secret>`: the part
 * before `::` lets a joining server check the CA before it believes anything the first server
 * sends (kubeadm's pin), the secret is what the first server checks before it hands out the
 * cluster's keys.
 */
export function parseServerToken(token: string): { caHash: string; secret: string } {
  const m = /^K10([0-9a-f]{64})::server:([A-Za-z0-9]{16,})$/.exec(token.trim());
  if (m === null)
    throw new ClusterMembershipError(
      'the server token is not K10<CA hash>::server:<secret>: copy it whole from DATA_DIR/token of a server of the cluster',
    );
  return { caHash: `sha256:${m[1] ?? ''}`, secret: m[2] ?? '' };
}

/** The token of this cluster in `path`, made (with a fresh secret) when it is not there yet. */
export async function ensureServerToken(path: string, caCert: string): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const token = `K10${caCertHash(caCert).slice('sha256:'.length)}::server:${randomBytes(16).toString('hex')}`;
  await writeFileAtomic(path, `${token}\n`, 0o600);
  return token;
}

/** Whether `given` is `token`, compared in constant time. */
export function sameToken(given: string, token: string): boolean {
  const a = Buffer.from(given.trim());
  const b = Buffer.from(token.trim());
  return a.length === b.length && timingSafeEqual(a, b);
}
