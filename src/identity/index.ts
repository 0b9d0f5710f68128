/**
 * Identity: who is asking (bearer tokens stored as hashed Secrets, users, impersonation
 * targets) and what they may do (the Authorizer chain: system:masters, then Kubernetes RBAC
 * over an in-memory index), RBAC escalation prevention at admission, the default roles
 * reconciled at start, and the bootstrap of the admin's token and kubeconfig.
 */
export { TokenAuthenticator, type Authenticator } from './token-authenticator.js';
export {
  createToken,
  hashToken,
  newToken,
  parseTokenSecret,
  tokenId,
  tokenSecret,
  tokenSecretName,
  TOKEN_LABEL,
  TOKEN_NAMESPACE,
  TOKEN_SECRET_TYPE,
  type TokenOptions,
  type TokenRecord,
} from './token-secret.js';
export {
  ANONYMOUS_USER,
  AUTHENTICATED_GROUP,
  UNAUTHENTICATED_GROUP,
  serviceAccountUsername,
  splitServiceAccountUsername,
  withAuthenticatedGroup,
  type UserInfo,
} from './user-info.js';
export {
  AuthorizerChain,
  allowed,
  mastersAuthorizer,
  requestAttributes,
  SYSTEM_MASTERS,
  type Authorizer,
  type PolicyRule,
  type RequestAttributes,
  type RuleResolver,
  type RuleSet,
  type Verdict,
} from './authorizer.js';
export { RbacAuthorizer } from './rbac-authorizer.js';
export { ruleAllows, uncoveredRules } from './rbac-rules.js';
export { RbacPolicy, RBAC_RESOURCES, type RoleRef, type Subject } from './rbac-policy.js';
export {
  AdmissionChain,
  forbiddenWrite,
  RbacAdmission,
  type Admission,
  type AdmissionFinish,
  type WriteAttributes,
} from './admission.js';
export {
  bootstrapAdmin,
  kubeconfigText,
  writeKubeconfig,
  ADMIN_USER,
  ADMIN_TOKEN_TTL_MS,
  KUBECONFIG_CONTEXT,
  type AdminCredentials,
} from './bootstrap-admin.js';
export { IdentityError } from './errors.js';
export { reconcileBootstrapPolicy, reconcileBinding, reconcileRole } from './reconcile-policy.js';
export {
  BOOTSTRAP_CLUSTER_ROLES,
  BOOTSTRAP_CLUSTER_ROLE_BINDINGS,
  BOOTSTRAP_ROLES,
  BOOTSTRAP_ROLE_BINDINGS,
  AUTOUPDATE_ANNOTATION,
} from './bootstrap-policy.js';
export { startAuthorization, type Authorization } from './authorization.js';
export {
  issueCertificate,
  splitPemCertificates,
  type CertificatePair,
  type CertificateTemplate,
} from './certificate.js';
export { ensureClusterCa, CA_VALIDITY_MS, type ClusterCa } from './cluster-ca.js';
export { SERVING_RENEW_BEFORE_MS, SERVING_VALIDITY_MS } from './serving-cert.js';
export {
  ServingTls,
  SERVING_PORTS,
  type ServingPort,
  type ServingTlsOptions,
  type TrustBundle,
} from './serving-tls.js';
export {
  servingNames,
  subjectAltNames,
  type ServingNameSources,
  type SubjectAltNames,
} from './subject-alt-names.js';
