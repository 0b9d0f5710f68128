import { systemClock, type Clock } from '../common/clock.js';
import type { Store, Watcher } from '../store/index.js';
import { parseTokenSecret, TOKEN_NAMESPACE } from './token-secret.js';
import { splitServiceAccountUsername } from './user-info.js';

/**
 * Which users exist. Users are not objects in Stratus: a user is whoever holds a token naming
 * them, so a user exists while at least one unexpired `stratus.dev/token` Secret names them, and
 * is removed when the last one is revoked (`stratus token revoke`, `stratus user delete`) or
 * expires. A ServiceAccount exists while its object does. Kept from a watch on the token
 * Secrets, so the S3 gateway can refuse the access keys of removed users on every request.
 */
export class UserDirectory {
  /** Secret name → the user of the token it holds; user → their tokens' Secret names and expiries. */
  private readonly owners = new Map<string, string>();
  private readonly byUser = new Map<string, Map<string, number | undefined>>();
  private watcher: Watcher | undefined;
  private closed = false;
  private readonly clock: Clock;

  constructor(
    private readonly store: Store,
    options: { clock?: Clock } = {},
  ) {
    this.clock = options.clock ?? systemClock;
  }

  /** Loads the token Secrets and watches them. */
  async start(): Promise<void> {
    const list = await this.store.list('secrets', { namespace: TOKEN_NAMESPACE });
    for (const s of list.items) this.apply(s.metadata.name ?? '', parseTokenSecret(s));
    if (this.closed) return;
    this.watcher = await this.store.watch(
      'secrets',
      { fromRevision: list.revision, namespace: TOKEN_NAMESPACE },
      (e) =>
        this.apply(
          e.object.metadata.name ?? '',
          e.type === 'DELETED' ? undefined : parseTokenSecret(e.object),
        ),
    );
  }

  private apply(name: string, record: ReturnType<typeof parseTokenSecret>): void {
    const before = this.owners.get(name);
    if (before !== undefined) {
      this.byUser.get(before)?.delete(name);
      if (this.byUser.get(before)?.size === 0) this.byUser.delete(before);
      this.owners.delete(name);
    }
    if (record === undefined) return;
    const user = record.user.username;
    this.owners.set(name, user);
    if (!this.byUser.has(user)) this.byUser.set(user, new Map());
    this.byUser.get(user)?.set(name, record.expiresAt);
  }

  /** True while the user holds an unexpired token, or (a ServiceAccount) while it exists. */
  async exists(username: string): Promise<boolean> {
    const sa = splitServiceAccountUsername(username);
    if (sa !== undefined)
      return (await this.store.get('serviceaccounts', sa.namespace, sa.name)) !== undefined;
    const now = this.clock.now();
    for (const expiresAt of this.byUser.get(username)?.values() ?? []) {
      if (expiresAt === undefined || expiresAt > now) return true;
    }
    return false;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.watcher?.close();
  }
}
