/**
 * The S3 gateway: the S3 REST API over the object store, authenticated with SigV4 access keys
 * kept in the resource store.
 */
export { startS3Gateway, type S3Gateway, type S3GatewayOptions } from './gateway.js';
export { S3_CONNECTION_LIMITS } from './connections.js';
export {
  ACCESS_KEY_RESOURCE,
  StoreCredentials,
  bootstrapS3Admin,
  accessKeyObject,
  createAccessKey,
  credentialsIni,
  generateAccessKey,
  type AccessKey,
  type CredentialStore,
} from './credentials.js';
export { presignUrl, signRequest, type SigningCredentials } from './sigv4-signer.js';
export type { S3Quota } from './quota.js';
