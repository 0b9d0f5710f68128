/**
 * Identity: who is asking (bearer tokens stored as hashed Secrets, users, impersonation
 * targets) and what they may do (the Authorizer chain: system:masters, then Kubernetes RBAC
 * over an in-memory index), RBAC escalation prevention at admission, the default roles
 * reconciled at start, and the bootstrap of the admin's token and kubeconfig.
 */
export { TokenAuthenticator, type Authenticator, type TokenVerifier } from './token-authenticator.js';
export {
  authenticateBootstrapToken,
  bootstrapTokenSecret,
  bootstrapTokenSecretName,
  newBootstrapToken,
  parseBootstrapTokenSecret,
  BOOTSTRAP_TOKEN_PATTERN,
  BOOTSTRAP_TOKEN_TYPE,
  BOOTSTRAPPERS_GROUP,
  type BootstrapTokenRecord,
} from './bootstrap-token.js';
export { nodeIdentity, nodeUser, NODES_GROUP, NODE_USER_PREFIX } from './node-identity.js';
export { NodeAuthorizer, agentSecretName, NODE_LEASE_NAMESPACE } from './node-authorizer.js';
export { NodeGraph } from './node-graph.js';
export { NodeRestriction } from './node-restriction.js';
export { UserDirectory } from './user-directory.js';
export { AccessKeyAdmission } from './access-key-admission.js';
export {
  PodSecurityAdmission,
  namespacePolicy,
  DEFAULT_POD_SECURITY_LEVEL,
  POD_SECURITY_LABEL,
} from './pod-security-admission.js';
export {
  podSecurityViolations,
  violationText,
  type PodSecurityLevel,
  type Violation,
} from './pod-security-checks.js';
export {
  ServiceAccountAdmission,
  ROOT_CA_CONFIGMAP,
  SERVICE_ACCOUNT_MOUNT_PATH,
} from './service-account-admission.js';
export { NODE_RULES } from './node-rules.js';
export {
  issueNodeCredential,
  NODE_TOKEN_LABEL,
  NODE_TOKEN_TTL_MS,
  type NodeCredential,
} from './node-credential.js';
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
  RETIRED_BOOTSTRAP_POLICY,
} from './bootstrap-policy.js';
export { startAuthorization, type Authorization } from './authorization.js';
export { caCertHash } from './ca-cert-hash.js';
export {
  ServiceAccountTokens,
  SERVICE_ACCOUNT_ISSUER,
  SERVICE_ACCOUNT_KEY_FILE,
  type BoundObject,
  type TokenClaims,
} from './service-account-token.js';
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
export { writeFileAtomic } from './private-file.js';
