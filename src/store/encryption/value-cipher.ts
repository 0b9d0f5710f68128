import { createCipheriv, createDecipheriv, randomBytes, type CipherGCM, type DecipherGCM } from 'node:crypto';
import { StoreError } from '../errors.js';
import type { EncryptionKey, EncryptionProvider } from './encryption-config.js';

/** What a sealed value says about itself: which provider and key made it, and whether they are the first. */
export interface OpenedValue {
  plaintext: string;
  /** True when the value was not written by the first provider's first key: due for a rewrite. */
  stale: boolean;
}

const PREFIX = 'k8s:enc:';

function cipherName(type: 'aesgcm' | 'aescbc', key: Buffer): string {
  return `aes-${key.length * 8}-${type === 'aesgcm' ? 'gcm' : 'cbc'}`;
}

/**
 * Encrypts `plaintext` with the first provider's first key, as kube-apiserver's value
 * transformers write: `k8s:enc:aesgcm:v1:KEYNAME:` then the payload (here base64, since stored
 * values are JSON text). AES-GCM uses a random 12-byte nonce and `context` (the object's key) as
 * authenticated data, so a value copied onto another object does not decrypt; AES-CBC a random
 * 16-byte IV and PKCS#7 padding, as Kubernetes' aescbc. Undefined for `identity`.
 */
export function sealValue(
  provider: EncryptionProvider,
  plaintext: string,
  context: string,
): string | undefined {
  if (provider.type === 'identity') return undefined;
  const key = provider.keys[0] as EncryptionKey;
  const head = `${PREFIX}${provider.type}:v1:${key.name}:`;
  if (provider.type === 'aesgcm') {
    const nonce = randomBytes(12);
    const cipher = createCipheriv(cipherName('aesgcm', key.secret), key.secret, nonce) as CipherGCM;
    cipher.setAAD(Buffer.from(context));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return head + Buffer.concat([nonce, body, cipher.getAuthTag()]).toString('base64');
  }
  const iv = randomBytes(16);
  const cipher = createCipheriv(cipherName('aescbc', key.secret), key.secret, iv);
  return head + Buffer.concat([iv, cipher.update(plaintext, 'utf8'), cipher.final()]).toString('base64');
}

function undecryptable(context: string, why: string): StoreError {
  return new StoreError('STORE_DECRYPT_FAILED', 500, `unable to transform key "${context}": ${why}`, {
    key: context,
  });
}

/**
 * Decrypts a value sealed by any configured provider and key, found by the value's prefix;
 * fails with STORE_DECRYPT_FAILED (500) when no configured key made it or it does not verify.
 */
export function openValue(
  providers: readonly EncryptionProvider[],
  sealed: string,
  context: string,
): OpenedValue {
  const m = /^k8s:enc:([a-z]+):v1:([^:]+):/.exec(sealed);
  if (m === null) throw undecryptable(context, 'no matching prefix found');
  const [head, type, keyName] = m;
  const providerIndex = providers.findIndex((p) => p.type === type && p.keys.some((k) => k.name === keyName));
  const provider = providers[providerIndex];
  const key = provider?.keys.find((k) => k.name === keyName);
  if (provider === undefined || key === undefined) {
    throw undecryptable(
      context,
      `no ${String(type)} key named "${String(keyName)}" in the encryption configuration`,
    );
  }
  const raw = Buffer.from(sealed.slice(head.length), 'base64');
  try {
    let plaintext: string;
    if (type === 'aesgcm') {
      const decipher = createDecipheriv(
        cipherName('aesgcm', key.secret),
        key.secret,
        raw.subarray(0, 12),
      ) as DecipherGCM;
      decipher.setAAD(Buffer.from(context));
      decipher.setAuthTag(raw.subarray(raw.length - 16));
      plaintext = Buffer.concat([
        decipher.update(raw.subarray(12, raw.length - 16)),
        decipher.final(),
      ]).toString('utf8');
    } else {
      const decipher = createDecipheriv(cipherName('aescbc', key.secret), key.secret, raw.subarray(0, 16));
      plaintext = Buffer.concat([decipher.update(raw.subarray(16)), decipher.final()]).toString('utf8');
    }
    return { plaintext, stale: providerIndex !== 0 || provider.keys[0] !== key };
  } catch {
    throw undecryptable(context, `${String(type)} decryption with key "${String(keyName)}" failed`);
  }
}
