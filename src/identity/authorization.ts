import type { Clock } from '../common/clock.js';
import type { Store } from '../store/index.js';
import { AdmissionChain, RbacAdmission, type Admission } from './admission.js';
import { AuthorizerChain, mastersAuthorizer } from './authorizer.js';
import { RbacAuthorizer } from './rbac-authorizer.js';
import { reconcileBootstrapPolicy } from './reconcile-policy.js';
import { TokenAuthenticator } from './token-authenticator.js';

/** What the API server authenticates, authorizes and admits with; `close()` ends the watches. */
export interface Authorization {
  authenticator: TokenAuthenticator;
  /** system:masters, then RBAC (a Node authorizer will go in front of RBAC). */
  authorizer: AuthorizerChain;
  rbac: RbacAuthorizer;
  admission: Admission;
  close(): Promise<void>;
}

/**
 * Builds identity for a server: reconciles the default roles and bindings, loads RBAC into
 * memory and starts its watches, starts the token watch (revocations count at once), and
 * returns the authorizer chain and the admission that guards RBAC writes and token Secrets.
 */
export async function startAuthorization(
  store: Store,
  options: { clock?: Clock; admissions?: Admission[] } = {},
): Promise<Authorization> {
  await reconcileBootstrapPolicy(store, options);
  const rbac = new RbacAuthorizer(store);
  const authenticator = new TokenAuthenticator(store, options);
  try {
    await rbac.start();
    await authenticator.start();
  } catch (err) {
    await rbac.close();
    await authenticator.close();
    throw err;
  }
  const authorizer = new AuthorizerChain([mastersAuthorizer, rbac]);
  return {
    authenticator,
    authorizer,
    rbac,
    admission: new AdmissionChain([
      new RbacAdmission(authorizer, rbac.policy),
      ...(options.admissions ?? []),
    ]),
    close: async () => {
      await rbac.close();
      await authenticator.close();
    },
  };
}
