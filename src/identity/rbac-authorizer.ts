import type { Store, Watcher } from '../store/index.js';
import type { Authorizer, RequestAttributes, RuleResolver, RuleSet, Verdict } from './authorizer.js';
import { RBAC_RESOURCES, RbacPolicy } from './rbac-policy.js';
import type { UserInfo } from './user-info.js';

/**
 * Kubernetes RBAC over the resource store: lists the four RBAC resources once, then keeps an
 * in-memory `RbacPolicy` fresh from store watches (a binding written through the API is seen
 * before the writer's next request: the store pushes changes at commit and delivers them on the
 * next turn). `start()` resolves once the first lists are in; `close()` ends the watches.
 */
export class RbacAuthorizer implements Authorizer, RuleResolver {
  readonly policy = new RbacPolicy();
  private readonly watchers: Watcher[] = [];
  private closed = false;

  constructor(private readonly store: Store) {}

  /** Loads every role and binding and starts watching them. */
  async start(): Promise<void> {
    for (const resource of Object.values(RBAC_RESOURCES)) {
      const list = await this.store.list(resource);
      for (const o of list.items) this.policy.apply(resource, o, false);
      if (this.closed) return;
      const watcher = await this.store.watch(resource, { fromRevision: list.revision }, (e) =>
        this.policy.apply(resource, e.object, e.type === 'DELETED'),
      );
      this.watchers.push(watcher);
    }
  }

  authorize(attributes: RequestAttributes): Verdict {
    return this.policy.authorize(attributes);
  }

  rulesFor(user: UserInfo, namespace: string): RuleSet {
    return this.policy.rulesFor(user, namespace);
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.watchers.map((w) => w.close()));
  }
}
