import type { Clock } from '../common/clock.js';
import type { Store } from '../store/index.js';
import { AdmissionChain, RbacAdmission, type Admission } from './admission.js';
import { AuthorizerChain, mastersAuthorizer } from './authorizer.js';
import { NodeAuthorizer } from './node-authorizer.js';
import { NodeRestriction } from './node-restriction.js';
import { RbacAuthorizer } from './rbac-authorizer.js';
import { reconcileBootstrapPolicy } from './reconcile-policy.js';
import { TokenAuthenticator, type TokenVerifier } from './token-authenticator.js';
import { AccessKeyAdmission } from './access-key-admission.js';
import { UserDirectory } from './user-directory.js';

/** What the API server authenticates, authorizes and admits with; `close()` ends the watches. */
export interface Authorization {
  authenticator: TokenAuthenticator;
  /** system:masters, then the Node authorizer, then RBAC (`--authorization-mode=Node,RBAC`). */
  authorizer: AuthorizerChain;
  rbac: RbacAuthorizer;
  node: NodeAuthorizer;
  /** Which users exist (hold an unexpired token): the S3 gateway refuses the others' keys. */
  users: UserDirectory;
  /** NodeRestriction, RBAC escalation and credential Secrets, access keys, then the `admissions` given. */
  admission: Admission;
  close(): Promise<void>;
}

/**
 * Builds identity for a server: reconciles the default roles and bindings, loads RBAC and the
 * Node authorizer's pod graph into memory and starts their watches, starts the token watch
 * (revocations count at once), and returns the authorizer chain and the admission chain.
 */
export async function startAuthorization(
  store: Store,
  options: { clock?: Clock; verifiers?: TokenVerifier[]; admissions?: Admission[] } = {},
): Promise<Authorization> {
  await reconcileBootstrapPolicy(store, options);
  const rbac = new RbacAuthorizer(store);
  const node = new NodeAuthorizer(store);
  const authenticator = new TokenAuthenticator(store, options);
  const users = new UserDirectory(store, options);
  const close = async (): Promise<void> => {
    await rbac.close();
    await node.close();
    await authenticator.close();
    await users.close();
  };
  try {
    await rbac.start();
    await node.start();
    await authenticator.start();
    await users.start();
  } catch (err) {
    await close();
    throw err;
  }
  const authorizer = new AuthorizerChain([mastersAuthorizer, node, rbac]);
  return {
    authenticator,
    authorizer,
    rbac,
    node,
    users,
    admission: new AdmissionChain([
      new NodeRestriction(store),
      new RbacAdmission(authorizer, rbac.policy),
      new AccessKeyAdmission(authorizer),
      ...(options.admissions ?? []),
    ]),
    close,
  };
}
