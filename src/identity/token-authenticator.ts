import { timingSafeEqual } from 'node:crypto';
import { systemClock, type Clock } from '../common/clock.js';
import type { Store, Watcher } from '../store/index.js';
import { hashToken, parseTokenSecret, TOKEN_NAMESPACE, tokenSecretName } from './token-secret.js';
import { withAuthenticatedGroup, type UserInfo } from './user-info.js';

/** Anything that turns a request's Authorization header into a user (or none). */
export interface Authenticator {
  authenticate(authorization: string | undefined): Promise<UserInfo | undefined>;
}

interface CacheEntry {
  user: UserInfo;
  expiresAt: number | undefined;
}

/**
 * Authenticates `Authorization: Bearer <token>` against the token Secrets in the store, adding
 * `system:authenticated` to the user's groups. After `start()` positive answers are cached and
 * a watch on `kube-system` Secrets evicts a token the moment its Secret changes or goes, so a
 * revocation counts on the next request (every server of a shared store runs its own watch).
 * Without `start()` (bootstrap checks) every call reads the store. Expired tokens never
 * authenticate.
 */
export class TokenAuthenticator implements Authenticator {
  private readonly cache = new Map<string, CacheEntry>();
  /** Secret name → the cached token it holds, to evict on a watch event. */
  private readonly tokenBySecret = new Map<string, string>();
  private readonly clock: Clock;
  private watcher: Watcher | undefined;
  private closed = false;
  /** Watch events seen, and the event number of the last change per Secret name (bounded). */
  private events = 0;
  private readonly lastEvent = new Map<string, number>();
  private forgottenBefore = 0;

  constructor(
    private readonly store: Store,
    options: { clock?: Clock } = {},
  ) {
    this.clock = options.clock ?? systemClock;
  }

  /** Starts the watch that keeps the cache fresh; until then nothing is cached. */
  async start(): Promise<void> {
    const from = await this.store.currentRevision();
    if (this.closed) return;
    this.watcher = await this.store.watch(
      'secrets',
      { fromRevision: from, namespace: TOKEN_NAMESPACE },
      (e) => {
        const name = e.object.metadata.name ?? '';
        this.events++;
        if (this.lastEvent.size >= 1000) {
          this.lastEvent.clear();
          this.forgottenBefore = this.events;
        }
        this.lastEvent.set(name, this.events);
        const token = this.tokenBySecret.get(name);
        if (token === undefined) return;
        this.cache.delete(token);
        this.tokenBySecret.delete(name);
      },
    );
  }

  async authenticate(authorization: string | undefined): Promise<UserInfo | undefined> {
    if (authorization === undefined || !authorization.startsWith('Bearer ')) return undefined;
    const token = authorization.slice(7).trim();
    if (token === '') return undefined;
    const now = this.clock.now();
    const cached = this.cache.get(token);
    if (cached !== undefined)
      return cached.expiresAt === undefined || cached.expiresAt > now ? cached.user : undefined;
    const hash = hashToken(token);
    const name = tokenSecretName(hash);
    const seenBefore = this.events;
    const secret = await this.store.get('secrets', TOKEN_NAMESPACE, name);
    if (secret === undefined) return undefined;
    const record = parseTokenSecret(secret);
    if (record === undefined) return undefined;
    const stored = Buffer.from(
      ((secret.data ?? {}) as Record<string, string>)['token-sha256'] ?? '',
      'base64',
    );
    const given = Buffer.from(hash);
    if (stored.length !== given.length || !timingSafeEqual(stored, given)) return undefined;
    if (record.expiresAt !== undefined && record.expiresAt <= now) return undefined;
    const user = withAuthenticatedGroup(record.user);
    // A change that arrived while the Secret was being read may be a revocation: do not cache.
    const changedSince = (this.lastEvent.get(name) ?? 0) > seenBefore || this.forgottenBefore > seenBefore;
    if (this.watcher !== undefined && !changedSince) {
      if (this.cache.size > 10_000) {
        this.cache.clear();
        this.tokenBySecret.clear();
      }
      this.cache.set(token, { user, expiresAt: record.expiresAt });
      this.tokenBySecret.set(name, token);
    }
    return user;
  }

  /** True when the store holds this token and it has not expired (is the kubeconfig's token still good?). */
  async holds(token: string): Promise<boolean> {
    this.cache.delete(token);
    return (await this.authenticate(`Bearer ${token}`)) !== undefined;
  }

  /** Stops the watch. */
  async close(): Promise<void> {
    this.closed = true;
    await this.watcher?.close();
  }
}
