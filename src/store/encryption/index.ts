/**
 * Encryption at rest of chosen resources (Secrets, AccessKeys): kube-apiserver's
 * EncryptionConfiguration (aesgcm, aescbc, identity), a Store that seals and opens values on
 * their way to and from the backing store, and the default configuration file.
 */
export {
  parseEncryptionConfig,
  ENCRYPTABLE_RESOURCES,
  IDENTITY_CONFIG,
  type EncryptionConfig,
  type EncryptionKey,
  type EncryptionProvider,
} from './encryption-config.js';
export { EncryptingStore, SEALED_FIELD, type EncryptingStoreOptions } from './encrypting-store.js';
export {
  loadEncryptionConfig,
  defaultEncryptionConfigText,
  ENCRYPTION_CONFIG_FILE,
} from './encryption-file.js';
