import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { systemClock, type Clock } from '../common/clock.js';
import type { KubeObject } from '../common/kube-object.js';
import type { Store } from '../store/index.js';
import type { UserInfo } from './user-info.js';

/** The Secret type that marks a stored token. */
export const TOKEN_SECRET_TYPE = 'stratus.dev/token';
/** The namespace token Secrets live in. */
export const TOKEN_NAMESPACE = 'kube-system';
/** The label every token Secret carries (`stratus token ls` selects on it). */
export const TOKEN_LABEL = 'stratus.dev/token';

/** The hex SHA-256 of a token: the only form in which tokens are stored. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** A token's id: the first 16 hex digits of its hash, which `stratus token revoke` takes. */
export function tokenId(hash: string): string {
  return hash.slice(0, 16);
}

/** The Secret name of a token: derived from its hash, so a lookup is one store get. */
export function tokenSecretName(hash: string): string {
  return `stratus-token-${tokenId(hash)}`;
}

/**
 * A new random bearer token: `stratus_` and 32 random bytes in base64url. The prefix lets secret
 * scanners recognize a leaked token, and keeps a token from starting with `-`, which a command
 * line would read as an option (`stratus agent --token -x…`).
 */
export function newToken(): string {
  return `stratus_${randomBytes(32).toString('base64url')}`;
}

/** RFC 3339 in seconds, as Kubernetes writes times. */
function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** What a token Secret says: whose token it is and until when. */
export interface TokenRecord {
  id: string;
  user: UserInfo;
  /** Milliseconds since the epoch; undefined when the token never expires. */
  expiresAt: number | undefined;
  description: string;
  createdAt: string;
}

/** Options of tokenSecret and createToken. */
export interface TokenOptions {
  /** Default: the system clock. */
  clock?: Clock;
  description?: string;
  /** Lifetime in milliseconds; default: the token never expires. */
  ttlMs?: number;
}

/**
 * The Secret that stores a token's hash (never the token): type `stratus.dev/token` in
 * `kube-system`, with the user, groups and, for expiring tokens, `expiration` (RFC 3339, as
 * Kubernetes' bootstrap token Secrets carry it).
 */
export function tokenSecret(token: string, user: UserInfo, options: TokenOptions = {}): KubeObject {
  const hash = hashToken(token);
  const now = (options.clock ?? systemClock).now();
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  const data: Record<string, string> = {
    'token-sha256': b64(hash),
    username: b64(user.username),
    groups: b64(user.groups.join(',')),
  };
  if (options.ttlMs !== undefined) data.expiration = b64(rfc3339(now + options.ttlMs));
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: tokenSecretName(hash),
      namespace: TOKEN_NAMESPACE,
      uid: randomUUID(),
      creationTimestamp: rfc3339(now),
      labels: { [TOKEN_LABEL]: 'true' },
      annotations: options.description ? { 'stratus.dev/description': options.description } : {},
    },
    type: TOKEN_SECRET_TYPE,
    data,
  };
}

/** Reads a token Secret; undefined when it is not one. */
export function parseTokenSecret(secret: KubeObject): TokenRecord | undefined {
  if (secret.type !== TOKEN_SECRET_TYPE) return undefined;
  const data = (secret.data ?? {}) as Record<string, string>;
  const text = (k: string): string => Buffer.from(data[k] ?? '', 'base64').toString();
  const expiration = text('expiration');
  const expiresAt = expiration === '' ? undefined : Date.parse(expiration);
  return {
    id: (secret.metadata.name ?? '').replace(/^stratus-token-/, ''),
    user: {
      username: text('username'),
      groups: text('groups')
        .split(',')
        .filter((g) => g !== ''),
    },
    expiresAt: Number.isNaN(expiresAt) ? 0 : expiresAt,
    description: secret.metadata.annotations?.['stratus.dev/description'] ?? '',
    createdAt: secret.metadata.creationTimestamp ?? '',
  };
}

/**
 * Creates a new token for a user directly in the store (bootstrap and in-process components)
 * and returns it: the only time it exists in plain text.
 */
export async function createToken(store: Store, user: UserInfo, options: TokenOptions = {}): Promise<string> {
  const token = newToken();
  await store.create('secrets', tokenSecret(token, user, options));
  return token;
}
