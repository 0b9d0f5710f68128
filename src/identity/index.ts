/**
 * Identity: bearer-token authentication backed by the store, and the bootstrap of the admin
 * user's token and kubeconfig. RBAC and S3 access keys come later.
 */
export {
  TokenAuthenticator,
  createToken,
  hashToken,
  tokenSecretName,
  TOKEN_NAMESPACE,
  TOKEN_SECRET_TYPE,
  type Authenticator,
  type UserInfo,
} from './token-authenticator.js';
export {
  bootstrapAdmin,
  kubeconfigText,
  ADMIN_USER,
  KUBECONFIG_CONTEXT,
  type AdminCredentials,
} from './bootstrap-admin.js';
export { IdentityError } from './errors.js';
export { generateSelfSignedCert, type CertificatePair, type SelfSignedOptions } from './self-signed-cert.js';
export { ensureServingCert } from './serving-cert.js';
