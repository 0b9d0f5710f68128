import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { systemClock, type Clock } from '../common/clock.js';
import type { KubeObject } from '../common/kube-object.js';
import type { Store } from '../store/index.js';

/** Who made a request, as Kubernetes' authenticators report it. */
export interface UserInfo {
  username: string;
  groups: string[];
}

/** Anything that turns a request's Authorization header into a user (or none). */
export interface Authenticator {
  authenticate(authorization: string | undefined): Promise<UserInfo | undefined>;
}

/** The Secret type that marks a stored token. */
export const TOKEN_SECRET_TYPE = 'stratus.dev/token';
/** The namespace token Secrets live in. */
export const TOKEN_NAMESPACE = 'kube-system';

/** The hex SHA-256 of a token: the only form in which tokens are stored. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** The Secret name of a token: derived from its hash, so a lookup is one store get. */
export function tokenSecretName(hash: string): string {
  return `stratus-token-${hash.slice(0, 16)}`;
}

/**
 * Creates a new random bearer token (32 bytes, base64url) for a user and stores its SHA-256 as
 * a Secret of type `stratus.dev/token` in `kube-system`. Returns the token: the only time it
 * exists in plain text.
 */
export async function createToken(
  store: Store,
  user: UserInfo,
  options: { clock?: Clock; description?: string } = {},
): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  const hash = hashToken(token);
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  const secret: KubeObject = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: tokenSecretName(hash),
      namespace: TOKEN_NAMESPACE,
      uid: randomUUID(),
      creationTimestamp: new Date((options.clock ?? systemClock).now())
        .toISOString()
        .replace(/\.\d{3}Z$/, 'Z'),
      labels: { 'stratus.dev/token': 'true' },
      annotations: options.description ? { 'stratus.dev/description': options.description } : {},
    },
    type: TOKEN_SECRET_TYPE,
    data: { 'token-sha256': b64(hash), username: b64(user.username), groups: b64(user.groups.join(',')) },
  };
  await store.create('secrets', secret);
  return token;
}

/**
 * Authenticates `Authorization: Bearer <token>` against the token Secrets in the store.
 * Positive answers are cached for `cacheTtlMs` (default 10 s) so the hot path does no store
 * read; a deleted token stops working within that time.
 */
export class TokenAuthenticator implements Authenticator {
  private readonly cache = new Map<string, { user: UserInfo; expires: number }>();
  private readonly clock: Clock;
  private readonly ttl: number;

  constructor(
    private readonly store: Store,
    options: { clock?: Clock; cacheTtlMs?: number } = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.ttl = options.cacheTtlMs ?? 10_000;
  }

  async authenticate(authorization: string | undefined): Promise<UserInfo | undefined> {
    if (authorization === undefined || !authorization.startsWith('Bearer ')) return undefined;
    const token = authorization.slice(7).trim();
    if (token === '') return undefined;
    const now = this.clock.now();
    const cached = this.cache.get(token);
    if (cached !== undefined && cached.expires > now) return cached.user;
    const hash = hashToken(token);
    const secret = await this.store.get('secrets', TOKEN_NAMESPACE, tokenSecretName(hash));
    if (secret === undefined || secret.type !== TOKEN_SECRET_TYPE) return undefined;
    const data = (secret.data ?? {}) as Record<string, string>;
    const stored = Buffer.from(data['token-sha256'] ?? '', 'base64');
    const given = Buffer.from(hash);
    if (stored.length !== given.length || !timingSafeEqual(stored, given)) return undefined;
    const groups = Buffer.from(data.groups ?? '', 'base64')
      .toString()
      .split(',')
      .filter((g) => g !== '');
    const user: UserInfo = { username: Buffer.from(data.username ?? '', 'base64').toString(), groups };
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(token, { user, expires: now + this.ttl });
    return user;
  }

  /** True when the store holds this token (for bootstrap: is the kubeconfig's token still valid?). */
  async holds(token: string): Promise<boolean> {
    this.cache.delete(token);
    return (await this.authenticate(`Bearer ${token}`)) !== undefined;
  }
}
